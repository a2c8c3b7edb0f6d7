package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"@merge": {"objects": [a, b, ...], "direction": "right"|"left"}}}: a shallow merge. With
 * "right" a later object's key wins, with "left" an earlier one's. Objects that resolve to nothing
 * or null are skipped; the result is always an object.
 */
final class MergeDirective implements Value {
  private final List<Value> objects;
  private final boolean leftWins;
  private final String at;

  private MergeDirective(List<Value> objects, boolean leftWins, String at) {
    this.objects = objects;
    this.leftWins = leftWins;
    this.at = at;
  }

  static Value compile(DirectiveCompiler c, JsonNode raw, String at) {
    Options o = Options.of(c.context(), "@merge", at, raw, "objects", "direction");
    String direction = o.requireString("direction", "\"right\": later objects win, \"left\": earlier ones win",
        "left", "right");
    JsonNode list = o.require("objects", "add \"objects\": [ {...}, {\"@path\": \"$.traits\"} ]");
    if (!list.isArray()) {
      throw o.error("\"objects\" must be an array, got " + JsText.describe(list), "wrap the objects in [ ]");
    }
    List<Value> values = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode item = list.get(i);
      if (!item.isObject() && !item.isNull()) {
        throw o.error("objects[" + i + "] is " + JsText.typeOf(item) + ", which cannot be merged",
            "give objects or directives that resolve to objects");
      }
      values.add(c.compile(item, o.at("objects") + "[" + i + "]"));
    }
    return new MergeDirective(List.copyOf(values), direction.equals("left"), at);
  }

  @Override
  public JsonNode resolve(JsonNode event) {
    List<JsonNode> resolved = new ArrayList<>();
    for (Value v : objects) {
      JsonNode o = v.resolve(event);
      if (o == null || o.isNull()) {
        continue;
      }
      if (!o.isObject()) {
        throw new MappingFailure(at, "expected objects to merge, got " + JsText.typeOf(o) + " " + JsText.describe(o));
      }
      resolved.add(o);
    }
    ObjectNode out = Json.object();
    for (int i = 0; i < resolved.size(); i++) {
      out.setAll((ObjectNode) resolved.get(leftWins ? resolved.size() - 1 - i : i));
    }
    return out;
  }
}
