package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.json.Json;
import java.math.BigDecimal;

/** How values become text, following what Segment's JavaScript does where that is sensible. */
final class JsText {
  private static final int MAX_DESCRIBED = 80;

  private JsText() {}

  /** Absent, JSON null, or a string of nothing but whitespace. */
  static boolean isBlank(JsonNode value) {
    return value == null || value.isNull() || (value.isTextual() && value.textValue().isBlank());
  }

  /** Like JavaScript's {@code String(n)}: 12345 -> "12345", 1.50 -> "1.5", 1e3 -> "1000". */
  static String number(JsonNode number) {
    if (number.isIntegralNumber()) {
      return number.bigIntegerValue().toString();
    }
    BigDecimal d = number.isBigDecimal() ? number.decimalValue() : BigDecimal.valueOf(number.doubleValue());
    return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
  }

  /**
   * A value placed inside a template. Objects and arrays become JSON, where JavaScript would print
   * "[object Object]" or join array items with commas.
   */
  static String forTemplate(JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return "";
    }
    if (value.isTextual()) {
      return value.textValue();
    }
    if (value.isNumber()) {
      return number(value);
    }
    if (value.isBoolean()) {
      return value.booleanValue() ? "true" : "false";
    }
    return Json.write(value);
  }

  /** A value shown in an error message: JSON, cut short so one bad trait cannot flood a log line. */
  static String describe(JsonNode value) {
    if (value == null) {
      return "nothing";
    }
    String json = Json.write(value);
    return json.length() <= MAX_DESCRIBED ? json : json.substring(0, MAX_DESCRIBED) + "…";
  }

  /** "a string", "an object": the JSON type of a value, for messages. */
  static String typeOf(JsonNode value) {
    if (value == null) {
      return "nothing";
    }
    return switch (value.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      default -> value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
