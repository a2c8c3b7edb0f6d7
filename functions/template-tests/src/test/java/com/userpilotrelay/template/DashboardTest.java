package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The CloudWatch dashboard. CloudFormation and cfn-lint take DashboardBody as an opaque string, so this
 * is the only check before a deploy: the !Sub text with each ${…} replaced by a marker of what it
 * refers to must be JSON, and every chart must read a metric the code emits (EmittedTelemetry) with
 * its real dimensions, or an AWS metric of a resource in the stack.
 */
class DashboardTest {
  private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}]*)}");
  private static final Pattern SEARCH = Pattern.compile(
      "^SEARCH\\('\\{([^}]*)}\\s+MetricName=\"([A-Za-z0-9]+)\"',\\s*'([A-Za-z0-9.]+)',\\s*(\\d+)\\)$");
  private static final Set<String> SQS_METRICS = Set.of("ApproximateNumberOfMessagesVisible",
      "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed", "ApproximateAgeOfOldestMessage");
  private static final Set<String> API_METRICS = Set.of("Count", "4xx", "5xx", "Latency", "IntegrationLatency");
  private static final Set<String> LAMBDA_METRICS = Set.of("Errors", "Throttles", "Invocations", "Duration",
      "ConcurrentExecutions");

  private final Template template = Template.load();

  /** What a chart shows: namespace/metric/statistic and, for an AWS metric, the resource. */
  record Shown(String namespace, String metric, String stat, String resource) {}

  /** The body with each ${X} as "ref:X", "getatt:X.Attr" or "pseudo:AWS::Name", after checking X exists. */
  private JsonNode body() throws Exception {
    JsonNode sub = template.properties("Dashboard").path("DashboardBody").get("Fn::Sub");
    assertNotNull(sub, "DashboardBody is built with !Sub so names resolve");
    assertTrue(sub.isTextual(), "DashboardBody's !Sub takes only the text (no variable map)");
    Matcher m = SUB_VARIABLE.matcher(sub.asText());
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String variable = m.group(1);
      String replacement;
      if (variable.startsWith("!")) {
        replacement = "\\${" + variable.substring(1) + "}"; // Fn::Sub's escape: a literal ${…}
      } else if (variable.startsWith("AWS::")) {
        assertTrue(Set.of("AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix")
            .contains(variable), variable);
        replacement = "pseudo:" + variable;
      } else if (variable.contains(".")) {
        template.resource(variable.substring(0, variable.indexOf('.')));
        replacement = "getatt:" + variable;
      } else {
        assertTrue(template.tree.path("Resources").has(variable), "${" + variable + "} names no resource");
        replacement = "ref:" + variable;
      }
      m.appendReplacement(out, replacement);
    }
    m.appendTail(out);
    JsonNode body = new ObjectMapper().readTree(out.toString());
    assertTrue(body.path("widgets").isArray() && !body.path("widgets").isEmpty(), "the dashboard has widgets");
    return body;
  }

  private Set<Shown> shown() throws Exception {
    Set<Shown> shown = new LinkedHashSet<>();
    Set<String> ids = new HashSet<>();
    for (JsonNode widget : body().path("widgets")) {
      String type = widget.path("type").asText();
      assertTrue(Set.of("metric", "log", "text").contains(type), "widget type " + type);
      assertTrue(widget.path("width").asInt() >= 1 && widget.path("width").asInt() <= 24, widget.toString());
      if (!type.equals("metric")) {
        continue;
      }
      JsonNode p = widget.path("properties");
      assertEquals("pseudo:AWS::Region", p.path("region").asText(), "each chart reads the stack's region");
      for (JsonNode entry : p.path("metrics")) {
        JsonNode first = entry.path(0);
        if (first.isObject()) {
          assertTrue(ids.add(first.path("id").asText()), "expression ids must be unique: " + first);
          assertTrue(first.path("id").asText().matches("[a-z][a-zA-Z0-9_]*"), "CloudWatch ids start lowercase: " + first);
          shown.add(expression(first.path("expression").asText()));
        } else {
          shown.add(metric(entry, p));
        }
      }
    }
    return shown;
  }

  private Shown expression(String expression) {
    Matcher m = SEARCH.matcher(expression);
    assertTrue(m.matches(), "expected SEARCH('{Namespace,Dims} MetricName=\"X\"', 'stat', period): " + expression);
    List<String> schema = List.of(m.group(1).split(","));
    assertEquals(EmittedTelemetry.NAMESPACE, schema.get(0), expression);
    String metric = m.group(2);
    Set<String> dimensions = EmittedTelemetry.METRICS.get(metric);
    assertNotNull(dimensions, "the code emits no metric " + metric + ": " + expression);
    assertEquals(dimensions, new HashSet<>(schema.subList(1, schema.size())),
        metric + " is emitted with dimensions " + dimensions + "; SEARCH matches only that exact set");
    return new Shown(EmittedTelemetry.NAMESPACE, metric, m.group(3), null);
  }

  private Shown metric(JsonNode entry, JsonNode widgetProperties) {
    int size = entry.size();
    JsonNode options = entry.path(size - 1).isObject() ? entry.path(size - 1) : null;
    int strings = options == null ? size : size - 1;
    assertTrue(strings == 4, "write each metric as [namespace, name, dimension, value, {options}]: " + entry);
    for (int i = 0; i < strings; i++) {
      assertTrue(entry.get(i).isTextual() && !entry.get(i).asText().startsWith("."),
          "no '.'/'...' shorthand, so each line can be checked alone: " + entry);
    }
    String namespace = entry.get(0).asText();
    String name = entry.get(1).asText();
    String dimension = entry.get(2).asText();
    String value = entry.get(3).asText();
    String stat = options != null && options.has("stat") ? options.get("stat").asText()
        : widgetProperties.path("stat").asText();
    assertTrue(!stat.isEmpty(), "no statistic for " + entry);
    String resource;
    switch (namespace) {
      case "AWS/SQS" -> {
        assertTrue(SQS_METRICS.contains(name), name);
        assertEquals("QueueName", dimension);
        resource = resourceOf(value, "getatt:", ".QueueName", "AWS::SQS::Queue");
      }
      case "AWS/ApiGateway" -> {
        assertTrue(API_METRICS.contains(name), name);
        assertEquals("ApiId", dimension);
        resource = resourceOf(value, "ref:", "", "AWS::Serverless::HttpApi");
      }
      case "AWS/Lambda" -> {
        assertTrue(LAMBDA_METRICS.contains(name), name);
        assertEquals("FunctionName", dimension);
        resource = resourceOf(value, "ref:", "", "AWS::Serverless::Function");
      }
      default -> throw new AssertionError("unexpected namespace in " + entry
          + " (the relay's own metrics are read with SEARCH, which does not depend on dimension values)");
    }
    return new Shown(namespace, name, stat, resource);
  }

  private String resourceOf(String value, String prefix, String suffix, String type) {
    assertTrue(value.startsWith(prefix) && value.endsWith(suffix), "expected " + prefix + "X" + suffix + ", found " + value);
    String id = value.substring(prefix.length(), value.length() - suffix.length());
    assertEquals(type, template.resource(id).path("Type").asText(), value);
    return id;
  }

  @Test
  void everyChartReadsAMetricTheCodeEmitsOrOneOfTheStacksResources() throws Exception {
    assertTrue(shown().size() >= 10, "the dashboard charts the relay");
  }

  /** What issue 14 asks the dashboard to show, each found in the body as checked above. */
  @Test
  void theDashboardShowsTheFlowOfEvents() throws Exception {
    Set<Shown> shown = shown();
    for (String counted : List.of("Accepted", "Rejected", "Delivered", "Retried", "DeadLettered", "Throttled")) {
      assertTrue(shown.contains(new Shown("UserpilotRelay", counted, "Sum", null)), counted + " per interval");
    }
    assertTrue(shown.contains(new Shown("UserpilotRelay", "UserpilotLatency", "p50", null)), "latency p50");
    assertTrue(shown.contains(new Shown("UserpilotRelay", "UserpilotLatency", "p99", null)), "latency p99");
    assertTrue(shown.contains(new Shown("UserpilotRelay", "OldestEventAgeSeconds", "Maximum", null)));
    assertTrue(shown.contains(new Shown("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", "EventsQueue")));
    for (String queue : template.resourcesOfType("AWS::SQS::Queue").keySet()) {
      assertTrue(shown.stream().anyMatch(s -> s.metric().equals("ApproximateNumberOfMessagesVisible")
          && queue.equals(s.resource())), "the queue depth chart must show " + queue);
    }
    for (String errors : List.of("4xx", "5xx")) {
      assertTrue(shown.contains(new Shown("AWS/ApiGateway", errors, "Sum", "SegmentWebhookApi")), errors);
    }
  }

  /** Log widgets read the stack's log groups, and only fields the lines have. */
  @Test
  void logWidgetsReadTheStacksLogGroupsAndRealFields() throws Exception {
    Set<String> accessLogFields = new HashSet<>();
    new ObjectMapper().readTree(template.properties("SegmentWebhookApi").path("AccessLogSettings").path("Format").asText())
        .fieldNames().forEachRemaining(accessLogFields::add);
    Set<String> groupsRead = new HashSet<>();
    for (JsonNode widget : body().path("widgets")) {
      if (!widget.path("type").asText().equals("log")) {
        continue;
      }
      String query = widget.path("properties").path("query").asText();
      assertEquals("pseudo:AWS::Region", widget.path("properties").path("region").asText());
      Set<String> sources = LogsInsights.sources(query);
      assertEquals(1, sources.size(), "SOURCE 'group' | …: " + query);
      String group = resourceOf(sources.iterator().next(), "ref:", "", "AWS::Logs::LogGroup");
      groupsRead.add(group);
      Set<String> known = group.equals("WebhookAccessLogGroup") ? accessLogFields : EmittedTelemetry.LOG_FIELDS;
      for (String field : LogsInsights.fieldsRead(query)) {
        assertTrue(known.contains(field), group + " lines have no field " + field + ": " + query);
      }
    }
    assertTrue(groupsRead.contains(Template.getAttResource(
        template.properties("SegmentWebhookApi").path("AccessLogSettings").get("DestinationArn"), "Arn")),
        "a widget shows API Gateway's own errors from the access log");
  }

  @Test
  void theDashboardUrlIsAnOutput() {
    JsonNode url = template.tree.path("Outputs").path("DashboardUrl").path("Value").path("Fn::Sub");
    assertTrue(url.asText().startsWith("https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}#dashboards"),
        url.toString());
    assertTrue(url.asText().endsWith("${Dashboard}"), "the URL opens this stack's dashboard: " + url);
    Map<String, JsonNode> dashboards = template.resourcesOfType("AWS::CloudWatch::Dashboard");
    assertEquals(Set.of("Dashboard"), dashboards.keySet());
  }
}
