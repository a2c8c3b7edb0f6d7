package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's scenarios against the local runner from outside: events go in through POST /segment, and
 * the books are kept from what the stand-in Userpilot received and what GET /dead-letters and
 * GET /stats say — no access to the relay's insides.
 */
class LocalFaultScenariosTest {
  private static final String TOKEN = "fault-scenarios-token";

  @TempDir
  Path dataDir;

  private LocalRelay.Running start(StandInUserpilot standIn) {
    return start(standIn, Map.of());
  }

  private LocalRelay.Running start(StandInUserpilot standIn, Map<String, String> settings) {
    Map<String, String> env = new HashMap<>(settings);
    env.put("USERPILOT_API_KEY", StandInUserpilot.API_KEY);
    env.put("USERPILOT_ENDPOINT", RelayHttp.endpointWithoutSlash(standIn));
    env.put("INGEST_TOKEN", TOKEN);
    env.put("PORT", "0");
    env.put("SQS_PORT", Integer.toString(RelayHttp.freePort()));
    env.put("DATA_DIR", dataDir.toString());
    env.put("RETRY_BASE_SECONDS", "1");
    return LocalRelay.start(Env.of(env));
  }

  /** n events for several users, each carrying its sequence number so every call names its event. */
  private static String events(int n, int users) {
    StringBuilder body = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      String user = "user-" + (i % users);
      body.append(i == 0 ? "" : ",").append(i % 4 == 0
          ? "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"e" + i + "\",\"traits\":{\"seq\":" + i + "}}"
          : "{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"Step\",\"messageId\":\"e" + i
              + "\",\"properties\":{\"seq\":" + i + "}}");
    }
    return body.append("]").toString();
  }

  private static Map<Integer, Integer> deliveries(StandInUserpilot standIn) {
    Map<Integer, Integer> count = new TreeMap<>();
    standIn.accepted().forEach(c -> count.merge(c.body().at("/metadata/seq").asInt(), 1, Integer::sum));
    return count;
  }

  private void runScenario(Function<StandInUserpilot.Call, Reply> script, int events,
      java.util.function.BiConsumer<StandInUserpilot, RelayHttp> check) {
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      standIn.answer(script::apply);
      LocalRelay.Running relay = start(standIn);
      try {
        RelayHttp http = new RelayHttp(relay.url());
        RelayHttp.Answer answer = http.postJson(events(events, 5), Map.of("Authorization", "Bearer " + TOKEN));
        assertEquals(200, answer.status(), answer.body());
        assertEquals(events, answer.json().get("accepted").asInt());
        check.accept(standIn, http);
      } finally {
        relay.stop();
      }
    }
  }

  @Test
  void anOutagePlusThrottlingLosesNothingAndDuplicatesNothing() {
    long backAt = System.currentTimeMillis() + 2_000;
    AtomicInteger throttled = new AtomicInteger(8);
    runScenario(call -> {
      if (System.currentTimeMillis() < backAt) {
        return Reply.status(503);
      }
      return throttled.getAndDecrement() > 0 ? Reply.status(429).withRetryAfter("1") : Reply.accepted();
    }, 30, (standIn, http) -> {
      RelayHttp.await("all 30 events delivered", Duration.ofSeconds(90), () -> deliveries(standIn).size() == 30);
      RelayHttp.await("the queue to empty", Duration.ofSeconds(30),
          () -> http.get("/stats").json().get("queueDepth").asInt() == 0);
      deliveries(standIn).forEach((seq, n) -> assertEquals(1, n, "event " + seq + " delivered " + n + " times"));
      JsonNode stats = http.get("/stats").json();
      assertEquals(30, stats.get("delivered").asInt());
      assertEquals(0, stats.get("deadLettered").asInt());
      assertTrue(stats.get("retried").asInt() > 0, "the outage was felt: " + stats);
      assertEquals(0, http.deadLetters().size());
    });
  }

  @Test
  void aPoisonedUserIsTheOnlyOneDeadLetteredWithUserpilotsStatusInTheReason() {
    runScenario(call -> "user-3".equals(call.subject()) ? Reply.status(422) : Reply.accepted(), 20,
        (standIn, http) -> {
          RelayHttp.await("16 delivered and 4 dead-lettered", Duration.ofSeconds(60),
              () -> deliveries(standIn).size() == 16 && http.deadLetters().size() == 4);
          Set<String> deadUsers = new HashSet<>();
          for (JsonNode dead : http.deadLetters()) {
            deadUsers.add(dead.at("/event/userId").asText());
            assertEquals("dispatch", dead.get("stage").asText());
            assertEquals("422", dead.get("status").asText());
            assertTrue(dead.get("reason").asText().contains("HTTP 422"), dead.get("reason").asText());
          }
          assertEquals(Set.of("user-3"), deadUsers);
          deliveries(standIn).forEach((seq, n) -> assertEquals(1, n));
          assertEquals(4, http.get("/stats").json().get("deadLettered").asInt());
        });
  }

  /**
   * The measurement, now a test: 30 users, each sending an identify then three tracks as separate
   * requests (as Segment does), interleaved across users; Userpilot throttles its first 40 calls (429,
   * Retry-After: 1) and then fails 40 (503). Every user's events arrive in order, each exactly once, and nothing
   * is dead-lettered. Kept from outside: the stand-in's calls and the runner's /stats and /dead-letters.
   */
  @Test
  void interleavedUsersUnderThrottlingThenAnOutageArriveInOrderEachExactlyOnce() {
    int users = 30;
    AtomicInteger calls = new AtomicInteger();
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      standIn.answer(call -> {
        int n = calls.incrementAndGet();
        return n <= 40 ? Reply.status(429).withRetryAfter("1") : n <= 80 ? Reply.status(503) : Reply.accepted();
      });
      // Pacing well above the calls made, so the test's time goes to the faults, not to the pacer.
      LocalRelay.Running relay = start(standIn, Map.of("RATE_LIMIT_IDENTIFY_PER_MINUTE", "6000",
          "RATE_LIMIT_TRACK_PER_MINUTE", "6000"));
      try {
        RelayHttp http = new RelayHttp(relay.url());
        for (int step = 0; step < 4; step++) {
          for (int u = 0; u < users; u++) {
            int seq = u * 10 + step;
            String event = step == 0
                ? "{\"type\":\"identify\",\"userId\":\"oa-u" + u + "\",\"messageId\":\"oa-" + seq
                    + "\",\"traits\":{\"seq\":" + seq + "}}"
                : "{\"type\":\"track\",\"userId\":\"oa-u" + u + "\",\"event\":\"Step\",\"messageId\":\"oa-" + seq
                    + "\",\"properties\":{\"seq\":" + seq + "}}";
            RelayHttp.Answer answer = http.postJson(event, Map.of("Authorization", "Bearer " + TOKEN));
            assertEquals(200, answer.status(), answer.body());
          }
        }
        RelayHttp.await("all 120 events settled", Duration.ofSeconds(120),
            () -> standIn.accepted().size() >= users * 4 && http.get("/stats").json().get("queueDepth").asInt() == 0
                || http.get("/stats").json().get("deadLettered").asInt() > 0);
        Thread.sleep(1_500); // would a duplicate follow?

        assertTrue(calls.get() > 80, "the throttling and the outage were both felt: " + calls.get() + " calls");
        JsonNode stats = http.get("/stats").json();
        assertEquals(0, stats.get("deadLettered").asInt(), "nothing dead-lettered: " + http.deadLetters());
        assertEquals(0, http.deadLetters().size());
        Map<String, java.util.List<Integer>> perUser = new TreeMap<>();
        standIn.accepted().forEach(c -> perUser.computeIfAbsent(c.subject(), k -> new java.util.ArrayList<>())
            .add(c.body().at("/metadata/seq").asInt()));
        assertEquals(users, perUser.size());
        for (int u = 0; u < users; u++) {
          assertEquals(java.util.List.of(u * 10, u * 10 + 1, u * 10 + 2, u * 10 + 3), perUser.get("oa-u" + u),
              "oa-u" + u + " delivered in order, each exactly once");
        }
        assertEquals(users * 4, stats.get("delivered").asInt());
        assertTrue(standIn.violations().isEmpty(), standIn.violations().toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      } finally {
        relay.stop();
      }
    }
  }
}
