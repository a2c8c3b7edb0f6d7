package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The functions, their roles, the webhook route, the alarms and the outputs. */
class TemplateResourcesTest {
  private final Template template = Template.load();

  @Test
  void theTemplateHasExactlyTheTwoFunctions() {
    Set<String> functions = template.resourcesOfType("AWS::Serverless::Function").keySet();
    Set<String> expected = new HashSet<>();
    for (DeployedFunction f : DeployedFunction.values()) {
      expected.add(f.logicalId);
    }
    assertEquals(expected, functions);
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void functionsRunJava21OnArm64WithSnapStartBehindAnAlias(DeployedFunction function) {
    ObjectNode p = template.functionProperties(function.logicalId);
    assertEquals("java21", p.path("Runtime").asText());
    assertEquals("[\"arm64\"]", p.path("Architectures").toString());
    assertEquals("PublishedVersions", p.path("SnapStart").path("ApplyOn").asText());
    assertFalse(p.path("AutoPublishAlias").asText().isBlank(), "SnapStart needs a published version behind an alias");
    assertTrue(p.path("AutoPublishAliasAllProperties").asBoolean());
    assertEquals(function.handlerClass + "::handleRequest", p.path("Handler").asText());
    assertEquals(function.zip, p.path("CodeUri").asText());
    long memory = template.number(p.get("MemorySize"));
    long timeout = template.number(p.get("Timeout"));
    assertTrue(memory >= 256 && memory <= 10240, "MemorySize " + memory);
    assertTrue(timeout >= 1 && timeout <= 900, "Timeout " + timeout);
  }

  @Test
  void ingestAnswersWithinApiGatewaysIntegrationTimeout() {
    assertTrue(template.number(template.functionProperties("IngestFunction").get("Timeout")) < 30,
        "an HTTP API waits at most 30 s for its integration");
  }

  /**
   * SAM hashes a function's properties as written, so a new parameter value alone would not publish a
   * version and the alias would keep the old configuration. The VersionDescription names every parameter
   * the function's configuration uses; a changed description replaces the version, which publishes one.
   */
  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void everyParameterAFunctionUsesForcesANewVersion(DeployedFunction function) {
    ObjectNode p = template.functionProperties(function.logicalId);
    Set<String> used = new HashSet<>(template.parametersIn(p.path("Environment")));
    used.addAll(template.parametersIn(p.path("Description")));
    used.addAll(template.parametersIn(p.path("MemorySize")));
    used.addAll(template.parametersIn(p.path("Timeout")));
    Set<String> inVersion = template.parametersIn(p.path("VersionDescription"));
    used.removeAll(inVersion);
    assertTrue(used.isEmpty(), function.logicalId + "'s VersionDescription leaves out " + used);
    assertTrue(inVersion.contains("ConfigRevision"), "a changed secret or mappings value must publish a new version");
    assertTrue(template.parametersIn(p.path("Description")).contains("ConfigRevision"),
        "the revision must change the function itself, or Lambda publishes no new version from it");
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void functionsLogJsonToTheirOwnLogGroupWithRetention(DeployedFunction function) {
    JsonNode logging = template.functionProperties(function.logicalId).path("LoggingConfig");
    assertEquals("JSON", logging.path("LogFormat").asText());
    String logGroup = Template.refName(logging.get("LogGroup"));
    assertNotNull(logGroup, "LoggingConfig.LogGroup must be the stack's log group");
    JsonNode group = template.resource(logGroup);
    assertEquals("AWS::Logs::LogGroup", group.path("Type").asText());
    assertTrue(group.path("Properties").has("RetentionInDays"), logGroup + " must expire its logs");
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void rolesGrantOnlyNamedActionsOnNamedResources(DeployedFunction function) {
    JsonNode p = template.functionProperties(function.logicalId);
    assertFalse(p.has("Policies"), "with its own Role a function must not ask SAM for policies");
    String role = Template.getAttResource(p.get("Role"), "Arn");
    assertNotNull(role, function.logicalId + " must use the role defined beside it");
    JsonNode roleProperties = template.properties(role);
    assertFalse(roleProperties.has("ManagedPolicyArns"), "managed policies grant on every resource");
    Set<String> allowed = function == DeployedFunction.INGEST
        ? Set.of("sqs:SendMessage", "sqs:GetQueueAttributes", "secretsmanager:GetSecretValue", "logs:CreateLogStream",
            "logs:PutLogEvents")
        : Set.of("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility",
            "sqs:SendMessage", "secretsmanager:GetSecretValue", "ssm:GetParameter", "logs:CreateLogStream",
            "logs:PutLogEvents");
    List<JsonNode> statements = template.policyStatements(role);
    assertFalse(statements.isEmpty());
    for (JsonNode statement : statements) {
      assertEquals("Allow", statement.path("Effect").asText());
      JsonNode actions = statement.path("Action");
      for (JsonNode action : actions.isArray() ? actions : List.of(actions)) {
        assertTrue(allowed.contains(action.asText()), role + " grants " + action);
      }
      String resources = statement.path("Resource").toString();
      assertFalse(resources.contains("\"*\"") || resources.contains(":*\""), role + " grants on a wildcard: " + resources);
    }
  }

  @Test
  void theWebhookIsPostSegmentOnTheHttpApiWithRouteThrottling() {
    JsonNode event = template.properties("IngestFunction").path("Events").path("SegmentWebhook");
    assertEquals("HttpApi", event.path("Type").asText());
    JsonNode p = event.path("Properties");
    assertEquals("SegmentWebhookApi", Template.refName(p.get("ApiId")));
    assertEquals("POST", p.path("Method").asText());
    assertEquals("/segment", p.path("Path").asText());
    assertEquals("2.0", p.path("PayloadFormatVersion").asText());
    assertNotNull(Template.refName(p.path("RouteSettings").get("ThrottlingRateLimit")), "rate limit is a parameter");
    assertNotNull(Template.refName(p.path("RouteSettings").get("ThrottlingBurstLimit")), "burst limit is a parameter");
    assertEquals("AWS::Serverless::HttpApi", template.resource("SegmentWebhookApi").path("Type").asText());
  }

  @Test
  void alarmsWatchTheDeadLetterQueueTheBacklogErrorsAndAuthFailures() {
    Map<String, JsonNode> alarms = template.resourcesOfType("AWS::CloudWatch::Alarm");
    boolean deadLetters = false;
    boolean backlog = false;
    boolean authFailed = false;
    Set<String> erroringFunctions = new HashSet<>();
    for (Map.Entry<String, JsonNode> alarm : alarms.entrySet()) {
      JsonNode p = alarm.getValue().path("Properties");
      assertTrue(p.path("AlarmActions").toString().contains("{\"Ref\":\"AlarmTopic\"}"), alarm.getKey() + " notifies");
      String metric = p.path("MetricName").asText();
      String dimension = p.path("Dimensions").path(0).path("Value").toString();
      if (metric.equals("ApproximateNumberOfMessagesVisible") && dimension.contains("EventsDeadLetterQueue")) {
        deadLetters = p.path("Threshold").asDouble() == 0 && p.path("ComparisonOperator").asText().equals("GreaterThanThreshold");
      }
      // The relay's own age metric: SQS's ApproximateAgeOfOldestMessage skips messages received three or more
      // times, which are exactly the events being retried.
      if (p.path("Metrics").toString().contains("MAX(OldestEventAgeSeconds) FROM UserpilotRelay")) {
        backlog = true;
      }
      assertFalse(metric.equals("ApproximateAgeOfOldestMessage"), alarm.getKey() + " would go quiet during retries");
      if (metric.equals("Errors") && p.path("Namespace").asText().equals("AWS/Lambda")) {
        erroringFunctions.add(Template.refName(p.path("Dimensions").path(0).get("Value")));
      }
      String metrics = p.path("Metrics").toString();
      if (metrics.contains("AuthFailed") && metrics.contains("UserpilotRelay")) {
        authFailed = true;
      }
    }
    assertTrue(deadLetters, "an alarm fires on any message in the dead-letter queue");
    assertTrue(backlog, "an alarm fires on old undelivered events");
    assertTrue(authFailed, "an alarm fires on the dispatcher's AuthFailed metric");
    assertEquals(Set.of("IngestFunction", "DispatchFunction"), erroringFunctions);
    JsonNode subscription = template.resource("AlarmEmailSubscription");
    assertEquals("HasAlarmEmail", subscription.path("Condition").asText(), "the e-mail is optional");
  }

  @Test
  void outputsGiveTheUserWhatComesNext() {
    JsonNode outputs = template.tree.path("Outputs");
    for (String name : List.of("SegmentWebhookUrl", "EventsQueueUrl", "DeadLetterQueueUrl", "DeadLetterQueueArn",
        "UserpilotApiKeySecretArn", "SegmentSharedSecretArn", "IngestTokenSecretArn", "PutUserpilotApiKeyCommand",
        "PutSegmentSharedSecretCommand", "PutIngestTokenCommand", "RedriveCommand")) {
      assertTrue(outputs.has(name), "output " + name);
    }
    assertTrue(outputs.path("SegmentWebhookUrl").path("Value").toString().endsWith("/segment\"}"));
    for (String command : List.of("PutUserpilotApiKeyCommand", "PutSegmentSharedSecretCommand", "PutIngestTokenCommand")) {
      assertTrue(outputs.path(command).path("Value").toString().contains("secretsmanager put-secret-value"), command);
    }
    assertTrue(outputs.path("RedriveCommand").path("Value").toString().contains("start-message-move-task"));
  }

  /** samconfig.toml deploys what the template needs: its IAM roles are unnamed, so CAPABILITY_IAM. */
  @Test
  void samconfigAcknowledgesTheTemplatesRoles() throws java.io.IOException {
    String samconfig = java.nio.file.Files.readString(template.root.resolve("samconfig.toml"));
    assertTrue(samconfig.lines().anyMatch(l -> l.matches("capabilities\\s*=\\s*\"CAPABILITY_IAM\"")),
        "samconfig.toml must acknowledge CAPABILITY_IAM");
    for (JsonNode role : template.resourcesOfType("AWS::IAM::Role").values()) {
      assertFalse(role.path("Properties").has("RoleName"), "a named role would need CAPABILITY_NAMED_IAM");
    }
    assertTrue(samconfig.contains("stack_name = \"userpilot-relay\""));
  }
}
