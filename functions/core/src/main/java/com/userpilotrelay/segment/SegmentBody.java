package com.userpilotrelay.segment;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The three body shapes Segment sends — one event, a JSON array of events, or the HTTP API's
 * {@code {"batch": [...]}} — read in one streaming pass that also records where each event stands in
 * the raw bytes (for the per-event size limit; the signed bytes are found by {@link #signedBytesOf}).
 */
public final class SegmentBody {
  /** The shape a body arrived in. */
  public enum Shape { SINGLE, ARRAY, BATCH_OBJECT }

  /**
   * One event as it arrived.
   *
   * @param index position in the request, as the user sees it in errors
   * @param node the event after batch context merging (not necessarily an object)
   * @param rawBytes how many bytes it took in the body
   */
  public record RawEvent(int index, JsonNode node, int rawBytes) {}

  private final Shape shape;
  private final List<RawEvent> events;

  private SegmentBody(Shape shape, List<RawEvent> events) {
    this.shape = shape;
    this.events = events;
  }

  public Shape shape() {
    return shape;
  }

  public List<RawEvent> events() {
    return events;
  }


  /**
   * The bytes an {@code X-Signature} covers, found without reading the whole body: for an array, the
   * first element exactly as it stands. Null when the first element never ends (the body is truncated).
   *
   * <p>A plain byte scan (strings and brackets), not the JSON parser: the span must be found even when
   * the element breaks a parser limit (nesting depth, number length, duplicate keys), so that a correctly
   * signed request is told what is wrong with it instead of "unauthorized". Whether the bytes are good
   * JSON is the parser's question, asked after authentication.
   */
  public static byte[] signedBytesOf(byte[] body) {
    int first = firstNonWhitespace(body);
    if (first < 0 || body[first] != '[') {
      return body;
    }
    int start = skipWhitespace(body, first + 1);
    if (start >= body.length) {
      return null;
    }
    if (body[start] == ']') {
      return body;
    }
    int end = endOfValue(body, start);
    return end < 0 ? null : Arrays.copyOfRange(body, start, end);
  }

  /** The index just past the JSON value starting at {@code start}, or -1 when the body ends first. */
  private static int endOfValue(byte[] body, int start) {
    byte b = body[start];
    if (b == '{' || b == '[') {
      int depth = 0;
      boolean inString = false;
      for (int i = start; i < body.length; i++) {
        byte c = body[i];
        if (inString) {
          if (c == '\\') {
            i++;
          } else if (c == '"') {
            inString = false;
          }
        } else if (c == '"') {
          inString = true;
        } else if (c == '{' || c == '[') {
          depth++;
        } else if (c == '}' || c == ']') {
          if (--depth == 0) {
            return i + 1;
          }
        }
      }
      return -1;
    }
    if (b == '"') {
      for (int i = start + 1; i < body.length; i++) {
        if (body[i] == '\\') {
          i++;
        } else if (body[i] == '"') {
          return i + 1;
        }
      }
      return -1;
    }
    // A bare scalar (number, true, false, null, or junk): it ends where the array goes on.
    for (int i = start; i < body.length; i++) {
      byte c = body[i];
      if (c == ',' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        return i;
      }
    }
    return -1;
  }

  /** Reads a decoded request body; the caller has already bounded its size. */
  public static SegmentBody parse(byte[] body) throws BodyException {
    if (body.length > SegmentLimits.MAX_REQUEST_BYTES) {
      throw new BodyException("body: " + body.length + " bytes is over the " + SegmentLimits.MAX_REQUEST_BYTES
          + "-byte request limit; send smaller batches", true);
    }
    if (firstNonWhitespace(body) < 0) {
      throw new BodyException("body: empty; send one Segment event, an array of events, or {\"batch\": [...]}", false);
    }
    requireUtf8(body);
    JsonParser parser = null;
    try {
      parser = Json.MAPPER.createParser(body);
      JsonToken first = parser.nextToken();
      SegmentBody result;
      if (first == JsonToken.START_ARRAY) {
        result = readArray(parser);
      } else if (first == JsonToken.START_OBJECT) {
        result = readObject(parser, body);
      } else {
        throw new BodyException("body: must be a JSON object or array, found " + describe(first), false);
      }
      JsonToken trailing = parser.nextToken();
      if (trailing != null) {
        throw new BodyException("body: unexpected content after the JSON value at " + at(parser.currentTokenLocation())
            + "; send exactly one JSON value", false);
      }
      if (result.events.isEmpty()) {
        throw new BodyException("body: contains no events; send at least one", false);
      }
      return result;
    } catch (JsonProcessingException e) {
      // Limit breaches (depth, number length) carry no location of their own: use where the parser stopped.
      JsonLocation where = e.getLocation() != null ? e.getLocation() : parser == null ? null : parser.currentLocation();
      throw new BodyException("body: malformed JSON at " + at(where) + ": " + firstLine(e.getOriginalMessage()), false);
    } catch (NumberFormatException e) {
      // Jackson reads big decimals itself and throws this for exponents past what BigDecimal can hold.
      JsonLocation where = parser == null ? null : parser.currentLocation();
      throw new BodyException("body: a number at " + at(where) + " is out of range; send numbers a JavaScript"
          + " number can hold", false);
    } catch (IOException e) {
      throw new BodyException("body: unreadable: " + firstLine(e.getMessage()), false);
    } finally {
      if (parser != null) {
        try {
          parser.close();
        } catch (IOException ignored) {
          // a byte-array parser has nothing to release
        }
      }
    }
  }

  /**
   * JSON between systems is UTF-8 (RFC 8259). Checked before parsing because the parser would otherwise
   * guess UTF-16 or UTF-32 from NUL bytes, and would accept overlong and surrogate encodings that no
   * UTF-8 encoder produces. Ingest also calls it before authentication: the encoding, like the size and
   * the content type, is a property of the bytes, and without it "the first element" is not defined.
   */
  public static void requireUtf8(byte[] body) throws BodyException {
    for (int i = 0; i < body.length; i++) {
      if (body[i] == 0) {
        throw new BodyException("body: a NUL byte at byte " + i + "; send JSON as UTF-8 text (not UTF-16 or UTF-32)",
            false);
      }
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(body);
    CharBuffer out = CharBuffer.allocate(8192);
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isError()) {
        throw new BodyException("body: not valid UTF-8 at byte " + in.position() + "; send JSON as UTF-8 text", false);
      }
      if (result.isUnderflow()) {
        return;
      }
      out.clear();
    }
  }

  private static SegmentBody readArray(JsonParser parser) throws IOException, BodyException {
    List<RawEvent> events = new ArrayList<>();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      if (parser.currentToken() == null) {
        throw new BodyException("body: the array is not closed; the JSON ends early", false);
      }
      if (events.size() >= SegmentLimits.MAX_EVENTS_PER_REQUEST) {
        throw tooMany();
      }
      int start = (int) parser.currentTokenLocation().getByteOffset();
      JsonNode node = parser.readValueAsTree();
      int end = (int) parser.currentLocation().getByteOffset();
      events.add(new RawEvent(events.size(), node, end - start));
    }
    return new SegmentBody(Shape.ARRAY, List.copyOf(events));
  }

  private static SegmentBody readObject(JsonParser parser, byte[] body) throws IOException, BodyException {
    JsonNode root = parser.readValueAsTree();
    JsonNode batch = root.get("batch");
    if (batch == null || !root.path("type").isMissingNode()) {
      return new SegmentBody(Shape.SINGLE, List.of(new RawEvent(0, root, body.length)));
    }
    if (!batch.isArray()) {
      throw new BodyException("batch: must be an array of events, found " + batch.getNodeType().name().toLowerCase(), false);
    }
    if (batch.size() > SegmentLimits.MAX_EVENTS_PER_REQUEST) {
      throw tooMany();
    }
    JsonNode context = root.get("context");
    JsonNode integrations = root.get("integrations");
    List<RawEvent> events = new ArrayList<>(batch.size());
    for (JsonNode event : batch) {
      // The element's raw span is not kept by the tree; its compact form is the closest honest measure.
      int size = Json.writeBytes(event).length;
      events.add(new RawEvent(events.size(), merge(event, context, integrations), size));
    }
    return new SegmentBody(Shape.BATCH_OBJECT, List.copyOf(events));
  }

  /** Top-level context and integrations apply to every event; the event's own keys win. */
  private static JsonNode merge(JsonNode event, JsonNode context, JsonNode integrations) {
    if (!(event instanceof ObjectNode object)) {
      return event;
    }
    mergeInto(object, "context", context);
    mergeInto(object, "integrations", integrations);
    return object;
  }

  private static void mergeInto(ObjectNode event, String field, JsonNode shared) {
    if (shared == null || !shared.isObject()) {
      return;
    }
    JsonNode own = event.get(field);
    if (own == null || own.isNull()) {
      event.set(field, shared.deepCopy());
    } else if (own instanceof ObjectNode ownObject) {
      for (Iterator<Map.Entry<String, JsonNode>> it = shared.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        if (!ownObject.has(entry.getKey())) {
          ownObject.set(entry.getKey(), entry.getValue().deepCopy());
        }
      }
    }
  }

  private static BodyException tooMany() {
    return new BodyException("body: more than " + SegmentLimits.MAX_EVENTS_PER_REQUEST
        + " events in one request; split the batch", true);
  }

  private static int firstNonWhitespace(byte[] body) {
    int i = skipWhitespace(body, 0);
    return i < body.length ? i : -1;
  }

  private static int skipWhitespace(byte[] body, int from) {
    for (int i = from; i < body.length; i++) {
      byte b = body[i];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return i;
      }
    }
    return body.length;
  }

  private static String describe(JsonToken token) {
    if (token == null) {
      return "nothing";
    }
    return switch (token) {
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> token.asString() == null ? token.name() : "'" + token.asString() + "'";
    };
  }

  private static String at(JsonLocation location) {
    if (location == null) {
      return "an unknown position";
    }
    return "line " + location.getLineNr() + ", column " + location.getColumnNr()
        + " (byte " + location.getByteOffset() + ")";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }
}
