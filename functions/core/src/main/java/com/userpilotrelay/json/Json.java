package com.userpilotrelay.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The project's one JSON configuration. Input is untrusted, so the parser is strict and bounded. */
public final class Json {
  /** Deep enough for any real Segment payload; shallow enough that hostile nesting is refused cheaply. */
  public static final int MAX_NESTING_DEPTH = 64;

  public static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_NESTING_DEPTH)
                  .maxNumberLength(100)
                  .maxStringLength(1_000_000)
                  .build())
          .build();

  public static final ObjectMapper MAPPER =
      JsonMapper.builder(FACTORY)
          // Two values for one key would let a signed body mean two different things.
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          // Keep 39.95 exactly as sent instead of rounding it through a double.
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .build();

  /**
   * Queue bodies are ASCII-only: SQS refuses some Unicode code points (and lone surrogates) that JSON
   * allows, and escaping them keeps every valid event storable. Userpilot still receives UTF-8.
   */
  private static final com.fasterxml.jackson.databind.ObjectWriter ASCII_WRITER =
      MAPPER.writer().with(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII);

  private Json() {}

  public static String writeAscii(JsonNode value) {
    try {
      return ASCII_WRITER.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  public static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode parse(byte[] json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] writeBytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
