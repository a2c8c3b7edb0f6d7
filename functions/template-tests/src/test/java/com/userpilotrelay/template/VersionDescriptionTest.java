package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Lambda refuses a function or version description over 256 characters, and a too-long
 * VersionDescription fails a deploy only at CreateVersion, after everything before it was created.
 * These tests build each description from the longest value every parameter in it allows and check
 * it fits; a parameter without a bound (no MaxLength, MaxValue or bounded pattern) fails them.
 *
 * <p>One assumption: a Number parameter is written in its plain integer form. CloudFormation passes
 * the text as typed, so "600.000…" would be longer; nobody types that, and Lambda would refuse it
 * with a message naming the description.
 */
class VersionDescriptionTest {
  static final int LAMBDA_DESCRIPTION_LIMIT = 256;
  private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}]+)}");
  /** The name-and-suffix part of a secret ARN as the parameters' patterns bound it. */
  private static final Pattern BOUNDED_SECRET_NAME =
      Pattern.compile(":secret:\\[([^\\]]+)]\\{1,(\\d+)}-\\[A-Za-z0-9]\\{6}\\$$");

  private final Template template = Template.load();

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void theLongestVersionDescriptionFitsLambdasLimit(DeployedFunction function) {
    String longest = longestSub(template.functionProperties(function.logicalId).get("VersionDescription"));
    assertTrue(longest.length() <= LAMBDA_DESCRIPTION_LIMIT, function.logicalId + "'s VersionDescription can be "
        + longest.length() + " characters, over Lambda's " + LAMBDA_DESCRIPTION_LIMIT + ": " + longest);
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void theLongestDescriptionFitsLambdasLimit(DeployedFunction function) {
    String longest = longestSub(template.functionProperties(function.logicalId).get("Description"));
    assertTrue(longest.length() <= LAMBDA_DESCRIPTION_LIMIT, function.logicalId + "'s Description can be "
        + longest.length() + " characters: " + longest);
  }

  /** The bound the tests above rely on is the one CloudFormation enforces: one character more is refused. */
  @ParameterizedTest
  @ValueSource(strings = {"UserpilotApiKeySecretArn", "SegmentSharedSecretArn", "IngestTokenSecretArn"})
  void secretArnPatternsRefuseALongerName(String parameter) {
    Pattern allowed = Pattern.compile(template.parameter(parameter).path("AllowedPattern").asText());
    int longestName = longestSecretNameAndSuffix(parameter) - 7;
    String prefix = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:";
    assertTrue(allowed.matcher(prefix + "n".repeat(longestName) + "-AbC123").matches(), parameter);
    assertFalse(allowed.matcher(prefix + "n".repeat(longestName + 1) + "-AbC123").matches(), parameter);
    assertFalse(allowed.matcher(prefix + "a:b-AbC123").matches(), parameter + ": a colon would shift !Split");
  }

  /** The Fn::Sub text with each variable at its longest. */
  private String longestSub(JsonNode value) {
    assertNotNull(value, "missing description");
    if (value.isTextual()) {
      return value.asText();
    }
    JsonNode sub = value.get("Fn::Sub");
    assertNotNull(sub, "a description is literal text or Fn::Sub: " + value);
    String text = sub.isArray() ? sub.get(0).asText() : sub.asText();
    JsonNode variables = sub.isArray() ? sub.get(1) : null;
    Matcher m = SUB_VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      int length;
      if (variables != null && variables.has(name)) {
        length = longest(variables.get(name));
      } else if (template.isParameter(name)) {
        length = longestParameterValue(name);
      } else {
        throw new AssertionError("${" + name + "} in a description is neither a parameter nor a Sub variable");
      }
      m.appendReplacement(out, "x".repeat(length));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The longest text an expression can produce. */
  private int longest(JsonNode expression) {
    if (expression.isTextual()) {
      return expression.asText().length();
    }
    String ref = Template.refName(expression);
    if (ref != null) {
      return longestParameterValue(ref);
    }
    JsonNode condition = expression.get("Fn::If");
    if (condition != null) {
      return Math.max(longest(condition.get(1)), longest(condition.get(2)));
    }
    JsonNode select = expression.get("Fn::Select");
    if (select != null) {
      JsonNode split = select.get(1).get("Fn::Split");
      assertNotNull(split, "only !Select of !Split is understood here: " + expression);
      String parameter = Template.refName(split.get(1));
      assertEquals(":", split.get(0).asText(), expression.toString());
      assertEquals(6, select.get(0).asInt(), "element 6 of a secret ARN split on ':' is its name: " + expression);
      return longestSecretNameAndSuffix(parameter);
    }
    throw new AssertionError("cannot bound the length of " + expression);
  }

  private int longestParameterValue(String name) {
    JsonNode parameter = template.parameter(name);
    int longest = 0;
    if (parameter.has("AllowedValues")) {
      for (JsonNode value : parameter.get("AllowedValues")) {
        longest = Math.max(longest, value.asText().length());
      }
      return longest;
    }
    if (parameter.path("Type").asText().equals("Number")) {
      assertTrue(parameter.has("MaxValue"), "Number parameter " + name + " needs a MaxValue to bound its length");
      long min = parameter.path("MinValue").asLong(Long.MIN_VALUE);
      assertTrue(min >= 0, "Number parameter " + name + " needs a MinValue of 0 or more");
      return Long.toString(parameter.get("MaxValue").asLong()).length();
    }
    assertTrue(parameter.has("MaxLength"), "String parameter " + name + " needs a MaxLength to bound its length");
    return parameter.get("MaxLength").asInt();
  }

  /** Length of "name-AbC123", the part of a secret ARN after ":secret:", at its longest. */
  private int longestSecretNameAndSuffix(String parameter) {
    String pattern = template.parameter(parameter).path("AllowedPattern").asText();
    Matcher m = BOUNDED_SECRET_NAME.matcher(pattern);
    assertTrue(m.find(), parameter + "'s AllowedPattern must end in :secret:[chars]{1,N}-[A-Za-z0-9]{6}$ so the"
        + " secret name has a bound: " + pattern);
    assertFalse(m.group(1).contains(":"), "a secret name with ':' would move element 6 of the split");
    return Integer.parseInt(m.group(2)) + 7;
  }
}
