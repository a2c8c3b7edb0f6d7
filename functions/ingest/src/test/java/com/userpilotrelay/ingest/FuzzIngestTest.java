package com.userpilotrelay.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.queue.QueueMessage;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.testing.RecordingQueue;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Ingest under random input, through IngestService with an in-memory queue for speed (the corpus test
 * covers the real handler and SQS). For every input: no exception escapes; the status is 2xx or 4xx;
 * a 2xx queues only events that pass EventValidator, once each, and quarantines exactly the rejected
 * ones; a 4xx queues nothing on the events queue.
 */
class FuzzIngestTest {
  private static final String SECRET = "fuzz-secret";
  private static final String TOKEN = "fuzz-token";

  @BeforeContainer
  static void quiet() {
    Log.redirect(new PrintStream(OutputStream.nullOutputStream()));
  }

  @AfterContainer
  static void loud() {
    Log.redirect(null);
  }

  /** Sends the body signed (when a signature can be computed) or without credentials, and checks it. */
  private static void check(byte[] body, boolean credentials) {
    RecordingQueue queue = new RecordingQueue();
    IngestService service = new IngestService(new RequestAuthenticator(Optional.of(SECRET), Optional.of(TOKEN)), queue);
    Map<String, String> headers = new HashMap<>();
    headers.put("Content-Type", "application/json");
    if (credentials) {
      byte[] signed = SegmentBody.signedBytesOf(body);
      if (signed != null) {
        headers.put("X-Signature", RequestAuthenticator.sign(SECRET, signed));
      }
      headers.put("Authorization", "Bearer " + TOKEN);
    }
    IngestResponse response;
    try {
      response = service.handle(new IngestRequest(headers, body));
    } catch (RuntimeException e) {
      throw new AssertionError("an exception escaped ingest for " + preview(body), e);
    }
    int status = response.status();
    if (status / 100 != 2 && status / 100 != 4) {
      throw new AssertionError("status " + status + " " + response.body() + " for " + preview(body));
    }
    Statistics.label("status").collect(status);
    JsonNode answer = Json.parse(response.body());
    if (status / 100 == 4) {
      if (!queue.enqueued.isEmpty()) {
        throw new AssertionError(status + " but " + queue.enqueued.size() + " events queued for " + preview(body));
      }
    } else {
      Set<String> ids = new HashSet<>();
      for (QueueMessage m : queue.enqueued) {
        JsonNode event = Json.parse(m.body());
        List<String> errors = EventValidator.validate(event, 0);
        if (!errors.isEmpty()) {
          throw new AssertionError("queued an invalid event " + m.body() + ": " + errors);
        }
        if (!ids.add(m.attributes().get("messageId"))) {
          throw new AssertionError("queued messageId twice: " + m.attributes().get("messageId"));
        }
      }
      if (answer.get("accepted").asInt() != queue.enqueued.size()) {
        throw new AssertionError("accepted " + answer.get("accepted") + " but queued " + queue.enqueued.size());
      }
    }
    if (answer.path("rejected").size() != queue.rejected.size()) {
      throw new AssertionError("rejected " + answer.path("rejected").size() + " but quarantined "
          + queue.rejected.size() + " for " + preview(body));
    }
    for (QueueMessage m : queue.rejected) {
      if (!"ingest".equals(m.attributes().get("stage")) || m.attributes().getOrDefault("reason", "").isBlank()) {
        throw new AssertionError("quarantined without stage=ingest and a reason: " + m.attributes());
      }
    }
  }

  private static String preview(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8);
    return body.length + " bytes: " + (text.length() > 300 ? text.substring(0, 300) + "…" : text);
  }

  // ------------------------------------------------------------------ arbitrary bytes

  @Property(tries = 1000)
  void arbitraryBytes(@ForAll("bytes") byte[] body, @ForAll boolean credentials) {
    check(body, credentials);
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(2000);
    // Random bytes behind a JSON-looking start, so some get past the first byte.
    Arbitrary<byte[]> prefixed = Combinators.combine(Arbitraries.of("[", "{", "{\"batch\":[", "[{\"type\":\"track\","),
        random).as((prefix, tail) -> concat(prefix.getBytes(StandardCharsets.UTF_8), tail));
    return Arbitraries.oneOf(random, prefixed);
  }

  // ------------------------------------------------------------------ JSON-ish text from grammar fragments

  @Property(tries = 1000)
  void jsonishText(@ForAll("jsonish") String body, @ForAll boolean credentials) {
    check(body.getBytes(StandardCharsets.UTF_8), credentials);
  }

  @Provide
  Arbitrary<String> jsonish() {
    Arbitrary<String> fragment = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.of("{", "}", "[", "]", ",", ":", "\"", " ", "\n")),
        net.jqwik.api.Tuple.of(5, Arbitraries.of("\"type\"", "\"identify\"", "\"track\"", "\"group\"", "\"page\"",
            "\"delete\"", "\"userId\"", "\"anonymousId\"", "\"messageId\"", "\"event\"", "\"groupId\"", "\"traits\"",
            "\"properties\"", "\"batch\"", "\"context\"", "\"u\"", "\"\"", "\"  \"")),
        net.jqwik.api.Tuple.of(3, Arbitraries.of("0", "-0", "1.5", "1e999", "-1e-999", "1e99999999999", "9".repeat(120),
            "012", "NaN", "true", "false", "null", "nul", "1.", ".5")),
        net.jqwik.api.Tuple.of(2, Arbitraries.of("\"\\uD800\"", "\"\\uDC00x\"", "\"\\u0000\"", "\"\\ud83d\\ude00\"",
            "\"\\x\"", "\"\\u12\"", "\"Zoë ✓\"", "\"\t\"", "\uFEFF", "/*c*/", "'s'")),
        net.jqwik.api.Tuple.of(2, Arbitraries.strings().ofMaxLength(6)));
    return fragment.list().ofMaxSize(80).map(parts -> String.join("", parts));
  }

  // ------------------------------------------------------------------ events with random field types

  @Property(tries = 800)
  void eventsWithRandomFieldTypes(@ForAll("bodies") String body) {
    check(body.getBytes(StandardCharsets.UTF_8), true);
  }

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<List<ObjectNode>> events = event().list().ofMinSize(1).ofMaxSize(6);
    return Combinators.combine(events, Arbitraries.integers().between(0, 2)).as((list, shape) -> {
      if (shape == 0) {
        return Json.write(list.get(0));
      }
      ArrayNode array = Json.MAPPER.createArrayNode();
      list.forEach(array::add);
      if (shape == 1) {
        return Json.write(array);
      }
      ObjectNode batch = Json.object();
      batch.set("batch", array);
      batch.putObject("context").put("library", "fuzz");
      return Json.write(batch);
    });
  }

  /** Half the events are random; half are valid skeletons with up to two fields overwritten at random. */
  private Arbitrary<ObjectNode> event() {
    return Arbitraries.oneOf(randomEvent(), nearlyValidEvent());
  }

  private Arbitrary<ObjectNode> nearlyValidEvent() {
    List<String> fields = List.of("type", "userId", "anonymousId", "messageId", "event", "groupId", "traits", "properties");
    Arbitrary<String> type = Arbitraries.of("identify", "track", "group", "page", "screen", "alias", "delete");
    Arbitrary<Map<String, JsonNode>> overrides = Arbitraries.maps(Arbitraries.of(fields), value()).ofMaxSize(2);
    Arbitrary<String> id = Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(12);
    return Combinators.combine(type, id, overrides, Arbitraries.of(true, false)).as((t, user, map, withId) -> {
      ObjectNode event = Json.object().put("type", t).put("userId", user);
      if (withId) {
        event.put("messageId", "m-" + user);
      }
      switch (t) {
        case "track" -> event.put("event", "Clicked").putObject("properties").put("n", 1);
        case "group" -> event.put("groupId", "g-" + user).putObject("traits").put("plan", "pro");
        case "identify" -> event.putObject("traits").put("email", user + "@example.com");
        default -> { }
      }
      map.forEach(event::set);
      return event;
    });
  }

  private Arbitrary<ObjectNode> randomEvent() {
    List<String> fields = List.of("type", "userId", "anonymousId", "messageId", "event", "groupId", "traits", "properties");
    Arbitrary<JsonNode> type = Arbitraries.oneOf(
        Arbitraries.of("identify", "track", "group", "page", "screen", "alias", "delete", "Identify", "", "batch")
            .map(JsonNodeFactory.instance::textNode),
        value());
    Arbitrary<Map<String, JsonNode>> others = Arbitraries.maps(Arbitraries.of(fields), value()).ofMaxSize(fields.size());
    return Combinators.combine(type, others, Arbitraries.integers().between(0, 3)).as((t, map, drop) -> {
      ObjectNode event = Json.object();
      if (drop != 0) {
        event.set("type", t);
      }
      map.forEach((k, v) -> {
        if (!k.equals("type")) {
          event.set(k, v);
        }
      });
      return event;
    });
  }

  /** Any JSON value, weighted towards what the validator has to tell apart. */
  private Arbitrary<JsonNode> value() {
    JsonNodeFactory f = JsonNodeFactory.withExactBigDecimals(true);
    Arbitrary<JsonNode> text = Arbitraries.oneOf(
        Arbitraries.of("", " ", "\t\n", "u", "Zoë ✓", "\uD800", "a\uDC00", "\u0000", "\uFFFF", "m".repeat(101),
            "\uD83D\uDE00", "identify"),
        Arbitraries.strings().ofMaxLength(20)).map(f::textNode);
    Arbitrary<JsonNode> number = Arbitraries.oneOf(
        Arbitraries.integers().map(i -> (JsonNode) f.numberNode(i)),
        Arbitraries.of("0", "-0", "1.5", "1e308", "2e308", "1e999999", "-1e-999999", "5e-324", "1e-400")
            .map(s -> (JsonNode) f.numberNode(new BigDecimal(s))));
    Arbitrary<JsonNode> scalar = Arbitraries.oneOf(text, number,
        Arbitraries.of(f.booleanNode(true), f.booleanNode(false), f.nullNode()));
    Arbitrary<JsonNode> array = scalar.list().ofMaxSize(3).map(list -> {
      ArrayNode a = f.arrayNode();
      list.forEach(a::add);
      return a;
    });
    Arbitrary<JsonNode> object = Arbitraries.maps(Arbitraries.of("a", "plan", "createdAt", "\uD83D\uDE00", ""),
        Arbitraries.oneOf(scalar, array)).ofMaxSize(3).map(map -> {
          ObjectNode o = f.objectNode();
          map.forEach(o::set);
          return o;
        });
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, text), net.jqwik.api.Tuple.of(2, number),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(f.booleanNode(true), f.nullNode())),
        net.jqwik.api.Tuple.of(1, array), net.jqwik.api.Tuple.of(3, object));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
