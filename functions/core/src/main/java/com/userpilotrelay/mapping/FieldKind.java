package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * What an action field accepts once its mapping is resolved. Returns the value to use, or null for
 * "not set"; throws {@link MappingFailure} (without a field name, the caller adds it) when the value
 * cannot be used at all.
 */
enum FieldKind {
  /** Ids and names: strings as they are, numbers as their text (12345 -> "12345"); blank is not set. */
  STRING {
    @Override
    JsonNode coerce(JsonNode v) {
      if (JsText.isBlank(v)) {
        return null;
      }
      if (v.isTextual()) {
        return v;
      }
      if (v.isNumber()) {
        return TextNode.valueOf(JsText.number(v));
      }
      throw new MappingFailure(null, JsText.describe(v) + " is not text (a string or number is expected)");
    }
  },
  /** createdAt: forwarded unchanged when date-like (see {@link DateLike}); blank is not set. */
  DATETIME {
    @Override
    JsonNode coerce(JsonNode v) {
      if (JsText.isBlank(v)) {
        return null;
      }
      if (DateLike.test(v)) {
        return v;
      }
      throw new MappingFailure(null, JsText.describe(v) + " is not a date (ISO-8601 or epoch number expected)");
    }
  },
  /** traits, properties: an object; null is not set. */
  OBJECT {
    @Override
    JsonNode coerce(JsonNode v) {
      if (v == null || v.isNull()) {
        return null;
      }
      if (v.isObject()) {
        return v;
      }
      throw new MappingFailure(null, JsText.describe(v) + " is " + JsText.typeOf(v) + ", not an object");
    }
  };

  abstract JsonNode coerce(JsonNode value);
}
