package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.await;
import static com.userpilotrelay.local.RelayHttp.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.delivery.Attempt;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the runner prints and keeps across a start: one readable line per outcome by default, Lambda's
 * JSON lines with LOG_FORMAT=json, and the event history after a restart on the same DATA_DIR.
 */
class LocalConsoleAndRestartTest {
  private static final String SECRET = "console-secret";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dataDir;

  private final StandInUserpilot standIn = new StandInUserpilot();
  /** Subjects answered 500 this many times before they are accepted. */
  private final Map<String, AtomicInteger> failFirst = new ConcurrentHashMap<>();
  private LocalRelay.Running relay;
  private RelayHttp http;

  LocalConsoleAndRestartTest() {
    standIn.answer(call -> {
      AtomicInteger left = call.subject() == null ? null : failFirst.get(call.subject());
      return left != null && left.getAndDecrement() > 0 ? Reply.status(500) : Reply.accepted();
    });
  }

  private void start(Map<String, String> extra) {
    Map<String, String> env = RelayHttp.settings(standIn, dataDir);
    env.put("SEGMENT_SHARED_SECRET", SECRET);
    env.put("RETRY_BASE_SECONDS", "1");
    env.putAll(extra);
    relay = LocalRelay.start(Env.of(env));
    http = new RelayHttp(relay.url());
  }

  @AfterEach
  void stop() {
    if (relay != null) {
      relay.stop();
    }
    standIn.close();
  }

  private String postIdentify(String user, String messageId) {
    String body = "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"" + messageId
        + "\",\"traits\":{\"plan\":\"pro\"}}";
    RelayHttp.Answer answer = http.postJson(body, signed(SECRET, body));
    assertEquals(200, answer.status(), answer.body());
    return messageId;
  }

  @Test
  void theHistorySurvivesARestartOnTheSameDataDir() {
    start(Map.of());
    String user = RelayHttp.unique("kept");
    failFirst.put(user, new AtomicInteger(1));
    String messageId = postIdentify(user, RelayHttp.unique("msg"));
    JsonNode before = http.awaitEventState(messageId, "DELIVERED", WAIT);
    relay.stop();

    start(Map.of());
    RelayHttp.Answer after = http.get("/events/" + messageId);
    assertEquals(200, after.status(), after.body());
    assertEquals(before, after.json(), "the same path after the restart");
  }

  @Test
  void theReadableConsolePrintsOneLinePerOutcome() {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    String user = RelayHttp.unique("console");
    String messageId;
    try {
      start(Map.of());
      failFirst.put(user, new AtomicInteger(1));
      messageId = postIdentify(user, RelayHttp.unique("msg"));
      http.awaitEventState(messageId, "DELIVERED", WAIT);
      relay.stop();
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    List<String> lines = out.lines().filter(l -> l.contains("msg=" + messageId)).toList();
    assertEquals(2, lines.size(), out);
    assertTrue(lines.get(0).matches("\\d\\d:\\d\\d:\\d\\d retry +identifyUser user=" + user + " msg=" + messageId
        + "  500 in \\d+ ms, again in \\d+ s: .*"), lines.get(0));
    assertTrue(lines.get(1).matches("\\d\\d:\\d\\d:\\d\\d delivered +identifyUser user=" + user + " msg=" + messageId
        + "  202 in \\d+ ms, attempt 2"), lines.get(1));
    assertFalse(out.contains("\"_aws\""), "no EMF documents on a person's console");
  }

  @Test
  void withLogFormatJsonEachOutcomeIsAJsonLine() {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    Log.redirect(new PrintStream(captured, true, StandardCharsets.UTF_8));
    String messageId;
    try {
      start(Map.of("LOG_FORMAT", "json"));
      messageId = postIdentify(RelayHttp.unique("json"), RelayHttp.unique("msg"));
      http.awaitEventState(messageId, "DELIVERED", WAIT);
      relay.stop();
    } finally {
      Log.redirect(null);
    }
    List<JsonNode> lines = captured.toString(StandardCharsets.UTF_8).lines().map(Json::parse).toList();
    assertTrue(lines.stream().anyMatch(l -> "dispatch".equals(l.path("message").asText())
        && messageId.equals(l.path("messageId").asText()) && "DELIVERED".equals(l.path("outcome").asText())),
        captured.toString(StandardCharsets.UTF_8));
  }

  @Test
  void eventDataCannotDriveTheTerminal() {
    ReadableConsole console = new ReadableConsole(System.out, ZoneOffset.UTC);
    String user = "u\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202e";
    Outcome outcome = new Outcome(Outcome.Kind.DEAD_LETTERED, "q1", "m\r\nFAKE 12:00:00 delivered", user, 422,
        "mapping: Userpilot answered HTTP 422\u001b[0m", 1, 0);
    Attempt attempt = new Attempt("m", user, "identify", "identifyUser", "POST", "v1/identify", "{}", 422, "HTTP 422",
        7, Instant.EPOCH);
    String line = console.outcomeLine(Instant.parse("2026-01-01T12:00:01Z"), outcome, attempt);
    assertEquals("12:00:01 dead-lettered  identifyUser user=u?[2J?]0;pwned??31m? msg=m??FAKE 12:00:00 delivered"
        + "  422 in 7 ms: mapping: Userpilot answered HTTP 422?[0m", line);
  }
}
