package com.userpilotrelay.mapping;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.TextNode;
import com.userpilotrelay.json.Json;

/**
 * {@code {"@json": {"mode": "encode"|"decode", "value": v}}}. encode: the value as compact JSON text
 * (nothing stays nothing). decode: a string parsed as JSON (other values pass unchanged); a string
 * that is not JSON makes the event undeliverable, as it makes Segment's action fail.
 */
final class JsonDirective implements Value {
  /** Like JSON.parse: "1 2" is an error, not 1. */
  private static final ObjectReader READER =
      Json.MAPPER.readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final boolean encode;
  private final Value value;
  private final String at;

  private JsonDirective(boolean encode, Value value, String at) {
    this.encode = encode;
    this.value = value;
    this.at = at;
  }

  static Value compile(DirectiveCompiler c, JsonNode raw, String at) {
    Options o = Options.of(c.context(), "@json", at, raw, "mode", "value");
    String mode = o.requireString("mode", "use \"encode\" (value to JSON text) or \"decode\" (JSON text to value)",
        "encode", "decode");
    JsonNode value = o.require("value", "add \"value\": {\"@path\": \"$.traits.tags\"}");
    return new JsonDirective(mode.equals("encode"), c.compile(value, o.at("value")), at);
  }

  @Override
  public JsonNode resolve(JsonNode event) {
    JsonNode v = value.resolve(event);
    if (v == null) {
      return null;
    }
    if (encode) {
      return TextNode.valueOf(Json.write(v));
    }
    if (!v.isTextual()) {
      return v;
    }
    JsonNode decoded;
    try {
      decoded = READER.readTree(v.textValue());
    } catch (JsonProcessingException e) {
      throw new MappingFailure(at, JsText.describe(v) + " is not valid JSON (" + e.getOriginalMessage() + ")");
    }
    if (decoded == null || decoded.isMissingNode()) {
      throw new MappingFailure(at, JsText.describe(v) + " is not valid JSON (no value in it)");
    }
    return decoded;
  }
}
