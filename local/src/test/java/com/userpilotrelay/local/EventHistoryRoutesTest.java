package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.await;
import static com.userpilotrelay.local.RelayHttp.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /events/{messageId} ("where is my event?") over real HTTP: events go in signed through POST /segment,
 * the real dispatcher sends them to the stand-in Userpilot, and the answer must tell the path the stand-in
 * saw — accepted, each call with the exact request and Userpilot's status, each outcome.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventHistoryRoutesTest {
  private static final String SECRET = "history-routes-secret";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path dataDir;

  private final StandInUserpilot standIn = new StandInUserpilot();
  /** Subjects answered 500 this many times before they are accepted. */
  private final Map<String, AtomicInteger> failFirst = new ConcurrentHashMap<>();
  /** Subjects refused with 422 (dead-lettered at once). */
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private LocalRelay.Running relay;
  private RelayHttp http;

  EventHistoryRoutesTest() {
    standIn.answer(call -> {
      String subject = call.subject();
      if (subject != null && refused.contains(subject)) {
        return Reply.status(422);
      }
      AtomicInteger left = subject == null ? null : failFirst.get(subject);
      return left != null && left.getAndDecrement() > 0 ? Reply.status(500) : Reply.accepted();
    });
  }

  @BeforeAll
  void start() {
    Map<String, String> env = RelayHttp.settings(standIn, dataDir);
    env.put("SEGMENT_SHARED_SECRET", SECRET);
    env.put("RETRY_BASE_SECONDS", "1");
    relay = LocalRelay.start(Env.of(env));
    http = new RelayHttp(relay.url());
  }

  @AfterAll
  void stop() {
    if (relay != null) {
      relay.stop();
    }
    standIn.close();
  }

  private List<String> deadLetterIds() {
    List<String> ids = new java.util.ArrayList<>();
    http.get("/dead-letters").json().get("deadLetters").forEach(d -> ids.add(d.path("messageId").asText()));
    return ids;
  }

  private String postIdentify(String user, String messageId) {
    String body = "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"" + messageId
        + "\",\"traits\":{\"plan\":\"pro\",\"seats\":3}}";
    RelayHttp.Answer answer = http.postJson(body, signed(SECRET, body));
    assertEquals(200, answer.status(), answer.body());
    assertEquals(messageId, answer.json().at("/messageIds/0").asText());
    return messageId;
  }

  @Test
  void anEventsPathIsAcceptedThenItsUserpilotRequestThenDelivered() {
    String user = RelayHttp.unique("u");
    String messageId = postIdentify(user, RelayHttp.unique("msg"));
    JsonNode path = http.awaitEventState(messageId, "DELIVERED", WAIT);

    assertEquals(messageId, path.get("messageId").asText());
    assertEquals(user, path.get("userId").asText());
    assertFalse(path.get("acceptedAt").isNull(), path.toString());
    assertEquals(1, path.get("attempts").size(), path.toString());
    JsonNode attempt = path.at("/attempts/0");
    assertEquals("identifyUser", attempt.get("action").asText());
    assertEquals(202, attempt.get("status").asInt());
    assertEquals("POST", attempt.at("/request/method").asText());
    assertEquals(standIn.endpoint().resolve("v1/identify").toString(), attempt.at("/request/url").asText());
    // The exact body the stand-in received, not a re-rendering of the event.
    List<StandInUserpilot.Call> calls = RelayHttp.deliveredFor(standIn, user);
    assertEquals(1, calls.size());
    assertEquals(calls.get(0).body(), attempt.at("/request/body"));
    assertEquals(1, path.get("outcomes").size());
    assertEquals("DELIVERED", path.at("/outcomes/0/kind").asText());
    assertEquals(202, path.at("/outcomes/0/status").asInt());
    // Never the credentials.
    String raw = http.get("/events/" + messageId).body();
    assertFalse(raw.contains(StandInUserpilot.API_KEY), raw);
    assertFalse(raw.contains(SECRET), raw);

    JsonNode latest = http.get("/events?limit=5").json();
    assertEquals(messageId, latest.at("/0/messageId").asText(), "the newest event comes first");
  }

  @Test
  void aFailedCallThenAnAcceptedOneShowsTwoAttemptsAndBothOutcomes() {
    String user = RelayHttp.unique("flaky");
    failFirst.put(user, new AtomicInteger(1));
    String messageId = postIdentify(user, RelayHttp.unique("msg"));
    JsonNode path = http.awaitEventState(messageId, "DELIVERED", WAIT);

    assertEquals(2, path.get("attempts").size(), path.toString());
    assertEquals(500, path.at("/attempts/0/status").asInt());
    assertEquals(202, path.at("/attempts/1/status").asInt());
    assertEquals(path.at("/attempts/0/request/body"), path.at("/attempts/1/request/body"), "the same request, resent");
    assertEquals(2, path.get("outcomes").size(), path.toString());
    assertEquals("RETRY", path.at("/outcomes/0/kind").asText());
    assertEquals(500, path.at("/outcomes/0/status").asInt());
    assertTrue(path.at("/outcomes/0/reason").asText().contains("500"), path.toString());
    assertEquals("DELIVERED", path.at("/outcomes/1/kind").asText());
    assertEquals(2, path.at("/outcomes/1/attempt").asInt());
  }

  @Test
  void anUnknownMessageIdIs404WithWhatToDo() {
    RelayHttp.Answer answer = http.get("/events/never-sent-" + UUID.randomUUID());
    assertEquals(404, answer.status());
    String error = answer.json().get("error").asText();
    assertTrue(error.contains("never accepted here, or it aged out"), error);
    assertTrue(error.contains("EVENT_HISTORY_LIMIT"), error);
    assertEquals(400, http.get("/events?limit=0").status());
    assertEquals(405, http.request("DELETE", "/events/x").status());
  }

  @Test
  void anEventRejectedAtIngestSaysWhy() {
    String messageId = RelayHttp.unique("bad");
    String body = "{\"type\":\"identify\",\"messageId\":\"" + messageId + "\",\"traits\":{}}";
    RelayHttp.Answer answer = http.postJson(body, signed(SECRET, body));
    assertEquals(400, answer.status(), answer.body());
    JsonNode path = http.get("/events/" + messageId).json();
    assertEquals("REJECTED", path.get("state").asText(), path.toString());
    assertTrue(path.at("/outcomes/0/reason").asText().contains("userId"), path.toString());
  }

  @Test
  void aCrossOriginRedriveIsRefusedAndMovesNothing() throws Exception {
    String user = RelayHttp.unique("dead");
    refused.add(user);
    String messageId = postIdentify(user, RelayHttp.unique("msg"));
    http.awaitEventState(messageId, "DEAD_LETTERED", WAIT);
    refused.remove(user);

    // What a form on another page sends: a simple request naming its origin.
    RelayHttp.Answer attack = http.post("/dead-letters/redrive", "application/x-www-form-urlencoded",
        "x=1".getBytes(StandardCharsets.UTF_8), Map.of("Origin", "http://127.0.0.1:1"));
    assertEquals(403, attack.status(), attack.body());
    assertTrue(attack.json().get("error").asText().startsWith("origin:"), attack.body());
    // What a cross-site text/plain fetch without Origin would be: no marker header, no JSON.
    RelayHttp.Answer textPlain = http.post("/dead-letters/redrive", "text/plain", new byte[0], Map.of());
    assertEquals(403, textPlain.status(), textPlain.body());
    assertTrue(deadLetterIds().contains(messageId), "still a dead letter");

    // The runner's own page (same origin, JSON and its header) may.
    RelayHttp.Answer own = http.post("/dead-letters/redrive", "application/json", "{}".getBytes(StandardCharsets.UTF_8),
        Map.of("Origin", relay.url().toString(), "X-Relay-Client", "page"));
    assertEquals(200, own.status(), own.body());
    assertTrue(own.json().get("redriven").asInt() >= 1, own.body());
    http.awaitEventState(messageId, "DELIVERED", WAIT);
  }

  @Test
  void readsNeedALoopbackHostAndThePageSendsItsProtections() throws IOException {
    int port = relay.url().getPort();
    String rebound = rawGet(port, "/events?limit=1", "attacker.example:" + port);
    assertTrue(rebound.startsWith("HTTP/1.1 403"), rebound);
    assertTrue(rawGet(port, "/events?limit=1", "localhost:" + port).startsWith("HTTP/1.1 200"));
    assertTrue(rawGet(port, "/health", "tunnel.example").startsWith("HTTP/1.1 200"), "a tunnel's Host still reaches /health");

    RelayHttp.Answer page = http.get("/");
    assertEquals(200, page.status());
    assertTrue(page.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    String csp = page.raw().headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'")
        && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), csp);
    assertEquals("DENY", page.raw().headers().firstValue("X-Frame-Options").orElse(""));
    assertEquals("nosniff", page.raw().headers().firstValue("X-Content-Type-Options").orElse(""));
    assertFalse(page.body().contains("<script>"), "no inline script");
    assertFalse(page.body().contains("http://") || page.body().contains("https://"), "nothing from elsewhere");
    assertEquals(200, http.get("/page.js").status());
    assertTrue(http.get("/page.js").raw().headers().firstValue("Content-Type").orElse("").startsWith("text/javascript"));
    String js = http.get("/page.js").body();
    assertFalse(js.contains("innerHTML") || js.contains("outerHTML") || js.contains("insertAdjacentHTML")
        || js.contains("document.write"), "event data is only ever text");
  }

  /** A GET with a Host header of our choosing (java.net.http will not send another Host). */
  private static String rawGet(int port, String path, String host) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aMessageIdIsFoundWhateverCharactersItHas() {
    String messageId = "odd id/with?chars&" + UUID.randomUUID().toString().substring(0, 6);
    String body = "{\"type\":\"identify\",\"userId\":\"odd\",\"messageId\":" + Json.write(messageId) + "}";
    assertEquals(200, http.postJson(body, signed(SECRET, body)).status());
    String encoded = java.net.URLEncoder.encode(messageId, StandardCharsets.UTF_8).replace("+", "%20");
    await("the odd id delivered", WAIT, () -> {
      RelayHttp.Answer a = http.get("/events/" + encoded);
      return a.status() == 200 && "DELIVERED".equals(a.json().get("state").asText());
    });
    assertNotNull(http.get("/events/" + encoded).json().get("attempts"));
  }
}
