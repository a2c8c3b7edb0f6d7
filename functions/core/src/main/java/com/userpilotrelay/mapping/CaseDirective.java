package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Locale;

/** {@code {"@case": {"operator": "lower"|"upper", "value": v}}}; a value that is not a string passes unchanged. */
final class CaseDirective implements Value {
  private final boolean upper;
  private final Value value;

  private CaseDirective(boolean upper, Value value) {
    this.upper = upper;
    this.value = value;
  }

  static Value compile(DirectiveCompiler c, JsonNode raw, String at) {
    Options o = Options.of(c.context(), "@case", at, raw, "operator", "value");
    String operator = o.requireString("operator", "use \"lower\" or \"upper\"", "lower", "upper");
    JsonNode value = o.require("value", "add the value to change, e.g. \"value\": {\"@path\": \"$.traits.email\"}");
    return new CaseDirective(operator.equals("upper"), c.compile(value, o.at("value")));
  }

  @Override
  public JsonNode resolve(JsonNode event) {
    JsonNode v = value.resolve(event);
    if (v == null || !v.isTextual()) {
      return v;
    }
    // Locale.ROOT: a Turkish default locale must not turn "ID" into "ıd".
    String s = v.textValue();
    return TextNode.valueOf(upper ? s.toUpperCase(Locale.ROOT) : s.toLowerCase(Locale.ROOT));
  }
}
