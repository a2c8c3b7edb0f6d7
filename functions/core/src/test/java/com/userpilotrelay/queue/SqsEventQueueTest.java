package com.userpilotrelay.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.testing.EmbeddedSqs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;

/** The SQS adapter against ElasticMQ, which refuses the characters real SQS refuses. */
class SqsEventQueueTest {
  private static EmbeddedSqs sqs;
  private static SqsEventQueue queue;

  @BeforeAll
  static void start() {
    sqs = new EmbeddedSqs();
    queue = new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(), 8);
  }

  @AfterAll
  static void stop() {
    sqs.close();
  }

  @BeforeEach
  void empty() {
    sqs.drain(sqs.queueUrl());
    sqs.drain(sqs.rejectedUrl());
  }

  private static QueueMessage event(String user, int n) {
    String id = user + "-" + n;
    return new QueueMessage(id, "{\"n\":" + n + "}", Map.of("messageId", id), MessageGroups.groupId("user:" + user),
        MessageGroups.deduplicationId("user:" + user, id));
  }

  @Test
  void attributesWithCharactersSqsRefusesAreStoredEscaped() {
    // A rejected event's type or messageId is sender text and goes into the quarantine's attributes:
    // {"type":"\u0000"} made the queue refuse the message, and ingest answered 503.
    Set<String> failed = queue.reject(List.of(QueueMessage.unordered("q", "{}",
        Map.of("reason", "type: \"\u0000\u0008\uD800\uFFFF\" ok \uD83D\uDE00 é\t"))));
    assertEquals(Set.of(), failed);
    List<Message> stored = sqs.drain(sqs.rejectedUrl());
    assertEquals(1, stored.size());
    assertEquals("type: \"\\u0000\\u0008\\uD800\\uFFFF\" ok \uD83D\uDE00 é\t",
        stored.get(0).messageAttributes().get("reason").stringValue());
  }

  @Test
  void storableLeavesValidTextAlone() {
    String text = "plain, Zoë ✓ \uD83D\uDE00 \r\n";
    assertEquals(text, SqsEventQueue.storable(text));
    assertEquals("\\uDC00x", SqsEventQueue.storable("\uDC00x"));
  }

  @Test
  void eachUsersEventsAreStoredInTheOrderGivenThoughBatchesGoOutConcurrently() {
    // 20 users' events interleaved, 30 each: 600 messages in 60 batches sent on 8 threads.
    List<QueueMessage> messages = new ArrayList<>();
    for (int n = 0; n < 30; n++) {
      for (int u = 0; u < 20; u++) {
        messages.add(event("u" + u, n));
      }
    }
    assertEquals(Set.of(), queue.enqueue(messages));
    Map<String, List<Integer>> seen = new LinkedHashMap<>();
    for (Message m : sqs.drain(sqs.queueUrl())) {
      String id = m.messageAttributes().get("messageId").stringValue();
      seen.computeIfAbsent(id.substring(0, id.indexOf('-')), k -> new ArrayList<>())
          .add(Integer.parseInt(id.substring(id.indexOf('-') + 1)));
    }
    assertEquals(20, seen.size());
    List<Integer> inOrder = new ArrayList<>();
    for (int n = 0; n < 30; n++) {
      inOrder.add(n);
    }
    seen.forEach((user, order) -> assertEquals(inOrder, order, user + " was stored out of order"));
  }

  @Test
  void aGroupsBatchesFormOneChainOtherGroupsGoAlongside() {
    List<QueueMessage> messages = new ArrayList<>();
    for (int n = 0; n < 10; n++) {
      messages.add(event("small", n));
      messages.add(event("big", 2 * n));
      messages.add(event("big", 2 * n + 1));
    }
    List<List<List<QueueMessage>>> chains = SqsEventQueue.chains(messages);
    assertEquals(2, chains.size());
    assertEquals(1, chains.get(0).size());
    assertEquals("small-0", chains.get(0).get(0).get(0).id());
    assertEquals(2, chains.get(1).size(), "big's 20 events: two batches sent one after another");
    assertEquals("big-10", chains.get(1).get(1).get(0).id());
  }

  @Test
  void theSameMessageIdInTheSameGroupIsStoredOnce() {
    assertEquals(Set.of(), queue.enqueue(List.of(event("d", 1))));
    assertEquals(Set.of(), queue.enqueue(List.of(event("d", 1))), "a duplicate is accepted, not an error");
    assertEquals(1, sqs.drain(sqs.queueUrl()).size());
  }

  @Test
  void retryDelaysAreSetPerMessageAndFailuresReported() {
    assertEquals(Set.of(), queue.enqueue(List.of(event("v", 1))));
    Message received = sqs.receive(sqs.queueUrl(), 1, 0).get(0);
    Map<String, Duration> delays = new LinkedHashMap<>();
    delays.put(received.receiptHandle(), Duration.ofSeconds(60));
    delays.put("not-a-receipt-handle", Duration.ofSeconds(60));
    Set<String> failed = queue.retryAfter(delays);
    assertEquals(Set.of("not-a-receipt-handle"), failed);
    assertTrue(sqs.receive(sqs.queueUrl(), 1, 0).isEmpty(), "hidden for its delay");
  }
}
