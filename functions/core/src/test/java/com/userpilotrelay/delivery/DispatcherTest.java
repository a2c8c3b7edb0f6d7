package com.userpilotrelay.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.MappedRequest;
import com.userpilotrelay.queue.QueueMessage;
import com.userpilotrelay.testing.RecordingQueue;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import com.userpilotrelay.userpilot.ApiKey;
import com.userpilotrelay.userpilot.Endpoint;
import com.userpilotrelay.userpilot.HttpUserpilotClient;
import com.userpilotrelay.userpilot.RatePacer;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's outcomes against a real local HTTP server. The mapping here is a small test double
 * (identify → v1/identify, or several mappings per event) so each delivery rule is isolated; the real
 * mappings run in the vector and handler tests.
 */
class DispatcherTest {
  private static StandInUserpilot userpilot;
  private final RecordingQueue queue = new RecordingQueue();
  private final List<Outcome> seen = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    userpilot = new StandInUserpilot();
  }

  @AfterAll
  static void stop() {
    userpilot.close();
  }

  @BeforeEach
  void reset() {
    userpilot.reset();
  }

  /** One identify per event, plus a second "track" request when the event says so. */
  static List<MappedRequest> testMapping(JsonNode event) {
    List<MappedRequest> out = new ArrayList<>();
    String user = event.path("userId").asText();
    out.add(new MappedRequest("identify", new UserpilotRequest("identifyUser", "POST", "v1/identify",
        Json.object().put("user_id", user)), null));
    if (event.path("alsoTrack").asBoolean()) {
      out.add(new MappedRequest("track", new UserpilotRequest("trackEvent", "POST", "v1/track",
          Json.object().put("user_id", user).put("event_name", "E")), null));
    }
    if (event.path("badMapping").asBoolean()) {
      out.add(new MappedRequest("broken", null, "createdAt: not a date"));
    }
    return out;
  }

  private Dispatcher dispatcher(Function<JsonNode, List<MappedRequest>> mapping, int maxReceiveCount) {
    RatePacer pacer = new RatePacer(Map.of(RatePacer.Bucket.IDENTIFY, 600_000, RatePacer.Bucket.TRACK, 600_000), 1);
    return new Dispatcher(mapping,
        new HttpUserpilotClient(new Endpoint(userpilot.endpoint()), ApiKey.fixed(StandInUserpilot.API_KEY),
            Duration.ofSeconds(2)),
        pacer, new RetryPolicy(Duration.ofSeconds(30), RetryPolicy.DEFAULT_CAP, maxReceiveCount, () -> 0.5),
        queue, 4, seen::add, Clock.systemUTC());
  }

  private Dispatcher dispatcher() {
    return dispatcher(DispatcherTest::testMapping, 25);
  }

  private static InboundMessage message(String id, String json, int receiveCount) {
    return new InboundMessage(id, "rh-" + id, receiveCount, json, Map.of("messageId", id));
  }

  private static InboundMessage message(String id, String user) {
    return message(id, "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"" + id + "\"}", 1);
  }

  private static Instant later() {
    return Instant.now().plusSeconds(30);
  }

  @Test
  void deliversEveryMessageAndReportsNothingFailed() {
    List<Outcome> outcomes = dispatcher().dispatch(List.of(message("a", "u1"), message("b", "u2")), later());
    assertEquals(List.of(Outcome.Kind.DELIVERED, Outcome.Kind.DELIVERED), outcomes.stream().map(Outcome::kind).toList());
    assertEquals(2, userpilot.accepted().size());
    assertFalse(outcomes.get(0).keepInQueue());
    assertEquals(2, seen.size(), "the listener hears every outcome");
  }

  @Test
  void aRetryableFailureHoldsBackThatUsersLaterMessagesButNoOneElses() {
    userpilot.answer(call -> call.body().path("user_id").asText().equals("u1") ? Reply.status(503) : Reply.accepted());
    List<Outcome> outcomes = dispatcher().dispatch(List.of(
        message("a1", "u1"), message("b1", "u2"), message("a2", "u1"), message("a3", "u1"), message("b2", "u2")), later());
    assertEquals(Outcome.Kind.RETRY, outcomes.get(0).kind());
    assertEquals(Outcome.Kind.HELD_BACK, outcomes.get(2).kind());
    assertEquals(Outcome.Kind.HELD_BACK, outcomes.get(3).kind());
    assertEquals(Outcome.Kind.DELIVERED, outcomes.get(1).kind());
    assertEquals(Outcome.Kind.DELIVERED, outcomes.get(4).kind());
    long u1Calls = userpilot.calls().stream().filter(c -> c.subject().equals("u1")).count();
    assertEquals(1, u1Calls, "u1's later messages are not attempted");
    // The retry waits the backoff (30 s ceiling, jitter 0.5 → 23 s); held messages come back after it.
    Duration retry = queue.visibility.get("rh-a1");
    assertEquals(Duration.ofSeconds(23), retry);
    assertTrue(queue.visibility.get("rh-a2").compareTo(retry) > 0);
    assertTrue(outcomes.get(0).reason().contains("HTTP 503"), outcomes.get(0).reason());
  }

  @Test
  void throttlingHonoursRetryAfter() {
    userpilot.answer(call -> Reply.status(429).withRetryAfter("120"));
    Outcome outcome = dispatcher().dispatch(List.of(message("a", "u1")), later()).get(0);
    assertEquals(Outcome.Kind.RETRY, outcome.kind());
    assertEquals(Duration.ofSeconds(120), queue.visibility.get("rh-a"));
    assertEquals(429, outcome.status());
  }

  @Test
  void aPermanentRejectionIsDeadLetteredAtOnceWithStatusAndReason() {
    userpilot.answer(call -> Reply.status(400));
    Outcome outcome = dispatcher().dispatch(List.of(message("a", "u1")), later()).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, outcome.kind());
    assertFalse(outcome.keepInQueue());
    QueueMessage dead = queue.deadLettered.get(0);
    assertEquals("dispatch", dead.attributes().get("stage"));
    assertEquals("400", dead.attributes().get("status"));
    assertTrue(dead.attributes().get("reason").contains("Userpilot answered HTTP 400 to POST /v1/identify"),
        dead.attributes().get("reason"));
    assertEquals("u1", Json.parse(dead.body()).get("userId").asText(), "the original event is kept");
    assertEquals(1, userpilot.calls().size(), "not retried");
  }

  @Test
  void aRefusedApiKeyIsDeadLetteredForRedriveAndSaysHowToFixIt() {
    Dispatcher wrongKey = new Dispatcher(DispatcherTest::testMapping,
        new HttpUserpilotClient(new Endpoint(userpilot.endpoint()), ApiKey.fixed("wrong"), Duration.ofSeconds(2)),
        new RatePacer(Map.of(), 1), new RetryPolicy(Duration.ofSeconds(30), 25), queue, 2, seen::add, Clock.systemUTC());
    Outcome outcome = wrongKey.dispatch(List.of(message("a", "u1")), later()).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, outcome.kind());
    assertEquals("401", queue.deadLettered.get(0).attributes().get("status"));
    assertTrue(outcome.reason().contains("refused the API key"), outcome.reason());
  }

  @Test
  void theLastAttemptTheQueueAllowsDeadLettersItselfWithTheReason() {
    userpilot.answer(call -> Reply.status(502));
    Outcome outcome = dispatcher(DispatcherTest::testMapping, 5).dispatch(List.of(message("a",
        "{\"type\":\"identify\",\"userId\":\"u1\",\"messageId\":\"a\"}", 5)), later()).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, outcome.kind());
    assertTrue(outcome.reason().startsWith("retries exhausted after 5 attempts; last: identify: HTTP 502"),
        outcome.reason());
    assertEquals("5", queue.deadLettered.get(0).attributes().get("attempts"));
  }

  @Test
  void aPartlyDeliveredEventContinuesWithoutResendingWhatWasAccepted() {
    userpilot.answer(call -> call.path().equals("/v1/track") ? Reply.status(500) : Reply.accepted());
    String json = "{\"type\":\"identify\",\"userId\":\"u1\",\"messageId\":\"m\",\"alsoTrack\":true}";
    Outcome first = dispatcher().dispatch(List.of(message("m", json, 1)), later()).get(0);
    assertEquals(Outcome.Kind.CONTINUED, first.kind());
    assertFalse(first.keepInQueue(), "the original goes; its continuation carries on");
    QueueMessage continuation = queue.enqueued.get(0);
    assertEquals("0", continuation.attributes().get(Dispatcher.DONE_ATTRIBUTE));
    assertEquals("1", continuation.attributes().get(Dispatcher.ATTEMPTS_ATTRIBUTE));
    assertTrue(continuation.delay().toSeconds() > 0);

    userpilot.reset();
    InboundMessage again = new InboundMessage("m2", "rh-m2", 1, continuation.body(), continuation.attributes());
    Outcome second = dispatcher().dispatch(List.of(again), later()).get(0);
    assertEquals(Outcome.Kind.DELIVERED, second.kind());
    assertEquals(List.of("/v1/track"), userpilot.calls().stream().map(StandInUserpilot.Call::path).toList());
    assertEquals(2, second.attempt(), "attempts carry over to the continuation");
  }

  @Test
  void anUnmappableRequestIsDeadLetteredWhileTheOtherMappingsStillSend() {
    String json = "{\"type\":\"identify\",\"userId\":\"u1\",\"messageId\":\"m\",\"badMapping\":true}";
    Outcome outcome = dispatcher().dispatch(List.of(message("m", json, 1)), later()).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, outcome.kind());
    assertEquals(1, userpilot.accepted().size());
    assertEquals("createdAt: not a date", queue.deadLettered.get(0).attributes().get("reason"));
    assertEquals("0", queue.deadLettered.get(0).attributes().get(Dispatcher.DONE_ATTRIBUTE),
        "a redrive will not resend the delivered part");
  }

  @Test
  void workPastTheDeadlineIsDeferredNotStarted() {
    Outcome outcome = dispatcher().dispatch(List.of(message("a", "u1")), Instant.now().minusSeconds(1)).get(0);
    assertEquals(Outcome.Kind.DEFERRED, outcome.kind());
    assertTrue(outcome.keepInQueue());
    assertTrue(userpilot.calls().isEmpty());
  }

  @Test
  void anUnreadableBodyIsDeadLetteredAndAMappingCrashIsKeptNotThrown() {
    Function<JsonNode, List<MappedRequest>> crashing = event -> {
      if (event.path("userId").asText().equals("boom")) {
        throw new IllegalStateException("bug");
      }
      return testMapping(event);
    };
    List<Outcome> outcomes = dispatcher(crashing, 25).dispatch(List.of(
        message("x", "not json", 1), message("b", "boom"), message("c", "u3")), later());
    assertEquals(Outcome.Kind.DEAD_LETTERED, outcomes.get(0).kind());
    assertTrue(outcomes.get(0).reason().startsWith("unreadable"));
    assertEquals(Outcome.Kind.RETRY, outcomes.get(1).kind());
    assertEquals("internal error: IllegalStateException", outcomes.get(1).reason());
    assertEquals(Outcome.Kind.DELIVERED, outcomes.get(2).kind());
  }

  @Test
  void noCallStartsTooCloseToTheDeadlineToFinish() {
    Dispatcher reserved = new Dispatcher(DispatcherTest::testMapping,
        new HttpUserpilotClient(new Endpoint(userpilot.endpoint()), ApiKey.fixed(StandInUserpilot.API_KEY),
            Duration.ofSeconds(10)),
        new RatePacer(Map.of(), 1), new RetryPolicy(Duration.ofSeconds(30), 25), queue, 2, seen::add,
        Clock.systemUTC(), Duration.ofSeconds(10));
    Outcome outcome = reserved.dispatch(List.of(message("a", "u1")), Instant.now().plusSeconds(5)).get(0);
    assertEquals(Outcome.Kind.DEFERRED, outcome.kind(), "5 s left is less than one call may take");
    assertTrue(userpilot.calls().isEmpty());
  }

  @Test
  void nothingMappedIsSkipped() {
    Outcome outcome = dispatcher(event -> List.of(), 25).dispatch(List.of(message("a", "u1")), later()).get(0);
    assertEquals(Outcome.Kind.SKIPPED, outcome.kind());
    assertTrue(userpilot.calls().isEmpty());
  }

  @Test
  void aDeadLetterQueueThatRefusesKeepsTheMessage() {
    userpilot.answer(call -> Reply.status(422));
    queue.refuseWhen(m -> true);
    Outcome outcome = dispatcher().dispatch(List.of(message("a", "u1")), later()).get(0);
    assertEquals(Outcome.Kind.RETRY, outcome.kind());
    assertTrue(outcome.keepInQueue());
  }

  @Test
  void groupCallsAreOrderedByCompanyOtherCallsByUser() {
    InboundMessage m = message("a", "u1");
    assertEquals("company:c1", Dispatcher.orderingKey(Json.parse("{\"type\":\"group\",\"userId\":\"u1\",\"groupId\":\"c1\"}"), m));
    assertEquals("user:anon", Dispatcher.orderingKey(Json.parse("{\"type\":\"track\",\"userId\":\"\",\"anonymousId\":\"anon\"}"), m));
  }
}
