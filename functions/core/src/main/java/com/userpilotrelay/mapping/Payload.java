package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** An action's fields after mapping and checking: present only when set, already of their kind. */
record Payload(Map<String, JsonNode> values) {
  JsonNode get(String field) {
    return values.get(field);
  }

  String text(String field) {
    JsonNode v = values.get(field);
    return v == null ? null : v.textValue();
  }

  ObjectNode object(String field) {
    return (ObjectNode) values.get(field);
  }
}
