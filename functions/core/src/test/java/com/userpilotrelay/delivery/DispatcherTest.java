package com.userpilotrelay.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.MappedRequest;
import com.userpilotrelay.queue.MessageGroups;
import com.userpilotrelay.queue.QueueMessage;
import com.userpilotrelay.queue.SqsEventQueue;
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
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
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
  private static final IngestStamp STAMP = IngestStamp.marker();
  private static StandInUserpilot userpilot;
  private final RecordingQueue queue = new RecordingQueue();
  private final List<Outcome> seen = new CopyOnWriteArrayList<>();
  private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  private final DeliveryObserver observer = new DeliveryObserver() {
    @Override
    public void attempted(Attempt attempt) {
      attempts.add(attempt);
    }

    @Override
    public void finished(Outcome outcome) {
      seen.add(outcome);
    }
  };

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

  /** One identify per event, plus a "track" request when the event says so. */
  static List<MappedRequest> testMapping(JsonNode event) {
    List<MappedRequest> out = new ArrayList<>();
    String user = event.path("userId").asText();
    out.add(new MappedRequest("identify", new UserpilotRequest("identifyUser", "POST", "v1/identify",
        Json.object().put("user_id", user)), null));
    if (event.path("properties").path("alsoTrack").asBoolean()) {
      out.add(new MappedRequest("track", new UserpilotRequest("trackEvent", "POST", "v1/track",
          Json.object().put("user_id", user).put("event_name", "E")), null));
    }
    if (event.path("properties").path("badMapping").asBoolean()) {
      out.add(new MappedRequest("broken", null, "createdAt: not a date"));
    }
    return out;
  }

  private Dispatcher dispatcher(Function<JsonNode, List<MappedRequest>> mapping, String key, Duration callTimeout) {
    return dispatcher(mapping, key, callTimeout, Clock.systemUTC());
  }

  private Dispatcher dispatcher(Function<JsonNode, List<MappedRequest>> mapping, String key, Duration callTimeout,
      Clock clock) {
    RatePacer pacer = new RatePacer(Map.of(RatePacer.Bucket.IDENTIFY, 600_000, RatePacer.Bucket.TRACK, 600_000), 1);
    return new Dispatcher(mapping,
        new HttpUserpilotClient(new Endpoint(userpilot.endpoint()), ApiKey.fixed(key), Duration.ofSeconds(2)),
        pacer, new RetryPolicy(Duration.ofSeconds(30), RetryPolicy.DEFAULT_CAP, Duration.ofHours(24), () -> 0.5),
        queue, STAMP, 8, 4, observer, clock, callTimeout);
  }

  /** A clock the test moves: the dispatcher's view of time, while Userpilot and the deadlines stay real. */
  static final class MovableClock extends Clock {
    private volatile Duration ahead = Duration.ZERO;

    void advance(Duration by) {
      ahead = ahead.plus(by);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(ahead);
    }
  }

  private Dispatcher dispatcher(Function<JsonNode, List<MappedRequest>> mapping) {
    return dispatcher(mapping, StandInUserpilot.API_KEY, Duration.ofSeconds(2));
  }

  private Dispatcher dispatcher() {
    return dispatcher(DispatcherTest::testMapping);
  }

  private static String identify(String id, String user, String properties) {
    return "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"" + id + "\",\"traits\":{},"
        + "\"properties\":" + properties + "}";
  }

  private static InboundMessage message(String id, String body, int receiveCount, Instant firstReceived,
      Map<String, String> extra) {
    Map<String, String> attributes = new HashMap<>(extra);
    attributes.put("messageId", id);
    attributes.putIfAbsent(IngestStamp.ATTRIBUTE, STAMP.stamp(body));
    return new InboundMessage(id, "rh-" + id, receiveCount, body, attributes, null, firstReceived);
  }

  private static InboundMessage message(String id, String user) {
    return message(id, identify(id, user, "{}"), 1, Instant.now(), Map.of());
  }

  private static Instant later() {
    return Instant.now().plusSeconds(30);
  }

  @Test
  void deliversEveryMessageAndReportsEachCallAndOutcome() {
    List<Outcome> outcomes = dispatcher().dispatch(List.of(message("a", "u1"), message("b", "u2")), later());
    assertEquals(List.of(Outcome.Kind.DELIVERED, Outcome.Kind.DELIVERED), outcomes.stream().map(Outcome::kind).toList());
    assertEquals(2, userpilot.accepted().size());
    assertFalse(outcomes.get(0).keepInQueue());
    assertEquals(2, seen.size(), "the observer hears every outcome");
    Attempt first = attempts.stream().filter(a -> a.messageId().equals("a")).findFirst().orElseThrow();
    assertEquals(202, first.status());
    assertEquals("v1/identify", first.path());
    assertEquals("{\"user_id\":\"u1\"}", first.requestBody());
    assertFalse(first.requestBody().contains(StandInUserpilot.API_KEY), "no credential in what is reported");
  }

  @Test
  void aRetryableFailureKeepsThatUsersLaterEventsBehindItAndNoOneElses() {
    userpilot.answer(call -> call.body().path("user_id").asText().equals("u1") ? Reply.status(503) : Reply.accepted());
    List<Outcome> outcomes = dispatcher().dispatch(List.of(
        message("a1", "u1"), message("b1", "u2"), message("a2", "u1"), message("a3", "u1"), message("b2", "u2")), later());
    assertEquals(Outcome.Kind.RETRY, outcomes.get(0).kind());
    assertEquals(Outcome.Kind.HELD_BACK, outcomes.get(2).kind());
    assertEquals(Outcome.Kind.HELD_BACK, outcomes.get(3).kind());
    assertTrue(outcomes.get(2).keepInQueue() && outcomes.get(3).keepInQueue());
    assertEquals(Outcome.Kind.DELIVERED, outcomes.get(1).kind());
    assertEquals(Outcome.Kind.DELIVERED, outcomes.get(4).kind());
    long u1Calls = userpilot.calls().stream().filter(c -> c.subject().equals("u1")).count();
    assertEquals(1, u1Calls, "u1's later events are not attempted");
    // The retry waits the backoff (30 s ceiling, jitter 0.5 → 23 s); the held events are hidden as long, so the
    // queue hands the user's events out again together, in order.
    assertEquals(Duration.ofSeconds(23), queue.visibility.get("rh-a1"));
    assertEquals(Duration.ofSeconds(23), queue.visibility.get("rh-a2"));
    assertEquals(Duration.ofSeconds(23), queue.visibility.get("rh-a3"));
    assertFalse(queue.visibility.containsKey("rh-b1"));
    assertTrue(outcomes.get(0).reason().contains("HTTP 503"), outcomes.get(0).reason());
    assertTrue(queue.deadLettered.isEmpty());
  }

  @Test
  void throttlingHonoursRetryAfterInSeconds() {
    userpilot.answer(call -> Reply.status(429).withRetryAfter("120"));
    Outcome outcome = dispatcher().dispatch(List.of(message("a", "u1")), later()).get(0);
    assertEquals(Outcome.Kind.RETRY, outcome.kind());
    assertEquals(Duration.ofSeconds(120), queue.visibility.get("rh-a"));
    assertEquals(429, outcome.status());
  }

  @Test
  void aRetryAfterDateFarAwayIsHonouredButNeverAsksSqsForMoreThanItAllows() {
    String threeDays = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now().plusDays(3));
    userpilot.answer(call -> Reply.status(503).withRetryAfter(threeDays));
    Outcome outcome = dispatcher().dispatch(List.of(message("a", "u1")), later()).get(0);
    assertEquals(Outcome.Kind.RETRY, outcome.kind());
    assertEquals(SqsEventQueue.MAX_VISIBILITY, queue.visibility.get("rh-a"));
  }

  @Test
  void aPermanentRejectionIsDeadLetteredAtOnceWithStatusReasonAndTheUsersGroup() {
    userpilot.answer(call -> Reply.status(400));
    Outcome outcome = dispatcher().dispatch(List.of(message("a", "u1")), later()).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, outcome.kind());
    assertFalse(outcome.keepInQueue());
    QueueMessage dead = queue.deadLettered.get(0);
    assertEquals("dispatch", dead.attributes().get("stage"));
    assertEquals("400", dead.attributes().get("status"));
    assertEquals("1", dead.attributes().get("attempts"));
    assertTrue(dead.attributes().get("reason").contains("Userpilot answered HTTP 400 to POST /v1/identify"),
        dead.attributes().get("reason"));
    assertEquals(MessageGroups.groupId("user:u1"), dead.groupId(), "a redrive puts it back in its user's line");
    assertNotNull(dead.attributes().get(IngestStamp.ATTRIBUTE), "a redriven letter is still ingest's event");
    assertEquals("u1", Json.parse(dead.body()).get("userId").asText(), "the original event is kept");
    assertEquals(1, userpilot.calls().size(), "not retried");
  }

  @Test
  void aRefusedApiKeyKeepsTheEventsPausesDeliveryAndSaysSo() {
    Dispatcher wrongKey = dispatcher(DispatcherTest::testMapping, "wrong", Duration.ofSeconds(2));
    List<Outcome> outcomes = new ArrayList<>(wrongKey.dispatch(List.of(message("a", "u1")), later()));
    outcomes.addAll(wrongKey.dispatch(List.of(message("b", "u2")), later()));
    assertTrue(queue.deadLettered.isEmpty(), "a key problem is not the events' fault");
    assertEquals(Outcome.Kind.RETRY, outcomes.get(0).kind());
    assertEquals(Outcome.Kind.RETRY, outcomes.get(1).kind());
    assertEquals(1, userpilot.calls().size(), "after the first 401 nothing more is sent during the pause");
    assertEquals(401, outcomes.get(1).status());
    assertTrue(queue.visibility.get("rh-b").compareTo(Dispatcher.AUTH_PAUSE) >= 0,
        "kept at least until the pause ends: " + queue.visibility);
  }

  @Test
  void theHorizonIsMeasuredInTimeNotInReceives() {
    userpilot.answer(call -> Reply.status(502));
    String body = identify("a", "u1", "{}");
    Outcome young = dispatcher().dispatch(List.of(message("a", body, 500, Instant.now().minusSeconds(3600), Map.of())),
        later()).get(0);
    assertEquals(Outcome.Kind.RETRY, young.kind(), "500 receives in an hour is not 24 hours of failing");

    // Its own attempts failing for 24 hours: dead-lettered, with the count of its own attempts.
    MovableClock clock = new MovableClock();
    Dispatcher d = dispatcher(DispatcherTest::testMapping, StandInUserpilot.API_KEY, Duration.ofSeconds(2), clock);
    assertEquals(Outcome.Kind.RETRY, d.dispatch(List.of(message("h", body, 1, Instant.now(), Map.of())), clock.instant().plusSeconds(30))
        .get(0).kind());
    clock.advance(Duration.ofHours(12));
    assertEquals(Outcome.Kind.RETRY, d.dispatch(List.of(message("h", body, 2, Instant.now(), Map.of())), clock.instant().plusSeconds(30))
        .get(0).kind());
    clock.advance(Duration.ofHours(12));
    Outcome old = d.dispatch(List.of(message("h", body, 40, Instant.now(), Map.of())), clock.instant().plusSeconds(30)).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, old.kind());
    assertTrue(old.reason().startsWith("failed for longer than the retry horizon (24 h): 3 failed attempts here over 40"
        + " receives; last: identify: Userpilot answered HTTP 502"), old.reason());
    assertEquals("3", queue.deadLettered.get(0).attributes().get("attempts"), "its own attempts, not its receives");
    assertEquals("502", queue.deadLettered.get(0).attributes().get("status"));
  }

  @Test
  void waitingBehindAnEarlierEventDoesNotCountTowardTheHorizon() {
    userpilot.answer(call -> Reply.status(502));
    // First handed out 30 hours ago, all that time behind its user's earlier events: its first own failure now is
    // not the end of it (only twice the horizon since the first receive would be).
    Outcome outcome = dispatcher().dispatch(List.of(message("w", identify("w", "u1", "{}"), 90,
        Instant.now().minus(Duration.ofHours(30)), Map.of())), later()).get(0);
    assertEquals(Outcome.Kind.RETRY, outcome.kind());
    Outcome ancient = dispatcher().dispatch(List.of(message("z", identify("z", "u1", "{}"), 90,
        Instant.now().minus(Duration.ofHours(49)), Map.of())), later()).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, ancient.kind(), "bounded: twice the horizon since the first receive");
  }

  @Test
  void anEventThatKeepsFailingWhileOthersToItsEndpointSucceedIsSetAside() {
    Dispatcher d = dispatcher();
    userpilot.answer(call -> call.body().path("user_id").asText().equals("poison") ? Reply.status(500) : Reply.accepted());
    String body = identify("p", "poison", "{}");
    for (int attempt = 1; attempt < 8; attempt++) {
      List<Outcome> outcomes = d.dispatch(List.of(message("ok" + attempt, "u2"),
          message("p", body, attempt, Instant.now(), Map.of())), later());
      assertEquals(Outcome.Kind.RETRY, outcomes.get(1).kind(), attempt + " failures are not yet a poison");
    }
    List<Outcome> late = d.dispatch(List.of(message("ok8", "u2"), message("p", body, 8, Instant.now(), Map.of())),
        later());
    assertEquals(Outcome.Kind.DEAD_LETTERED, late.get(1).kind());
    assertTrue(late.get(1).reason().startsWith("failed 8 times while Userpilot accepted other identifyUser calls"),
        late.get(1).reason());
  }

  @Test
  void receivesSpentHeldBackOrWaitingAreNotFailuresForThePoisonRule() {
    Dispatcher d = dispatcher();
    userpilot.answer(call -> call.body().path("user_id").asText().equals("late") ? Reply.status(503) : Reply.accepted());
    // Handed out for the ninth time, the first eight held back behind its user's earlier event (or waiting for
    // the pacer): this is its first own attempt, and it fails while Userpilot accepts another user's call.
    List<Outcome> outcomes = d.dispatch(List.of(message("ok", "u2"),
        message("l", identify("l", "late", "{}"), 9, Instant.now(), Map.of())), later());
    assertEquals(Outcome.Kind.DELIVERED, outcomes.get(0).kind());
    assertEquals(Outcome.Kind.RETRY, outcomes.get(1).kind(), "one failure is not a poison: " + outcomes.get(1).reason());
    assertTrue(queue.deadLettered.isEmpty());
  }

  @Test
  void receivesSpentWaitingBehindAnotherEventDoNotMakeAPoison() {
    Dispatcher d = dispatcher();
    userpilot.answer(call -> call.body().path("user_id").asText().equals("late") ? Reply.status(500) : Reply.accepted());
    // Handed out 20 times while it waited behind its user's earlier events; this is its first own failure.
    List<Outcome> outcomes = d.dispatch(List.of(message("ok", "u2"),
        message("l", identify("l", "late", "{}"), 20, Instant.now(), Map.of())), later());
    assertEquals(Outcome.Kind.RETRY, outcomes.get(1).kind());
  }

  @Test
  void anOutageIsNotMistakenForAPoison() {
    userpilot.answer(call -> Reply.status(500));
    Outcome outcome = dispatcher().dispatch(List.of(message("p", identify("p", "u1", "{}"), 30, Instant.now(),
        Map.of())), later()).get(0);
    assertEquals(Outcome.Kind.RETRY, outcome.kind(), "nothing to the endpoint succeeds: an outage, kept");
  }

  @Test
  void aPartlyDeliveredEventStaysInLineAndIsNotResentInPart() {
    userpilot.answer(call -> call.path().equals("/v1/track") ? Reply.status(500) : Reply.accepted());
    Dispatcher d = dispatcher();
    String body = identify("m", "u1", "{\"alsoTrack\":true}");
    Outcome first = d.dispatch(List.of(message("m", body, 1, Instant.now(), Map.of()), message("n", "u1")), later())
        .get(0);
    assertEquals(Outcome.Kind.RETRY, first.kind());
    assertTrue(first.keepInQueue(), "the event itself stays in the queue, ahead of the user's later events");
    assertTrue(queue.enqueued.isEmpty(), "no continuation message that could fall behind later events");
    assertEquals(Outcome.Kind.HELD_BACK, seen.get(1).kind());

    userpilot.reset();
    Outcome second = d.dispatch(List.of(message("m", body, 2, Instant.now(), Map.of())), later()).get(0);
    assertEquals(Outcome.Kind.DELIVERED, second.kind());
    assertEquals(List.of("/v1/track"), userpilot.calls().stream().map(StandInUserpilot.Call::path).toList());
  }

  @Test
  void aRedriveAfterTheMappingsWereReorderedSendsExactlyWhatIsMissing() {
    userpilot.answer(call -> call.path().equals("/v1/track") ? Reply.status(400) : Reply.accepted());
    String body = identify("m", "u1", "{\"alsoTrack\":true}");
    Outcome dead = dispatcher().dispatch(List.of(message("m", body, 1, Instant.now(), Map.of())), later()).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, dead.kind());
    QueueMessage letter = queue.deadLettered.get(0);
    String done = letter.attributes().get(RequestKeys.ATTRIBUTE);
    assertTrue(done.startsWith("identify/identifyUser/"), done);

    // The user fixes the track mapping and moves it first; the redriven letter is a new queue message.
    userpilot.reset();
    Function<JsonNode, List<MappedRequest>> reordered = event -> {
      List<MappedRequest> requests = new ArrayList<>(testMapping(event));
      java.util.Collections.reverse(requests);
      return requests;
    };
    Outcome redriven = dispatcher(reordered).dispatch(List.of(message("m-redriven", letter.body(), 1, Instant.now(),
        letter.attributes())), later()).get(0);
    assertEquals(Outcome.Kind.DELIVERED, redriven.kind());
    assertEquals(List.of("/v1/track"), userpilot.calls().stream().map(StandInUserpilot.Call::path).toList(),
        "the accepted identify is not sent again, though it is no longer the first mapping");
  }

  @Test
  void anUnmappableRequestIsDeadLetteredWhileTheOtherMappingsStillSend() {
    String body = identify("m", "u1", "{\"badMapping\":true}");
    Outcome outcome = dispatcher().dispatch(List.of(message("m", body, 1, Instant.now(), Map.of())), later()).get(0);
    assertEquals(Outcome.Kind.DEAD_LETTERED, outcome.kind());
    assertEquals(1, userpilot.accepted().size());
    assertEquals("broken: createdAt: not a date", queue.deadLettered.get(0).attributes().get("reason"));
    assertTrue(queue.deadLettered.get(0).attributes().get(RequestKeys.ATTRIBUTE).startsWith("identify/"),
        "a redrive will not resend the delivered part");
  }

  @Test
  void workPastTheDeadlineWaitsWithoutCountingAsAFailure() {
    Outcome outcome = dispatcher().dispatch(List.of(message("a", "u1")), Instant.now().minusSeconds(1)).get(0);
    assertEquals(Outcome.Kind.WAITING, outcome.kind());
    assertTrue(outcome.keepInQueue());
    assertTrue(userpilot.calls().isEmpty());
    assertTrue(queue.deadLettered.isEmpty());
  }

  @Test
  void noCallStartsTooCloseToTheDeadlineForItAndTheSqsCallsAfterIt() {
    Dispatcher reserved = dispatcher(DispatcherTest::testMapping, StandInUserpilot.API_KEY, Duration.ofSeconds(10));
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10)).plus(Dispatcher.SQS_RESERVE).minusSeconds(1);
    Outcome outcome = reserved.dispatch(List.of(message("a", "u1")), deadline).get(0);
    assertEquals(Outcome.Kind.WAITING, outcome.kind(), "less time is left than one call plus the SQS reserve");
    assertTrue(userpilot.calls().isEmpty());
  }

  @Test
  void onlyValidEventsStampedByIngestAreDeliveredTheRestIsRefusedWithAReason() {
    String forged = identify("f", "victim", "{}");
    InboundMessage unstamped = new InboundMessage("f", "rh-f", 1, forged, Map.of("messageId", "f"), null, null);
    String invalid = "{\"type\":\"identify\",\"messageId\":\"i\"}";
    List<Outcome> outcomes = dispatcher().dispatch(List.of(
        message("x", "not json", 1, Instant.now(), Map.of()), unstamped,
        message("i", invalid, 1, Instant.now(), Map.of()), message("c", "u3")), later());
    assertEquals(Outcome.Kind.REFUSED, outcomes.get(0).kind());
    assertEquals(Outcome.Kind.REFUSED, outcomes.get(1).kind());
    assertEquals(Outcome.Kind.REFUSED, outcomes.get(2).kind());
    assertEquals(Outcome.Kind.DELIVERED, outcomes.get(3).kind());
    assertEquals(List.of("u3"), userpilot.calls().stream().map(StandInUserpilot.Call::subject).toList());
    assertEquals(3, queue.rejected.size());
    assertTrue(queue.deadLettered.isEmpty(), "refused input is never in the redrivable dead-letter queue");
    Map<String, String> reasons = new HashMap<>();
    queue.rejected.forEach(m -> reasons.put(m.attributes().get("queueMessageId"), m.attributes().get("reason")));
    assertTrue(reasons.get("x").startsWith("not an event"), reasons.get("x"));
    assertTrue(reasons.get("f").contains("relayStamp"), reasons.get("f"));
    assertTrue(reasons.get("i").contains("userId"), reasons.get("i"));
  }

  @Test
  void aMappingCrashIsKeptNotThrown() {
    Function<JsonNode, List<MappedRequest>> crashing = event -> {
      if (event.path("userId").asText().equals("boom")) {
        throw new IllegalStateException("bug");
      }
      return testMapping(event);
    };
    List<Outcome> outcomes = dispatcher(crashing).dispatch(List.of(message("b", "boom"), message("c", "u3")), later());
    assertEquals(Outcome.Kind.RETRY, outcomes.get(0).kind());
    assertEquals("internal error: IllegalStateException", outcomes.get(0).reason());
    assertTrue(queue.visibility.get("rh-b").toSeconds() >= 15, "a failure with its backoff, not a 2 s loop that"
        + " would run into the queue's maxReceiveCount: " + queue.visibility.get("rh-b"));
    assertEquals(Outcome.Kind.DELIVERED, outcomes.get(1).kind());
  }

  @Test
  void noQueueWriteStartsTooCloseToTheDeadlineTheEventWaitsForTheNextReceive() {
    // Two unstamped messages of one user, each refused with a write that takes a second.
    com.userpilotrelay.queue.EventQueue slowQueue = new com.userpilotrelay.queue.EventQueue() {
      @Override
      public java.util.Set<String> enqueue(List<QueueMessage> messages) {
        return queue.enqueue(messages);
      }

      @Override
      public java.util.Set<String> deadLetter(List<QueueMessage> messages) {
        return queue.deadLetter(messages);
      }

      @Override
      public java.util.Set<String> reject(List<QueueMessage> messages) {
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return queue.reject(messages);
      }

      @Override
      public java.util.Set<String> retryAfter(Map<String, Duration> delays) {
        return queue.retryAfter(delays);
      }
    };
    Dispatcher d = new Dispatcher(DispatcherTest::testMapping,
        new HttpUserpilotClient(new Endpoint(userpilot.endpoint()), ApiKey.fixed(StandInUserpilot.API_KEY),
            Duration.ofSeconds(2)), new RatePacer(Map.of(), 1), new RetryPolicy(Duration.ofSeconds(30), Duration.ofHours(24)),
        slowQueue, STAMP, 8, 4, observer, Clock.systemUTC(), Duration.ofSeconds(2));
    String body1 = identify("f1", "u1", "{}");
    String body2 = identify("f2", "u1", "{}");
    List<InboundMessage> forged = List.of(new InboundMessage("f1", "rh-f1", 1, body1, Map.of(), null, null),
        new InboundMessage("f2", "rh-f2", 1, body2, Map.of(), null, null));
    // Work may start for half a second more; the first refusal's write takes a second.
    Instant deadline = Instant.now().plus(Duration.ofSeconds(2)).plus(Dispatcher.SQS_RESERVE).plusMillis(500);
    List<Outcome> outcomes = d.dispatch(forged, deadline);
    assertEquals(Outcome.Kind.REFUSED, outcomes.get(0).kind());
    assertEquals(Outcome.Kind.WAITING, outcomes.get(1).kind(), outcomes.get(1).toString());
    assertEquals(1, queue.rejected.size(), "no write that could outlast the invocation");
  }

  @Test
  void nothingMappedIsSkipped() {
    Outcome outcome = dispatcher(event -> List.of()).dispatch(List.of(message("a", "u1")), later()).get(0);
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
}
