package com.userpilotrelay.mapping;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Reads the mappings file format of CONTRACT.md §3:
 * {@code {"mappings": [{"name", "enabled"?, "subscribe", "action", "mapping"?}, ...]}}.
 * Anything unknown is an error rather than ignored, so a typo ("subcribe") cannot quietly change
 * what gets sent.
 */
final class MappingFileParser {
  private static final List<String> ENTRY_KEYS = List.of("name", "enabled", "subscribe", "action", "mapping");

  private MappingFileParser() {}

  static List<CompiledMapping> parse(String json, String source) {
    ConfigContext file = ConfigContext.file(source);
    JsonNode root = readJson(json, file);
    if (!root.isObject()) {
      throw file.error("the file must hold an object {\"mappings\": [...]}, not " + JsText.typeOf(root), null);
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!key.equals("mappings")) {
        throw file.error("unknown top-level key \"" + key + "\"", "the file holds only {\"mappings\": [...]}");
      }
    }
    JsonNode list = root.get("mappings");
    if (list == null || !list.isArray()) {
      throw file.error("\"mappings\" must be an array of mappings, got " + JsText.typeOf(list),
          "see mappings/presets.json for an example");
    }
    if (list.isEmpty()) {
      throw file.error("\"mappings\" is empty, so nothing would ever be sent",
          "add a mapping, or configure no mappings file to use the presets");
    }
    if (list.size() > Mappings.MAX_MAPPINGS) {
      throw file.error("there are " + list.size() + " mappings; at most " + Mappings.MAX_MAPPINGS + " are allowed",
          "merge mappings that share an action (one trigger can use or), or remove unused ones");
    }
    List<CompiledMapping> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(entry(file, i, list.get(i)));
    }
    return List.copyOf(out);
  }

  private static CompiledMapping entry(ConfigContext file, int index, JsonNode entry) {
    JsonNode nameNode = entry.isObject() ? entry.get("name") : null;
    String name = nameNode != null && nameNode.isTextual() && !nameNode.textValue().isBlank()
        ? nameNode.textValue()
        : null;
    ConfigContext ctx = file.mapping(index, name);
    if (!entry.isObject()) {
      throw ctx.error("a mapping must be an object, got " + JsText.typeOf(entry), null);
    }
    for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!ENTRY_KEYS.contains(key)) {
        throw ctx.error(key, "unknown key", "a mapping has only " + ENTRY_KEYS);
      }
    }
    if (name == null) {
      String problem = nameNode == null || nameNode.isTextual()
          ? "missing or blank"
          : "must be text, got " + JsText.describe(nameNode);
      throw ctx.error("name", problem, "give the mapping a name; it appears in logs and dead letters");
    }
    JsonNode enabled = entry.get("enabled");
    if (enabled != null && !enabled.isBoolean()) {
      throw ctx.error("enabled", "must be true or false, got " + JsText.describe(enabled), null);
    }
    Action action = action(ctx, entry.get("action"));
    Trigger trigger = trigger(ctx, entry.get("subscribe"));
    JsonNode mapping = entry.get("mapping");
    if (mapping != null && !mapping.isObject()) {
      throw ctx.error("mapping", "must be an object of fields, got " + JsText.typeOf(mapping),
          "e.g. \"mapping\": {\"userId\": {\"@path\": \"$.userId\"}}");
    }
    ObjectNode fields = mapping == null ? Json.object() : (ObjectNode) mapping;
    return CompiledMapping.compile(ctx, name, enabled == null || enabled.booleanValue(), trigger, action, fields);
  }

  private static Action action(ConfigContext ctx, JsonNode node) {
    if (node == null || !node.isTextual()) {
      throw ctx.error("action", node == null ? "missing" : "must be a string, got " + JsText.describe(node),
          "use one of " + Actions.keys());
    }
    return Actions.byKey(node.textValue()).orElseThrow(() -> ctx.error("action",
        "\"" + node.textValue() + "\" is not an action of this destination", "use one of " + Actions.keys()));
  }

  private static Trigger trigger(ConfigContext ctx, JsonNode node) {
    if (node == null || !node.isTextual()) {
      throw ctx.error("subscribe", node == null ? "missing" : "must be a string, got " + JsText.describe(node),
          "write a trigger such as \"type = \\\"track\\\"\"");
    }
    try {
      return Trigger.parse(node.textValue());
    } catch (TriggerSyntaxException e) {
      throw new MappingConfigException(ctx.error("subscribe", e.getMessage(),
          "fix the trigger; its grammar is in mappings/README.md").getMessage(), e);
    }
  }

  private static JsonNode readJson(String json, ConfigContext file) {
    if (json == null || json.isBlank()) {
      throw file.error("the mappings file is empty", "see mappings/presets.json for the format");
    }
    try {
      return Json.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw new MappingConfigException(
          file.error("not valid JSON" + where + ": " + e.getOriginalMessage(), null).getMessage(), e);
    }
  }
}
