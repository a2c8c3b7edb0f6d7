package com.userpilotrelay.segment;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
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
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The three body shapes Segment sends — one event, a JSON array of events, or the HTTP API's
 * {@code {"batch": [...]}} — read in one streaming pass; each event carries its size as it will be queued
 * (for the per-event size limit; the signed bytes are found by {@link #signedBytesOf}).
 */
public final class SegmentBody {
  /** The shape a body arrived in. */
  public enum Shape { SINGLE, ARRAY, BATCH_OBJECT }

  /**
   * One event as it arrived.
   *
   * @param index position in the request, as the user sees it in errors
   * @param node the event after batch context merging (not necessarily an object); an event whose merged
   *     form is over {@link SegmentLimits#MAX_EVENT_BYTES} is kept as it stood in the batch, so that its
   *     quarantined copy does not carry a shared context that is the same for every event
   * @param rawBytes its size as it will be queued: compact UTF-8 JSON, with the batch's shared context
   *     and integrations merged in (the per-event limit is about what reaches the queue, not the
   *     spacing of the body)
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
          + "-byte request limit; " + SegmentLimits.BATCH_ADVICE, true);
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
        result = readObject(parser);
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
      JsonNode node = parser.readValueAsTree();
      events.add(new RawEvent(events.size(), node, queuedSize(node)));
    }
    return new SegmentBody(Shape.ARRAY, List.copyOf(events));
  }

  private static SegmentBody readObject(JsonParser parser) throws IOException, BodyException {
    JsonNode root = parser.readValueAsTree();
    JsonNode batch = root.get("batch");
    boolean typed = root.has("type");
    if (batch != null && typed) {
      // Read as one event, the batch would be dropped with a 200; read as a batch, the top-level event would.
      throw new BodyException("body: has both \"batch\" and a top-level \"type\", so it is neither clearly one"
          + " event nor clearly a batch; send one event, or {\"batch\": [...]} without a top-level type", false);
    }
    if (batch == null) {
      return new SegmentBody(Shape.SINGLE, List.of(new RawEvent(0, root, queuedSize(root))));
    }
    if (!batch.isArray()) {
      throw new BodyException("batch: must be an array of events, found " + batch.getNodeType().name().toLowerCase(), false);
    }
    if (batch.size() > SegmentLimits.MAX_EVENTS_PER_REQUEST) {
      throw tooMany();
    }
    SharedFields shared = new SharedFields(root.get("context"), root.get("integrations"));
    List<RawEvent> events = new ArrayList<>(batch.size());
    for (JsonNode event : batch) {
      events.add(shared.merged(events.size(), event));
    }
    return new SegmentBody(Shape.BATCH_OBJECT, List.copyOf(events));
  }

  /** Compact UTF-8 JSON length: what the queue will hold for this event, give or take its messageId. */
  private static int queuedSize(JsonNode node) {
    return Json.writeBytes(node).length;
  }

  /**
   * A batch object's top-level context and integrations, merged into each event (the event's own keys
   * win). The merged event shares the shared subtrees rather than copying them (nothing downstream
   * changes them), and its size is computed from sizes measured once per request: a 3 MB shared context
   * on 4,000 events costs one serialization of the context, not 4,000 copies (12 GB).
   */
  private static final class SharedFields {
    private final ObjectNode context;
    private final ObjectNode integrations;
    /** Serialized sizes of the shared nodes and their top-level entries, by identity. */
    private final Map<JsonNode, Integer> sizes = new IdentityHashMap<>();
    /** Nodes built here by merging, whose size is the sum of their parts. */
    private final Set<JsonNode> built = Collections.newSetFromMap(new IdentityHashMap<>());

    SharedFields(JsonNode context, JsonNode integrations) {
      this.context = context instanceof ObjectNode o ? o : null;
      this.integrations = integrations instanceof ObjectNode o ? o : null;
      for (ObjectNode shared : new ObjectNode[] {this.context, this.integrations}) {
        if (shared != null) {
          sizes.put(shared, queuedSize(shared));
          shared.properties().forEach(entry -> sizes.put(entry.getValue(), queuedSize(entry.getValue())));
        }
      }
    }

    RawEvent merged(int index, JsonNode event) {
      if (!(event instanceof ObjectNode object) || (context == null && integrations == null)) {
        return new RawEvent(index, event, queuedSize(event));
      }
      ObjectNode merged = Json.MAPPER.createObjectNode();
      merged.setAll(object);
      mergeInto(merged, "context", context);
      mergeInto(merged, "integrations", integrations);
      built.add(merged);
      int size = sizeOf(merged);
      return new RawEvent(index, size > SegmentLimits.MAX_EVENT_BYTES ? event : merged, size);
    }

    private void mergeInto(ObjectNode event, String field, ObjectNode shared) {
      if (shared == null) {
        return;
      }
      JsonNode own = event.get(field);
      if (own == null || own.isNull()) {
        event.set(field, shared);
      } else if (own instanceof ObjectNode ownObject) {
        ObjectNode combined = Json.MAPPER.createObjectNode();
        combined.setAll(ownObject);
        for (Map.Entry<String, JsonNode> entry : shared.properties()) {
          if (!combined.has(entry.getKey())) {
            combined.set(entry.getKey(), entry.getValue());
          }
        }
        built.add(combined);
        event.set(field, combined);
      }
    }

    private int sizeOf(JsonNode node) {
      Integer known = sizes.get(node);
      if (known != null) {
        return known;
      }
      if (!built.contains(node)) {
        return queuedSize(node);
      }
      int size = 2 + Math.max(0, node.size() - 1);
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        size += queuedSize(TextNode.valueOf(field.getKey())) + 1 + sizeOf(field.getValue());
      }
      return size;
    }
  }

  private static BodyException tooMany() {
    return new BodyException("body: more than " + SegmentLimits.MAX_EVENTS_PER_REQUEST
        + " events in one request (Segment's largest batch); lower Batch Size (batch_size) in the Segment"
        + " Webhooks (Actions) mapping", true);
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
