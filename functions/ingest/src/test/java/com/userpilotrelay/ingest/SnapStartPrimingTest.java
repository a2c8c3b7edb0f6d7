package com.userpilotrelay.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.prime.QueuePriming;
import com.userpilotrelay.queue.SqsEventQueue;
import com.userpilotrelay.testing.EmbeddedSqs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** SnapStart priming reaches the queue, changes nothing there, and never fails a snapshot. */
class SnapStartPrimingTest {
  @Test
  void primingCallsTheQueueAndLeavesItUntouched() throws Exception {
    try (EmbeddedSqs sqs = new EmbeddedSqs()) {
      IngestHandler handler = new IngestHandler(new IngestService(
          new RequestAuthenticator(Optional.of("s"), Optional.empty()),
          new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(), 4)), sqs.client(), sqs.queueUrl());
      handler.beforeCheckpoint(null);
      handler.afterRestore(null);
      assertTrue(QueuePriming.prime(sqs.client(), sqs.queueUrl()), "GetQueueAttributes answered");
      assertEquals(0, sqs.depth(sqs.queueUrl()));
      assertEquals(0, sqs.depth(sqs.deadLetterUrl()));
    }
  }

  @Test
  void aRefusedPrimingCallIsLoggedNotThrown() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Log.redirect(new PrintStream(out, true, StandardCharsets.UTF_8));
    try (EmbeddedSqs sqs = new EmbeddedSqs()) {
      String missing = sqs.queueUrl() + "-missing";
      IngestHandler handler = new IngestHandler(new IngestService(
          new RequestAuthenticator(Optional.of("s"), Optional.empty()), new com.userpilotrelay.testing.RecordingQueue()),
          sqs.client(), missing);
      handler.beforeCheckpoint(null);
      assertFalse(QueuePriming.prime(sqs.client(), missing));
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("SnapStart priming: GetQueueAttributes failed"), out.toString());
    } finally {
      Log.redirect(null);
    }
  }
}
