package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code {"@if": {"exists"|"blank": value, "then": a, "else": b}}}. {@code exists} holds when the
 * value is present and not null; {@code blank} holds when it is present, not null and not a blank
 * string (the name is mapping-kit's: "then" is taken when the value is NOT blank). A branch that is
 * not given resolves to nothing.
 */
final class IfDirective implements Value {
  private final boolean blankTest;
  private final Value condition;
  private final Value then;
  private final Value otherwise;

  private IfDirective(boolean blankTest, Value condition, Value then, Value otherwise) {
    this.blankTest = blankTest;
    this.condition = condition;
    this.then = then;
    this.otherwise = otherwise;
  }

  static Value compile(DirectiveCompiler c, JsonNode raw, String at) {
    Options o = Options.of(c.context(), "@if", at, raw, "exists", "blank", "then", "else");
    if (o.has("exists") == o.has("blank")) {
      throw o.error("needs exactly one condition, \"exists\" or \"blank\"",
          "e.g. {\"@if\": {\"exists\": {\"@path\": \"$.userId\"}, \"then\": ..., \"else\": ...}}");
    }
    if (!o.has("then") && !o.has("else")) {
      throw o.error("has neither \"then\" nor \"else\", so it always resolves to nothing", "add a branch");
    }
    String key = o.has("exists") ? "exists" : "blank";
    return new IfDirective(
        key.equals("blank"),
        c.compile(o.get(key), o.at(key)),
        o.has("then") ? c.compile(o.get("then"), o.at("then")) : null,
        o.has("else") ? c.compile(o.get("else"), o.at("else")) : null);
  }

  @Override
  public JsonNode resolve(JsonNode event) {
    JsonNode v = condition.resolve(event);
    boolean holds = blankTest ? !JsText.isBlank(v) : v != null && !v.isNull();
    Value branch = holds ? then : otherwise;
    return branch == null ? null : branch.resolve(event);
  }
}
