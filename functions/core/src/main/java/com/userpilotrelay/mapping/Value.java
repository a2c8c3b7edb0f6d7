package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A compiled piece of a mapping: a literal, an object or array of pieces, or a directive. Resolving
 * gives a JSON value, or Java null for "nothing" (mapping-kit's {@code undefined}): a key whose
 * value resolves to nothing is left out of its object.
 */
interface Value {
  /**
   * @return the value for this event, or null when it resolves to nothing
   * @throws MappingFailure when this event cannot be mapped (e.g. a string @json cannot decode)
   */
  JsonNode resolve(JsonNode event);

  /** The value when it never depends on the event, so it can be checked once at start-up. */
  default Optional<JsonNode> constant() {
    return Optional.empty();
  }

  /** A plain JSON scalar (string, number, boolean, null) written in the mapping. */
  record Literal(JsonNode value) implements Value {
    @Override
    public JsonNode resolve(JsonNode event) {
      return value;
    }

    @Override
    public Optional<JsonNode> constant() {
      return Optional.of(value);
    }
  }

  /** A plain object: each key resolved on its own; keys resolving to nothing are dropped. */
  record ObjectOf(Map<String, Value> entries) implements Value {
    @Override
    public JsonNode resolve(JsonNode event) {
      ObjectNode out = Json.object();
      entries.forEach((key, value) -> {
        JsonNode v = value.resolve(event);
        if (v != null) {
          out.set(key, v);
        }
      });
      return out;
    }

    @Override
    public Optional<JsonNode> constant() {
      boolean fixed = entries.values().stream().allMatch(v -> v.constant().isPresent());
      return fixed ? Optional.of(resolve(NullNode.instance)) : Optional.empty();
    }
  }

  /** A plain array; an item resolving to nothing becomes null, as it does in Segment's JSON. */
  record ArrayOf(List<Value> items) implements Value {
    @Override
    public JsonNode resolve(JsonNode event) {
      ArrayNode out = Json.MAPPER.createArrayNode();
      for (Value item : items) {
        JsonNode v = item.resolve(event);
        out.add(v == null ? NullNode.instance : v);
      }
      return out;
    }

    @Override
    public Optional<JsonNode> constant() {
      boolean fixed = items.stream().allMatch(v -> v.constant().isPresent());
      return fixed ? Optional.of(resolve(NullNode.instance)) : Optional.empty();
    }
  }
}
