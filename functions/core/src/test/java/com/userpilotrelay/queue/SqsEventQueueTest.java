package com.userpilotrelay.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.userpilotrelay.testing.EmbeddedSqs;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;

/** The SQS adapter against ElasticMQ, which refuses the characters real SQS refuses. */
class SqsEventQueueTest {
  private static EmbeddedSqs sqs;

  @BeforeAll
  static void start() {
    sqs = new EmbeddedSqs();
  }

  @AfterAll
  static void stop() {
    sqs.close();
  }

  @Test
  void attributesWithCharactersSqsRefusesAreStoredEscaped() {
    // A rejected event's type or messageId is sender text and goes into the quarantine's attributes:
    // {"type":"\u0000"} made the dead-letter queue refuse the message, and ingest answered 503.
    SqsEventQueue queue = new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), 2);
    Set<String> failed = queue.deadLetter(List.of(new QueueMessage("q", "{}",
        Map.of("reason", "type: \"\u0000\u0008\uD800\uFFFF\" ok \uD83D\uDE00 é\t"))));
    assertEquals(Set.of(), failed);
    List<Message> stored = sqs.drain(sqs.deadLetterUrl());
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
}
