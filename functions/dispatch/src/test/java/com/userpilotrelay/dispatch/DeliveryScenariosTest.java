package com.userpilotrelay.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.DispatchSetup;
import com.userpilotrelay.delivery.Dispatcher;
import com.userpilotrelay.delivery.InboundMessage;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.queue.MessageGroups;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import com.userpilotrelay.userpilot.ApiKey;
import com.userpilotrelay.userpilot.Endpoint;
import com.userpilotrelay.userpilot.HttpUserpilotClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * Issue 11's delivery scenarios with real parts: the real ingest handler, ElasticMQ's FIFO queues, the real
 * dispatcher and handler, and the stand-in Userpilot over HTTP checking every call's key and headers.
 */
class DeliveryScenariosTest {
  /** Each event as its own request, as Segment sends them: per user an identify, then three tracks. */
  private static List<String> segmentRequests(int users, String prefix) {
    List<String> requests = new ArrayList<>();
    for (int step = 0; step < 4; step++) {
      for (int u = 0; u < users; u++) {
        String user = prefix + u;
        int seq = u * 10 + step;
        requests.add(step == 0
            ? "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"" + prefix + seq
                + "\",\"traits\":{\"seq\":" + seq + "}}"
            : "{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"Step\",\"messageId\":\"" + prefix + seq
                + "\",\"properties\":{\"seq\":" + seq + "}}");
      }
    }
    return requests;
  }

  private static void postAll(Pipeline p, List<String> requests) {
    for (String body : requests) {
      assertEquals(200, p.post(body).getStatusCode(), body);
    }
  }

  /** seq of each accepted call, per user, in arrival order. */
  private static Map<String, List<Integer>> deliveredPerUser(StandInUserpilot userpilot) {
    Map<String, List<Integer>> perUser = new TreeMap<>();
    for (StandInUserpilot.Call call : userpilot.accepted()) {
      perUser.computeIfAbsent(call.subject(), u -> new ArrayList<>()).add(call.body().at("/metadata/seq").asInt());
    }
    return perUser;
  }

  /** Every user's events arrived once each, identify first, in the order they were sent. */
  private static void assertEachUserInOrderOnce(StandInUserpilot userpilot, int users) {
    Map<String, List<Integer>> perUser = deliveredPerUser(userpilot);
    assertEquals(users, perUser.size(), "every user reached Userpilot: " + perUser.keySet());
    perUser.forEach((user, seqs) -> {
      int u = Integer.parseInt(user.replaceAll("\\D", ""));
      assertEquals(List.of(u * 10, u * 10 + 1, u * 10 + 2, u * 10 + 3), seqs, user + " delivered in order, once each");
    });
  }

  /**
   * Userpilot answers its first call 429 with Retry-After and refuses every call until that time has passed.
   * The case was 75 s; 3 s here, as the mechanism is the same (Retry-After becomes the message's retry
   * delay and pauses the endpoint's pacer) and the test stays short.
   */
  @Test
  void retryAfterOnTheFirstCallsDeadLettersNothingAndNoCallComesBeforeItElapsed() {
    try (Pipeline p = new Pipeline()) {
      long retryAfterNanos = Duration.ofSeconds(3).toNanos();
      AtomicLong throttledUntil = new AtomicLong(Long.MIN_VALUE);
      List<StandInUserpilot.Call> early = new CopyOnWriteArrayList<>();
      List<StandInUserpilot.Call> throttled = new CopyOnWriteArrayList<>();
      p.userpilot.answer(call -> {
        synchronized (throttledUntil) {
          if (throttledUntil.get() == Long.MIN_VALUE) {
            throttledUntil.set(call.receivedNanos() + retryAfterNanos);
            throttled.add(call);
            return Reply.status(429).withRetryAfter("3");
          }
          if (call.receivedNanos() < throttledUntil.get()) {
            early.add(call);
            return Reply.status(429).withRetryAfter("3");
          }
        }
        return Reply.accepted();
      });
      // The relay's side of each call: when it started, and when its answer came back.
      record Sent(long startedNanos, long answeredNanos, int status) { }
      List<Sent> sent = new CopyOnWriteArrayList<>();
      HttpUserpilotClient http = DispatchSetup.client(p.env, com.userpilotrelay.config.SecretSource.none()).orElseThrow();
      List<Outcome> outcomes = new CopyOnWriteArrayList<>();
      DispatchHandler handler = new DispatchHandler(DispatchSetup.dispatcher(p.env, p.mappings, request -> {
        long started = System.nanoTime();
        var response = http.send(request);
        sent.add(new Sent(started, System.nanoTime(), response.status()));
        return response;
      }, p.queue, IngestStamp.marker(), new DeliveryObserver() {
        @Override
        public void finished(Outcome outcome) {
          outcomes.add(outcome);
        }
      }));
      postAll(p, segmentRequests(10, "ra-"));
      drainWith(p, handler, 60_000);

      assertEquals(1, throttled.size());
      long heard = sent.stream().filter(s -> s.status() == 429).mapToLong(Sent::answeredNanos).min().orElseThrow();
      List<Sent> tooSoon = sent.stream().filter(s -> s.startedNanos() > heard
          && s.startedNanos() < heard + retryAfterNanos).toList();
      assertTrue(tooSoon.isEmpty(), tooSoon.size() + " calls started after the 429 was heard and before its"
          + " Retry-After elapsed");
      // Only calls already under way when the answer came may reach Userpilot inside its window.
      long underWay = sent.stream().filter(s -> s.startedNanos() <= heard).count() - 1;
      assertTrue(early.size() <= underWay, "calls inside Userpilot's window: " + early.size());
      assertEachUserInOrderOnce(p.userpilot, 10);
      assertEquals(List.of(), p.sqs.drain(p.sqs.deadLetterUrl()), "nothing dead-lettered");
      assertFalse(outcomes.stream().anyMatch(o -> o.kind() == Outcome.Kind.DEAD_LETTERED));
    }
  }

  /** A clock the test moves: the one-minute auth pause passes without a minute of waiting. */
  private static final class MovableClock extends Clock {
    private final AtomicReference<Instant> now;

    MovableClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    void advance(Duration d) {
      now.updateAndGet(t -> t.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  /**
   * The key in the secret store is wrong (a rotation gone half-way) for three pauses, then fixed. The real
   * dispatcher runs on a clock the test moves; ElasticMQ hands the kept events out again, and "time passing" is
   * the test making them visible once the clock has moved past their delay.
   */
  @Test
  void aStormOf401sThenAGoodKeyDeadLettersNothingAndDeliversEverythingInOrder() {
    try (Pipeline p = new Pipeline()) {
      MovableClock clock = new MovableClock(Instant.now());
      AtomicReference<String> storedKey = new AtomicReference<>("a-key-that-was-rotated-away");
      HttpUserpilotClient client = new HttpUserpilotClient(new Endpoint(p.userpilot.endpoint()),
          new ApiKey(storedKey::get, clock), Duration.ofSeconds(2));
      List<Outcome> outcomes = new CopyOnWriteArrayList<>();
      // The relay's side of each call: in which round it started, when, and when its answer came back.
      record Sent(int round, long startedNanos, long answeredNanos, int status) { }
      List<Sent> sent = new CopyOnWriteArrayList<>();
      java.util.concurrent.atomic.AtomicInteger currentRound = new java.util.concurrent.atomic.AtomicInteger();
      Dispatcher dispatcher = new Dispatcher(p.mappings::map, request -> {
        long started = System.nanoTime();
        var response = client.send(request);
        sent.add(new Sent(currentRound.get(), started, System.nanoTime(), response.status()));
        return response;
      }, DispatchSetup.pacer(p.env),
          DispatchSetup.retryPolicy(p.env), p.queue, IngestStamp.marker(), DispatchSetup.poisonAttempts(p.env), 10,
          new DeliveryObserver() {
            @Override
            public void finished(Outcome outcome) {
              outcomes.add(outcome);
            }
          }, clock, Duration.ofSeconds(2));
      postAll(p, segmentRequests(8, "auth-"));

      List<Integer> callsPerRound = new ArrayList<>();
      for (int round = 0; round < 12; round++) {
        if (round == 3) {
          storedKey.set(StandInUserpilot.API_KEY); // the operator fixes the key
        }
        currentRound.set(round);
        int before = p.userpilot.calls().size();
        Map<String, Duration> kept = drainOnce(p, dispatcher, clock);
        callsPerRound.add(p.userpilot.calls().size() - before);
        if (kept.isEmpty()) {
          break;
        }
        // Time passes: the clock moves past the longest delay and the queue hands the kept events out again.
        Duration longest = kept.values().stream().max(Duration::compareTo).orElseThrow();
        clock.advance(longest.plusSeconds(1));
        kept.keySet().forEach(handle -> p.sqs.client().changeMessageVisibility(b -> b.queueUrl(p.sqs.queueUrl())
            .receiptHandle(handle).visibilityTimeout(0)));
      }
      System.out.println("401 storm: Userpilot calls per round " + callsPerRound + "; refused "
          + p.userpilot.violations().size());

      assertEquals(0, p.sqs.depth(p.sqs.queueUrl()), "everything settled: " + callsPerRound);
      assertEquals(List.of(), p.sqs.drain(p.sqs.deadLetterUrl()), "a refused key is not the events' fault");
      assertEachUserInOrderOnce(p.userpilot, 8);
      for (int round = 0; round < 3; round++) {
        int r = round;
        long heard = sent.stream().filter(c -> c.round() == r && c.status() == 401).mapToLong(Sent::answeredNanos)
            .min().orElseThrow();
        assertEquals(List.of(), sent.stream().filter(c -> c.round() == r && c.startedNanos() > heard).toList(),
            "once a refusal is heard, no call starts until the pause ends (round " + r + "): " + callsPerRound);
      }
      assertEquals(callsPerRound.get(0) + callsPerRound.get(1) + callsPerRound.get(2),
          p.userpilot.violations().size(), "every call during the storm carried the old key, and was refused");
      assertTrue(outcomes.stream().filter(o -> o.kind() == Outcome.Kind.RETRY).allMatch(o -> o.status() == 401),
          "kept because of the key, nothing else");
    }
  }

  /**
   * Receives everything visible and dispatches it batch by batch as the event source mapping would, deleting
   * what the outcomes do not keep. Returns the kept messages' receipt handles with their retry delays.
   */
  private static Map<String, Duration> drainOnce(Pipeline p, Dispatcher dispatcher, Clock clock) {
    Map<String, Duration> kept = new LinkedHashMap<>();
    while (true) {
      List<Message> messages = p.sqs.receive(p.sqs.queueUrl(), 10, 0);
      if (messages.isEmpty()) {
        return kept;
      }
      List<InboundMessage> inbound = new ArrayList<>();
      for (SQSEvent.SQSMessage record : SqsEvents.of(messages, null, null).getRecords()) {
        inbound.add(DispatchHandler.toInbound(record));
      }
      List<Outcome> outcomes = dispatcher.dispatch(inbound, clock.instant().plusSeconds(60));
      List<DeleteMessageBatchRequestEntry> done = new ArrayList<>();
      for (int i = 0; i < messages.size(); i++) {
        Message m = messages.get(i);
        if (outcomes.get(i).keepInQueue()) {
          kept.put(m.receiptHandle(), Duration.ofSeconds(outcomes.get(i).retryInSeconds()));
        } else {
          done.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(i)).receiptHandle(m.receiptHandle())
              .build());
        }
      }
      if (!done.isEmpty()) {
        p.sqs.client().deleteMessageBatch(b -> b.queueUrl(p.sqs.queueUrl()).entries(done));
      }
    }
  }

  private static final String IDENTIFY_USER = "{\"name\": \"Identify User\", \"enabled\": true,"
      + " \"subscribe\": \"type = \\\"identify\\\"\", \"action\": \"identifyUser\","
      + " \"mapping\": {\"userId\": {\"@path\": \"$.userId\"}, \"traits\": {\"@path\": \"$.traits\"}}}";

  private static String signedUp(String planPath) {
    return "{\"name\": \"Signed Up\", \"enabled\": true, \"subscribe\": \"type = \\\"identify\\\"\","
        + " \"action\": \"trackEvent\", \"mapping\": {\"userId\": {\"@path\": \"$.userId\"}, \"name\": \"Signed Up\","
        + " \"properties\": {\"plan\": {\"@path\": \"" + planPath + "\"}}}}";
  }

  /**
   * Two requests per identify; Userpilot refuses the second (400: the mapping reads the plan from a path that
   * does not exist). The operator fixes that mapping and moves it first, then redrives: only the missing track is
   * sent, though the accepted identify is no longer the first mapping.
   */
  @Test
  void aRedriveAfterTheMappingsWereReorderedAndFixedSendsExactlyTheMissingRequest() {
    Mappings broken = Mappings.parse("{\"mappings\": [" + IDENTIFY_USER + ", " + signedUp("$.traits.plann") + "]}");
    Mappings fixed = Mappings.parse("{\"mappings\": [" + signedUp("$.traits.plan") + ", " + IDENTIFY_USER + "]}");
    try (Pipeline p = new Pipeline(broken, Map.of())) {
      Function<StandInUserpilot.Call, Reply> userpilot = call -> call.path().equals("/v1/track")
          && !call.body().at("/metadata/plan").isTextual() ? Reply.status(400) : Reply.accepted();
      p.userpilot.answer(userpilot::apply);
      for (String user : List.of("r1", "r2")) {
        assertEquals(200, p.post("{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"id-" + user
            + "\",\"traits\":{\"plan\":\"pro\"}}").getStatusCode());
      }
      p.drainQueue(30_000);
      assertEquals(List.of("/v1/identify", "/v1/identify"), paths(p.userpilot.accepted()));
      assertEquals(2, p.userpilot.calls().stream().filter(c -> c.path().equals("/v1/track")).count(),
          "each event's track was tried once and refused");

      int moved = redrive(p);
      assertEquals(2, moved);
      p.userpilot.reset();
      p.userpilot.answer(userpilot::apply);
      DispatchHandler afterFix = new DispatchHandler(DispatchSetup.dispatcher(p.env, fixed,
          DispatchSetup.client(p.env, com.userpilotrelay.config.SecretSource.none()).orElseThrow(), p.queue,
          IngestStamp.marker(), DeliveryObserver.NONE));
      drainWith(p, afterFix, 30_000);

      assertEquals(List.of("/v1/track", "/v1/track"), paths(p.userpilot.calls()),
          "exactly the missing request per event, nothing resent");
      assertEquals(Set.of("r1", "r2"), p.userpilot.accepted().stream().map(StandInUserpilot.Call::subject)
          .collect(Collectors.toSet()));
      p.userpilot.accepted().forEach(c -> assertEquals("pro", c.body().at("/metadata/plan").asText()));
      assertEquals(List.of(), p.sqs.drain(p.sqs.deadLetterUrl()));
      assertEquals(0, p.sqs.depth(p.sqs.queueUrl()));
    }
  }

  private static List<String> paths(List<StandInUserpilot.Call> calls) {
    return calls.stream().map(StandInUserpilot.Call::path).toList();
  }

  /**
   * Moves every dead letter back to the events queue as the local runner's DeadLetters.redrive (and SQS's
   * message move task) does: same body and group, without the attributes that said why it failed, with the
   * progress attribute (relayDone) kept, under a fresh deduplication id.
   */
  private static int redrive(Pipeline p) {
    Set<String> failureAttributes = Set.of("stage", "reason", "status", "attempts", "index");
    int moved = 0;
    while (true) {
      List<Message> letters = p.sqs.receive(p.sqs.deadLetterUrl(), 10, 0);
      if (letters.isEmpty()) {
        return moved;
      }
      List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
      for (Message m : letters) {
        assertTrue(m.messageAttributes().containsKey("relayDone"), "the dead letter carries what was accepted");
        Map<String, MessageAttributeValue> attributes = new HashMap<>(m.messageAttributes());
        attributes.keySet().removeAll(failureAttributes);
        entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(entries.size())).messageBody(m.body())
            .messageAttributes(attributes)
            .messageGroupId(m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID))
            .messageDeduplicationId("r-" + MessageGroups.sha256(m.messageId() + "\n" + System.nanoTime())).build());
      }
      var sent = p.sqs.client().sendMessageBatch(b -> b.queueUrl(p.sqs.queueUrl()).entries(entries));
      assertTrue(sent.failed().isEmpty(), sent.failed().toString());
      p.sqs.client().deleteMessageBatch(b -> b.queueUrl(p.sqs.deadLetterUrl()).entries(letters.stream()
          .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId()).receiptHandle(m.receiptHandle()).build())
          .toList()));
      moved += letters.size();
    }
  }

  /** Polls with this handler, as the event source mapping would, until the events queue is empty. */
  private static void drainWith(Pipeline p, DispatchHandler handler, long timeoutMillis) {
    long end = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < end && p.sqs.depth(p.sqs.queueUrl()) > 0) {
      List<Message> messages = p.sqs.receive(p.sqs.queueUrl(), 10, 1);
      if (messages.isEmpty()) {
        continue;
      }
      SQSBatchResponse response = handler.handleRequest(SqsEvents.of(messages, null, null), null);
      Set<String> kept = response.getBatchItemFailures().stream()
          .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).collect(Collectors.toSet());
      List<DeleteMessageBatchRequestEntry> done = messages.stream().filter(m -> !kept.contains(m.messageId()))
          .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId()).receiptHandle(m.receiptHandle()).build())
          .toList();
      if (!done.isEmpty()) {
        p.sqs.client().deleteMessageBatch(b -> b.queueUrl(p.sqs.queueUrl()).entries(done));
      }
    }
  }
}
