package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import org.elasticmq.DeduplicationId;
import org.elasticmq.FifoDeduplicationIdsHistory;
import org.elasticmq.MessageContent;
import org.elasticmq.NeverReceived$;
import org.elasticmq.actor.queue.InternalMessage;
import org.elasticmq.util.NowProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;
import scala.collection.mutable.ArrayBuffer;
import software.amazon.awssdk.services.sqs.model.SendMessageResponse;

/** The deduplication window ElasticMQ's FIFO queues use in the runner: SQS's five minutes, by id. */
class DeduplicationWindowTest {
  private static final OffsetDateTime T0 = OffsetDateTime.of(2026, 12, 6, 10, 0, 0, 0, ZoneOffset.UTC);

  @TempDir
  Path dataDir;

  @Test
  void elasticMqMakesEveryFifoHistoryADeduplicationWindow() {
    // How ElasticMQ's queue actors make theirs (QueueActorStorage, PurgeQueue): the companion object's method.
    assertInstanceOf(DeduplicationWindow.class, org.elasticmq.FifoDeduplicationIdsHistory$.MODULE$.newHistory());
    assertInstanceOf(DeduplicationWindow.class, FifoDeduplicationIdsHistory.newHistory());
  }

  @Test
  void anIdIsKnownForFiveMinutesFromItsFirstMessage() {
    DeduplicationWindow window = new DeduplicationWindow();
    InternalMessage first = message("m-1", "dedup-a", T0, "{\"seq\":1}");
    assertSame(window, window.addNew(first));
    window.addNew(message("m-2", "dedup-a", T0.plusSeconds(10), "{\"seq\":2}"));
    window.addNew(message("m-3", "dedup-b", T0.plusMinutes(3), "{\"seq\":3}"));

    InternalMessage known = window.wasRegistered(Option.apply(new DeduplicationId("dedup-a"))).get();
    assertEquals("m-1", known.id(), "a repeat is answered with the first message");
    assertEquals(first.sequenceNumber(), known.sequenceNumber());
    assertEquals("", known.content().value(), "its body is not kept");
    assertTrue(window.wasRegistered(Option.apply(new DeduplicationId("dedup-c"))).isEmpty());
    assertTrue(window.wasRegistered(Option.empty()).isEmpty());

    window.cleanOutdatedMessages(at(T0.plusMinutes(5)));
    assertEquals(2, window.size(), "five minutes exactly: still known");
    window.cleanOutdatedMessages(at(T0.plusMinutes(5).plusSeconds(1)));
    assertTrue(window.wasRegistered(Option.apply(new DeduplicationId("dedup-a"))).isEmpty(), "forgotten after");
    assertEquals("m-3", window.wasRegistered(Option.apply(new DeduplicationId("dedup-b"))).get().id());
    window.cleanOutdatedMessages(at(T0.plusMinutes(8).plusSeconds(1)));
    assertEquals(0, window.size());
  }

  /** With a store open, a repeat counts as one only once the first message is in DATA_DIR. */
  @Test
  void aRepeatCountsOnlyOnceTheFirstMessageIsStored() {
    StoredMessages.storeOpened();
    try {
      DeduplicationWindow window = new DeduplicationWindow();
      window.addNew(message("m-unstored", "dedup-s", T0, "{}"));
      assertTrue(window.wasRegistered(Option.apply(new DeduplicationId("dedup-s"))).isEmpty(),
          "not yet written: ElasticMQ must store the repeat");
      StoredMessages.stored("m-unstored", System.currentTimeMillis());
      assertEquals("m-unstored", window.wasRegistered(Option.apply(new DeduplicationId("dedup-s"))).get().id());
    } finally {
      StoredMessages.storeClosed();
    }
  }

  @Test
  void storedIdsAreKeptLongerThanTheWindowAndThenDropped() {
    StoredMessages.storeOpened();
    try {
      long t = 1_000_000L;
      StoredMessages.stored("a", t);
      StoredMessages.stored("b", t + 60_000);
      StoredMessages.stored("c", t + StoredMessages.KEPT_MILLIS);
      assertTrue(StoredMessages.isStored("a"), "kept for KEPT_MILLIS");
      StoredMessages.stored("d", t + StoredMessages.KEPT_MILLIS + 1);
      assertTrue(!StoredMessages.isStored("a") && StoredMessages.isStored("b") && StoredMessages.isStored("d"));
      assertEquals(3, StoredMessages.size());
    } finally {
      StoredMessages.storeClosed();
    }
  }

  @Test
  void aMessageWithoutAnIdIsNotRemembered() {
    DeduplicationWindow window = new DeduplicationWindow();
    window.addNew(message("m-1", null, T0, "{}"));
    assertEquals(0, window.size());
  }

  /** Through the runner's SQS: a repeat within the window is not stored again and gets the first id back. */
  @Test
  void theRunnersFifoQueueStoresARepeatedIdOnce() {
    try (LocalSqs sqs = LocalSqs.start(RelayHttp.freePort(), dataDir, 1000)) {
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        SendMessageResponse sent = sqs.client().sendMessage(b -> b.queueUrl(sqs.queueUrl()).messageBody("{\"n\":1}")
            .messageGroupId("u").messageDeduplicationId("same"));
        ids.add(sent.messageId());
      }
      sqs.client().sendMessage(b -> b.queueUrl(sqs.queueUrl()).messageBody("{\"n\":2}").messageGroupId("u")
          .messageDeduplicationId("other"));
      assertEquals(1, ids.size(), "every repeat answered with the first message's id: " + ids);
      assertEquals(2, sqs.depth(sqs.queueUrl()));
    }
  }

  private static NowProvider at(OffsetDateTime now) {
    return new NowProvider() {
      @Override
      public OffsetDateTime now() {
        return now;
      }

      @Override
      public long nowMillis() {
        return now.toInstant().toEpochMilli();
      }
    };
  }

  private static InternalMessage message(String id, String deduplicationId, OffsetDateTime created, String body) {
    return new InternalMessage(id, new ArrayBuffer<>(), 0L, new MessageContent(body),
        scala.collection.immutable.Map$.MODULE$.empty(), created, 0, NeverReceived$.MODULE$, 0, true, Option.apply("g"),
        Option.apply(deduplicationId).map(DeduplicationId::new), Option.empty(), Option.apply(id.substring(2)),
        Option.empty());
  }
}
