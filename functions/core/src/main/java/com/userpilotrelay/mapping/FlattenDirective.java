package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.util.Map;

/**
 * {@code {"@flatten": {"value": v, "separator": ".", "omitArrays"?: false}}}: nested keys joined
 * into one level ({@code {"a":{"b":1}}} becomes {@code {"a.b":1}}); array items get their index as
 * key unless {@code omitArrays}. A value that is not an object or array passes unchanged.
 */
final class FlattenDirective implements Value {
  private final Value value;
  private final String separator;
  private final boolean omitArrays;

  private FlattenDirective(Value value, String separator, boolean omitArrays) {
    this.value = value;
    this.separator = separator;
    this.omitArrays = omitArrays;
  }

  static Value compile(DirectiveCompiler c, JsonNode raw, String at) {
    Options o = Options.of(c.context(), "@flatten", at, raw, "value", "separator", "omitArrays");
    String separator = o.requireString("separator", "add \"separator\": \".\"");
    if (separator.isEmpty()) {
      throw o.error("\"separator\" is empty", "use a separator such as \".\" or \"_\"");
    }
    JsonNode value = o.require("value", "add \"value\": {\"@path\": \"$.properties\"}");
    return new FlattenDirective(c.compile(value, o.at("value")), separator, o.optionalBoolean("omitArrays", false));
  }

  @Override
  public JsonNode resolve(JsonNode event) {
    JsonNode v = value.resolve(event);
    if (v == null || !flattens(v)) {
      return v;
    }
    ObjectNode out = Json.object();
    flatten(v, "", out);
    return out;
  }

  private boolean flattens(JsonNode v) {
    return v.isObject() || (v.isArray() && !omitArrays);
  }

  private void flatten(JsonNode node, String prefix, ObjectNode out) {
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        put(prefix, e.getKey(), e.getValue(), out);
      }
    } else {
      for (int i = 0; i < node.size(); i++) {
        put(prefix, Integer.toString(i), node.get(i), out);
      }
    }
  }

  private void put(String prefix, String key, JsonNode child, ObjectNode out) {
    String name = prefix.isEmpty() ? key : prefix + separator + key;
    if (flattens(child)) {
      flatten(child, name, out);
    } else {
      out.set(name, child);
    }
  }
}
