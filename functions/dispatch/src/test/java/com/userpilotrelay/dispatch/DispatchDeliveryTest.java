package com.userpilotrelay.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Delivery through ElasticMQ and the real handlers: partial batch failures, backoff in the queue's
 * visibility, redelivery, Retry-After, dead-lettering with reasons, per-user order and pacing.
 */
class DispatchDeliveryTest {
  private static String track(String messageId, String user, String event) {
    return "{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"" + event + "\",\"messageId\":\"" + messageId + "\"}";
  }

  private static String identify(String messageId, String user) {
    return "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"" + messageId + "\",\"traits\":{\"step\":\""
        + messageId + "\"}}";
  }

  @Test
  void anOutageIsRetriedFromTheQueueAndEachUsersOrderIsKept() {
    try (Pipeline p = new Pipeline()) {
      // Alice's first call meets an outage; Bob's calls get through.
      AtomicInteger aliceFailures = new AtomicInteger(1);
      p.userpilot.answer(call -> "alice".equals(call.subject()) && aliceFailures.getAndDecrement() > 0
          ? Reply.status(503) : Reply.accepted());
      String body = "[" + identify("a1", "alice") + "," + track("a2", "alice", "First") + "," + track("a3", "alice", "Second")
          + "," + identify("b1", "bob") + "," + track("b2", "bob", "First") + "]";
      assertEquals(200, p.post(body).getStatusCode());

      SQSBatchResponse first = p.pollOnce(1);
      assertEquals(3, first.getBatchItemFailures().size(),
          "alice's first call failed, so her whole sequence stays queued; bob's is done");
      p.drainQueue(30_000);

      List<StandInUserpilot.Call> accepted = p.userpilot.accepted();
      assertEquals(5, accepted.size(), "every event delivered exactly once");
      assertEquals(List.of("a1", "First", "Second"), steps(accepted, "alice"));
      assertEquals(List.of("b1", "First"), steps(accepted, "bob"));
      assertEquals(0, p.sqs.depth(p.sqs.deadLetterUrl()));
      assertTrue(p.outcomes.stream().anyMatch(o -> o.kind() == com.userpilotrelay.delivery.Outcome.Kind.HELD_BACK));
    }
  }

  @Test
  void aLongerOutageStillDeliversEverythingOnce() {
    try (Pipeline p = new Pipeline()) {
      AtomicInteger failuresLeft = new AtomicInteger(4);
      p.userpilot.answer(call -> failuresLeft.getAndDecrement() > 0 ? Reply.status(503) : Reply.accepted());
      StringBuilder body = new StringBuilder("[");
      for (int i = 0; i < 12; i++) {
        body.append(i == 0 ? "" : ",").append(track("o" + i, "user" + (i % 4), "E" + i));
      }
      assertEquals(200, p.post(body.append("]").toString()).getStatusCode());
      p.drainQueue(60_000);
      List<String> delivered = p.userpilot.accepted().stream().map(c -> c.body().get("event_name").asText()).sorted().toList();
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        expected.add("E" + i);
      }
      assertEquals(expected.stream().sorted().toList(), delivered, "all delivered, none twice");
    }
  }

  private static List<String> steps(List<StandInUserpilot.Call> calls, String user) {
    List<String> steps = new ArrayList<>();
    for (StandInUserpilot.Call c : calls) {
      if (user.equals(c.subject())) {
        steps.add(c.body().has("event_name") ? c.body().get("event_name").asText() : c.body().at("/metadata/step").asText());
      }
    }
    return steps;
  }

  @Test
  void retryAfterKeepsTheMessageHiddenThatLong() throws Exception {
    try (Pipeline p = new Pipeline()) {
      AtomicInteger calls = new AtomicInteger();
      p.userpilot.answer(call -> calls.getAndIncrement() == 0 ? Reply.status(429).withRetryAfter("3") : Reply.accepted());
      p.post(track("t1", "u1", "E"));
      SQSBatchResponse response = p.pollOnce(1);
      assertEquals(1, response.getBatchItemFailures().size());
      Thread.sleep(1_500);
      assertNull(p.pollOnce(0), "still hidden: Retry-After said 3 s");
      p.drainQueue(10_000);
      List<StandInUserpilot.Call> all = p.userpilot.calls();
      assertEquals(2, all.size());
      long gapMillis = (all.get(1).receivedNanos() - all.get(0).receivedNanos()) / 1_000_000;
      assertTrue(gapMillis >= 3_000, "second try came " + gapMillis + " ms after the 429");
    }
  }

  @Test
  void aLongOutageEndsInTheDeadLetterQueueWithTheReasonNotInOblivion() {
    try (Pipeline p = new Pipeline()) {
      p.userpilot.answer(call -> Reply.status(503));
      p.post(identify("x1", "u1"));
      SQSBatchResponse first = p.pollOnce(1);
      assertEquals(1, first.getBatchItemFailures().size(), "kept for a retry");
      assertEquals(0, p.sqs.depth(p.sqs.deadLetterUrl()));
      // The retry comes back after its backoff (about a second here), first received 25 hours ago as far as
      // SQS's timestamps say.
      long dayAgo = System.currentTimeMillis() - java.time.Duration.ofHours(25).toMillis();
      SQSBatchResponse last = p.pollOnce(5, event -> event.getRecords().forEach(r ->
          r.getAttributes().put("ApproximateFirstReceiveTimestamp", Long.toString(dayAgo))));
      assertTrue(last.getBatchItemFailures().isEmpty(), "handled: dead-lettered by the relay itself");
      assertEquals(2, p.userpilot.calls().size(), "tried once per receive");
      List<Message> dead = p.sqs.drain(p.sqs.deadLetterUrl());
      assertEquals(1, dead.size());
      String reason = dead.get(0).messageAttributes().get("reason").stringValue();
      assertTrue(reason.startsWith("failed for longer than the retry horizon (24 h) over 2 receives; last: Identify"
          + " User: Userpilot answered HTTP 503"), reason);
      assertEquals("dispatch", dead.get(0).messageAttributes().get("stage").stringValue());
      assertEquals("2", dead.get(0).messageAttributes().get("attempts").stringValue());
      assertEquals("503", dead.get(0).messageAttributes().get("status").stringValue());
      assertEquals("x1", Json.parse(dead.get(0).body()).get("messageId").asText());
      assertEquals(0, p.sqs.depth(p.sqs.queueUrl()));
    }
  }

  @Test
  void aPoisonedUserIsTheOnlyOneDeadLettered() {
    try (Pipeline p = new Pipeline()) {
      p.userpilot.answer(call -> "poison".equals(call.subject()) ? Reply.status(400) : Reply.accepted());
      String body = "[" + identify("p1", "poison") + "," + identify("g1", "good") + "," + track("g2", "good", "E") + "]";
      p.post(body);
      SQSBatchResponse response = p.pollOnce(1);
      assertTrue(response.getBatchItemFailures().isEmpty(), "a permanent failure is not a retry");
      p.drainQueue(10_000);
      assertEquals(2, p.userpilot.accepted().size());
      List<Message> dead = p.sqs.drain(p.sqs.deadLetterUrl());
      assertEquals(1, dead.size());
      assertEquals("400", dead.get(0).messageAttributes().get("status").stringValue());
      assertTrue(dead.get(0).messageAttributes().get("reason").stringValue().contains("HTTP 400"));
    }
  }

  @Test
  void pacingKeepsCallsWithinTheConfiguredLimit() {
    // 240 a minute shared by 2 dispatchers: this one may call 2 a second.
    try (Pipeline p = new Pipeline(Mappings.presets(),
        Map.of("RATE_LIMIT_TRACK_PER_MINUTE", "240", "DISPATCH_CONCURRENCY", "2"))) {
      StringBuilder body = new StringBuilder("[");
      for (int i = 0; i < 7; i++) {
        body.append(i == 0 ? "" : ",").append(track("r" + i, "user" + i, "E"));
      }
      p.post(body.append("]").toString());
      p.drainQueue(20_000);
      List<StandInUserpilot.Call> calls = p.userpilot.calls();
      assertEquals(7, calls.size());
      long spanMillis = (calls.get(6).receivedNanos() - calls.get(0).receivedNanos()) / 1_000_000;
      assertTrue(spanMillis >= 2_900, "7 calls at 2/s span at least 3 s, took " + spanMillis + " ms");
    }
  }
}
