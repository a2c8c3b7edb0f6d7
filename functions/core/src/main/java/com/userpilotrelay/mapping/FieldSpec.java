package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.json.Json;

/**
 * One field of an action, as in Segment's action definitions: its kind, whether the request needs
 * it, and the mapping used when a mappings file leaves it out (the preset default).
 */
record FieldSpec(String name, FieldKind kind, boolean required, JsonNode defaultMapping) {
  static FieldSpec required(String name, FieldKind kind, String defaultMappingJson) {
    return new FieldSpec(name, kind, true, Json.parse(defaultMappingJson));
  }

  static FieldSpec optional(String name, FieldKind kind, String defaultMappingJson) {
    return new FieldSpec(name, kind, false, Json.parse(defaultMappingJson));
  }
}
