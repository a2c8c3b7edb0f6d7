package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.userpilotrelay.observe.Metrics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What keeps the deployed relay observable and running: throttles, log levels, the access log, capacity. */
class TemplateOperationsTest {
  /** API Gateway's default account-level throttle per region, shared by all APIs; a route's cannot exceed it. */
  static final long ACCOUNT_RATE_LIMIT = 10_000;
  static final long ACCOUNT_BURST_LIMIT = 5_000;
  /** Lambda's application log levels, least severe first; a function keeps lines at its level and above. */
  static final List<String> LAMBDA_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");

  private final Template template = Template.load();

  @Test
  void routeThrottlesStayWithinTheAccountsThrottle() {
    JsonNode route = template.properties("IngestFunction").path("Events").path("SegmentWebhook")
        .path("Properties").path("RouteSettings");
    assertBounded(Template.refName(route.get("ThrottlingRateLimit")), ACCOUNT_RATE_LIMIT);
    assertBounded(Template.refName(route.get("ThrottlingBurstLimit")), ACCOUNT_BURST_LIMIT);
  }

  private void assertBounded(String parameterName, long accountLimit) {
    assertNotNull(parameterName, "the route throttle must come from a parameter");
    JsonNode parameter = template.parameter(parameterName);
    assertTrue(parameter.has("MaxValue"), parameterName + " needs a MaxValue");
    long max = parameter.get("MaxValue").asLong();
    assertTrue(max <= accountLimit, parameterName + " allows " + max + ", above API Gateway's " + accountLimit);
    assertTrue(parameter.path("MinValue").asLong() >= 1, parameterName + ": 0 would refuse every request");
    long defaultValue = parameter.path("Default").asLong();
    assertTrue(defaultValue >= 1 && defaultValue <= max, parameterName + " default " + defaultValue);
  }

  /**
   * The metric lines must reach CloudWatch or every custom metric, the dashboard and the AuthFailed
   * alarm go quiet. Lambda gives a JSON line without a valid "level" the level INFO and drops lines
   * below the function's ApplicationLogLevel; so the level of the line Metrics really prints must be
   * at or above the most severe level each function may be configured with.
   */
  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void metricLinesAreNeverFilteredOutByTheApplicationLogLevel(DeployedFunction function) throws Exception {
    Metrics metrics = new Metrics();
    metrics.count("AuthFailed");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    metrics.flush(new PrintStream(printed, true, StandardCharsets.UTF_8), "dispatch");
    String line = printed.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow();
    JsonNode emf = new ObjectMapper().readTree(line);
    assertTrue(emf.has("_aws"), "not an EMF line: " + line);
    String levelAsLambdaReadsIt = emf.path("level").asText("").toUpperCase();
    if (!LAMBDA_LEVELS.contains(levelAsLambdaReadsIt)) {
      levelAsLambdaReadsIt = "INFO"; // missing or invalid: Lambda's log-level filtering treats it as INFO
    }
    JsonNode configured = template.functionProperties(function.logicalId).path("LoggingConfig").get("ApplicationLogLevel");
    assertNotNull(configured, function.logicalId + " must say its ApplicationLogLevel (filtering is on with JSON logs)");
    for (String level : possibleValues(configured)) {
      assertTrue(LAMBDA_LEVELS.contains(level), "unknown level " + level);
      assertTrue(LAMBDA_LEVELS.indexOf(levelAsLambdaReadsIt) >= LAMBDA_LEVELS.indexOf(level),
          function.logicalId + " may log at " + level + ", which drops the metric lines (read as "
              + levelAsLambdaReadsIt + ")");
    }
  }

  private List<String> possibleValues(JsonNode value) {
    String ref = Template.refName(value);
    if (ref == null) {
      assertTrue(value.isTextual(), "expected a level or a parameter, found " + value);
      return List.of(value.asText());
    }
    JsonNode allowed = template.parameter(ref).get("AllowedValues");
    assertNotNull(allowed, "parameter " + ref + " must list its AllowedValues");
    List<String> values = new ArrayList<>();
    allowed.forEach(v -> values.add(v.asText()));
    return values;
  }

  /** API Gateway's own answers (429, 413, 5xx without ingest) are visible only in this log. */
  @Test
  void theWebhookWritesAnAccessLogWithWhatExplainsAnError() throws Exception {
    JsonNode settings = template.properties("SegmentWebhookApi").path("AccessLogSettings");
    String logGroup = Template.getAttResource(settings.get("DestinationArn"), "Arn");
    assertNotNull(logGroup, "AccessLogSettings.DestinationArn must be a log group of the stack");
    JsonNode group = template.resource(logGroup);
    assertEquals("AWS::Logs::LogGroup", group.path("Type").asText());
    assertEquals("LogRetentionDays", Template.refName(group.path("Properties").get("RetentionInDays")));

    JsonNode format = new ObjectMapper().readTree(settings.path("Format").asText());
    assertTrue(format.isObject(), "the access log format must be one JSON object per line");
    List<String> variables = new ArrayList<>();
    format.properties().forEach(e -> variables.add(e.getValue().asText()));
    for (String required : List.of("$context.requestId", "$context.identity.sourceIp", "$context.status",
        "$context.integrationStatus", "$context.integrationErrorMessage", "$context.error.message",
        "$context.responseLength")) {
      assertTrue(variables.contains(required), "the access log must record " + required);
    }
    format.properties().forEach(e -> assertTrue(e.getValue().isTextual(),
        e.getKey() + " must be quoted: a variable API Gateway leaves empty prints -, which breaks a bare JSON number"));
  }

  /**
   * The log groups are named after the stack, so one kept after a stack is deleted would make a new
   * stack of the same name fail to create it: they go with the stack, said explicitly.
   */
  @Test
  void namedLogGroupsGoWithTheStack() {
    Map<String, JsonNode> groups = template.resourcesOfType("AWS::Logs::LogGroup");
    assertEquals(3, groups.size(), "ingest, dispatch and the webhook's access log: " + groups.keySet());
    groups.forEach((id, group) -> {
      assertTrue(group.path("Properties").has("LogGroupName"), id);
      assertEquals("Delete", group.path("DeletionPolicy").asText(), id);
      assertEquals("Delete", group.path("UpdateReplacePolicy").asText(), id);
      assertTrue(group.path("Properties").path("LogGroupName").toString().contains("${AWS::StackName}"), id);
    });
  }

  /**
   * Dispatch gets its own capacity, equal to the event source's MaximumConcurrency: an ingest flood
   * cannot starve delivery, and the event source never invokes more dispatchers than may run (a
   * throttled batch would go back to the queue with its receive count raised).
   */
  @Test
  void dispatchReservesExactlyItsMaximumConcurrency() {
    JsonNode reserved = template.functionProperties("DispatchFunction").get("ReservedConcurrentExecutions");
    assertNotNull(reserved, "DispatchFunction must reserve concurrency");
    JsonNode choice = reserved.get("Fn::If");
    assertNotNull(choice, "the reservation must be optional (accounts with a low limit cannot reserve): " + reserved);
    String maximumConcurrency = null;
    for (JsonNode event : template.properties("DispatchFunction").path("Events")) {
      if (event.path("Type").asText().equals("SQS")) {
        maximumConcurrency = Template.refName(event.path("Properties").path("ScalingConfig").get("MaximumConcurrency"));
      }
    }
    assertNotNull(maximumConcurrency, "the SQS event source's MaximumConcurrency must be a parameter");
    assertEquals(maximumConcurrency, Template.refName(choice.get(1)), "reserve what the event source may use");
    assertEquals("AWS::NoValue", Template.refName(choice.get(2)));

    JsonNode condition = template.tree.path("Conditions").path(choice.get(0).asText()).get("Fn::Equals");
    assertNotNull(condition, "condition " + choice.get(0) + " must compare the switch parameter");
    String switchParameter = Template.refName(condition.get(0));
    assertNotNull(switchParameter);
    assertEquals("[\"true\",\"false\"]", template.parameter(switchParameter).path("AllowedValues").toString());
    assertEquals(condition.get(1).asText(), template.parameter(switchParameter).path("Default").asText(),
        "reserving is the default");
    assertFalse(template.functionProperties("IngestFunction").has("ReservedConcurrentExecutions"),
        "ingest is bounded by its route throttle; a reservation would cap the webhook below the account's room");
  }
}
