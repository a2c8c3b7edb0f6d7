package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.delivery.Outcome;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The saved Logs Insights queries against the log groups of the stack and the lines the code writes. */
class QueryDefinitionsTest {
  private final Template template = Template.load();

  /** Query name (after the stack's folder) to its properties. */
  private Map<String, JsonNode> queries() {
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    template.resourcesOfType("AWS::Logs::QueryDefinition").forEach((id, resource) -> {
      String name = resource.path("Properties").path("Name").path("Fn::Sub").asText();
      assertTrue(name.startsWith("${AWS::StackName}/"), id + " is saved in the stack's folder: " + name);
      byName.put(name.substring("${AWS::StackName}/".length()), resource.path("Properties"));
    });
    return byName;
  }

  private Set<String> logGroups(JsonNode query) {
    Set<String> groups = new LinkedHashSet<>();
    for (JsonNode group : query.path("LogGroupNames")) {
      String id = Template.refName(group);
      assertNotNull(id, "a query reads a log group of the stack: " + group);
      assertEquals("AWS::Logs::LogGroup", template.resource(id).path("Type").asText());
      groups.add(id);
    }
    return groups;
  }

  private String functionLogGroup(String functionId) {
    return Template.refName(template.functionProperties(functionId).path("LoggingConfig").get("LogGroup"));
  }

  @Test
  void eachQueryReadsFieldsAndValuesTheCodeWrites() {
    Set<String> outcomes = Arrays.stream(Outcome.Kind.values()).map(Enum::name).collect(Collectors.toSet());
    queries().forEach((name, query) -> {
      assertTrue(!logGroups(query).isEmpty(), name);
      String text = query.path("QueryString").asText();
      for (String field : LogsInsights.fieldsRead(text)) {
        assertTrue(EmittedTelemetry.LOG_FIELDS.contains(field), name + " reads " + field + ", which no log line has");
      }
      Map<String, Set<String>> compared = LogsInsights.comparedValues(text);
      compared.getOrDefault("message", Set.of()).forEach(v ->
          assertTrue(EmittedTelemetry.LOG_MESSAGES.contains(v), name + ": no line has message " + v));
      compared.getOrDefault("outcome", Set.of()).forEach(v ->
          assertTrue(outcomes.contains(v), name + ": the dispatcher has no outcome " + v + " (Outcome.Kind)"));
    });
  }

  @Test
  void oneEventsPathAcrossIngestAndDispatch() {
    JsonNode query = queries().get("event-path");
    assertNotNull(query, "a saved query event-path");
    assertEquals(Set.of(functionLogGroup("IngestFunction"), functionLogGroup("DispatchFunction")), logGroups(query));
    String text = query.path("QueryString").asText();
    assertTrue(text.contains("filter @message like \"MESSAGE_ID\""), "README substitutes MESSAGE_ID: " + text);
    assertTrue(text.contains("sort @timestamp asc"), "the path reads in order");
    for (String field : new String[] {"outcome", "status", "attempt", "reason", "action"}) {
      assertTrue(LogsInsights.fieldsRead(text).contains(field), "event-path shows " + field);
    }
  }

  @Test
  void deadLettersByReasonAndSlowestCalls() {
    JsonNode deadLetters = queries().get("dead-letters");
    assertNotNull(deadLetters);
    assertEquals(Set.of(functionLogGroup("DispatchFunction")), logGroups(deadLetters));
    assertTrue(deadLetters.path("QueryString").asText().matches("(?s).*outcome = \"DEAD_LETTERED\".*by reason.*"));

    JsonNode slowest = queries().get("slowest-userpilot-calls");
    assertNotNull(slowest);
    assertEquals(Set.of(functionLogGroup("DispatchFunction")), logGroups(slowest));
    assertTrue(slowest.path("QueryString").asText().matches("(?s).*message = \"attempt\".*sort ms desc.*"));
  }

  /** README tells a user how to run each saved query and where the dashboard is. */
  @Test
  void readmeShowsHowToRunEachQuery() throws Exception {
    String readme = Files.readString(template.root.resolve("README.md"));
    for (String needed : new String[] {"aws logs start-query", "aws logs get-query-results",
        "aws logs describe-query-definitions", "MESSAGE_ID", "DashboardUrl"}) {
      assertTrue(readme.contains(needed), "README.md must show " + needed);
    }
    for (String name : queries().keySet()) {
      assertTrue(readme.contains("userpilot-relay/" + name), "README.md must show how to run " + name);
    }
  }
}
