package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.config.Setting;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every environment variable in template.yaml against Setting, the one list of what the code reads. */
class TemplateSettingsTest {
  private final Template template = Template.load();

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void everyVariableIsASettingThatFunctionReadsInLambda(DeployedFunction function) {
    for (String name : template.environment(function.logicalId).keySet()) {
      Setting setting = Arrays.stream(Setting.values()).filter(s -> s.name().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError(function.logicalId + " sets " + name + ", which no code reads"));
      assertFalse(setting.localOnly(), function.logicalId + " sets " + name + ", which is for local runs only");
      assertTrue(Setting.readBy(function.reader).contains(setting),
          function.logicalId + " sets " + name + ", which only the other function reads");
    }
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void everySettingRequiredInLambdaIsSet(DeployedFunction function) {
    Map<String, JsonNode> environment = template.environment(function.logicalId);
    for (Setting setting : Setting.readBy(function.reader)) {
      if (setting.requiredInLambda()) {
        assertTrue(environment.containsKey(setting.name()),
            function.logicalId + " must set " + setting.name() + " (" + setting.description() + ")");
      }
    }
  }

  /** Secrets travel by ARN, from a parameter that only takes a Secrets Manager ARN; never as a value. */
  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void secretsArePassedAsSecretsManagerArns(DeployedFunction function) {
    template.environment(function.logicalId).forEach((name, value) -> {
      if (name.endsWith("_ARN")) {
        String parameter = Template.refName(value);
        assertNotNull(parameter, name + " must come from a parameter, not " + value);
        String pattern = template.parameter(parameter).path("AllowedPattern").asText();
        assertTrue(pattern.contains(":secretsmanager:"), "parameter " + parameter + " must only allow a secret's ARN");
        assertFalse(template.parameter(parameter).path("Default").asText().startsWith("arn:"),
            "parameter " + parameter + " must not default to somebody's secret");
      }
    });
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void bothFunctionsUseTheStacksQueues(DeployedFunction function) {
    Map<String, JsonNode> environment = template.environment(function.logicalId);
    assertEquals("EventsQueue", Template.refName(environment.get("EVENTS_QUEUE_URL")));
    assertEquals("RejectedQueue", Template.refName(environment.get("REJECTED_QUEUE_URL")));
    // Only dispatch writes dead letters: ingest's role cannot put anything where a redrive would pick it up.
    assertEquals(function == DeployedFunction.DISPATCH ? "EventsDeadLetterQueue" : null,
        Template.refName(environment.get("DEAD_LETTER_QUEUE_URL")));
  }

  /** No local-only setting is mentioned anywhere in template.yaml, comments included. */
  @Test
  void localOnlySettingsNeverAppear() throws Exception {
    String text = java.nio.file.Files.readString(template.root.resolve("template.yaml"));
    for (Setting setting : Setting.values()) {
      if (setting.localOnly() && java.util.regex.Pattern.compile("\\b" + setting.name() + "\\b").matcher(text).find()) {
        fail("template.yaml mentions " + setting.name() + ", a local-only setting");
      }
    }
  }
}
