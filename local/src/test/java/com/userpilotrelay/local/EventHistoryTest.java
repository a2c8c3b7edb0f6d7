package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.delivery.Attempt;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event history's bounds and its file: what survives a restart, a torn line, age and volume. */
class EventHistoryTest {
  @TempDir
  Path dir;

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-10T12:00:00Z"));
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  };

  private EventHistory open(int limit, int days) {
    return EventHistory.open(dir, limit, Duration.ofDays(days), clock, path -> "https://up.example/" + path);
  }

  private static JsonNode accepted(String... ids) {
    var answer = Json.object();
    var list = answer.putArray("messageIds");
    for (String id : ids) {
      list.add(id);
    }
    return answer;
  }

  private void attempt(EventHistory history, String id, int status, String body) {
    history.attempted(new Attempt(id, "u1", "identify", "identifyUser", "POST", "v1/identify", body, status,
        "HTTP " + status, 12, now.get()));
  }

  private static Outcome delivered(String id) {
    return new Outcome(Outcome.Kind.DELIVERED, "q-" + id, id, "u1", 202, null, 1, 0);
  }

  @Test
  void aTornLastLineAfterAKillIsSkippedAndTheRestIsKept() throws IOException {
    try (EventHistory history = open(100, 7)) {
      history.ingested(accepted("a", "b"));
      attempt(history, "a", 202, "{\"user_id\":\"u1\"}");
      history.finished(delivered("a"));
    }
    // kill -9 in the middle of a write leaves half a line, without its newline.
    Files.writeString(dir.resolve(EventHistory.FILE), "{\"k\":\"attempt\",\"id\":\"b\",\"at\":17", StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    try (EventHistory history = open(100, 7)) {
      JsonNode a = history.path("a").orElseThrow();
      assertEquals("DELIVERED", a.get("state").asText());
      assertEquals("u1", a.at("/attempts/0/request/body/user_id").asText());
      assertEquals("https://up.example/v1/identify", a.at("/attempts/0/request/url").asText());
      assertEquals("QUEUED", history.path("b").orElseThrow().get("state").asText());
      // What comes after the torn line is read back too: the file was rewritten clean.
      attempt(history, "b", 202, "{}");
    }
    try (EventHistory history = open(100, 7)) {
      assertEquals(1, history.path("b").orElseThrow().get("attempts").size());
    }
  }

  @Test
  void anEventAgesOutAfterItsLastChange() {
    try (EventHistory history = open(100, 7)) {
      history.ingested(accepted("old"));
      now.set(now.get().plus(Duration.ofDays(3)));
      history.ingested(accepted("recent"));
      now.set(now.get().plus(Duration.ofDays(5)));
      assertTrue(history.path("old").isEmpty(), "8 days unchanged: gone");
      assertTrue(history.path("recent").isPresent(), "5 days unchanged: kept");
    }
    now.set(now.get().plus(Duration.ofDays(3)));
    try (EventHistory history = open(100, 7)) {
      assertTrue(history.path("recent").isEmpty(), "aged out across a restart too");
      assertEquals(0, history.size());
    }
  }

  @Test
  void onlyTheLatestEventsAreKeptAndTheFileStaysBounded() throws IOException {
    String body = "{\"user_id\":\"u1\",\"metadata\":{\"pad\":\"" + "x".repeat(2000) + "\"}}";
    try (EventHistory history = open(50, 7)) {
      for (int i = 0; i < 2000; i++) {
        history.ingested(accepted("e" + i));
        attempt(history, "e" + i, 202, body);
        history.finished(delivered("e" + i));
      }
      assertEquals(50, history.size());
      assertTrue(history.path("e1949").isEmpty());
      assertTrue(history.path("e1950").isPresent());
      assertEquals("e1999", history.latest(1).get(0).get("messageId").asText(), "newest first");
    }
    // 2000 events of ~2 KB were written (4 MB); the file holds about the 50 kept, at most twice that.
    long size = Files.size(dir.resolve(EventHistory.FILE));
    assertTrue(size < 2 * EventHistory.COMPACT_FLOOR_BYTES, "file bytes: " + size);
    try (EventHistory history = open(50, 7)) {
      assertEquals(50, history.size());
      assertTrue(history.path("e1999").isPresent());
    }
  }

  @Test
  void aLongRetryKeepsOnlyTheLatestAttemptsAndSaysHowManyWentAndBodiesAreCut() {
    try (EventHistory history = open(10, 7)) {
      history.ingested(accepted("busy"));
      for (int i = 0; i < EventHistory.MAX_ENTRIES_PER_EVENT + 5; i++) {
        attempt(history, "busy", 503, "{\"n\":" + i + "}");
      }
      attempt(history, "busy", 202, "{\"big\":\"" + "y".repeat(EventHistory.MAX_BODY_CHARS) + "\"}");
      JsonNode path = history.path("busy").orElseThrow();
      assertEquals(EventHistory.MAX_ENTRIES_PER_EVENT, path.get("attempts").size());
      assertEquals(6, path.get("attemptsDropped").asInt());
      assertEquals(6, path.at("/attempts/0/request/body/n").asInt(), "the oldest went first");
      JsonNode last = path.at("/attempts/" + (EventHistory.MAX_ENTRIES_PER_EVENT - 1) + "/request");
      assertEquals(EventHistory.MAX_BODY_CHARS, last.get("body").asText().length());
      assertTrue(last.get("bodyTruncatedFrom").asInt() > EventHistory.MAX_BODY_CHARS);
    }
    try (EventHistory history = open(10, 7)) {
      assertEquals(6, history.path("busy").orElseThrow().get("attemptsDropped").asInt(), "kept across a restart");
    }
  }

  @Test
  void eventsWithoutAMessageIdAreNotKept() {
    try (EventHistory history = open(10, 7)) {
      history.finished(new Outcome(Outcome.Kind.DEAD_LETTERED, "q1", null, null, 0, "unreadable", 1, 0));
      assertEquals(0, history.size());
      assertFalse(history.path("q1").isPresent());
    }
  }
}
