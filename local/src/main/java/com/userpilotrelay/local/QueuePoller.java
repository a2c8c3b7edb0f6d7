package com.userpilotrelay.local;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.userpilotrelay.dispatch.DispatchHandler;
import com.userpilotrelay.dispatch.SqsEvents;
import com.userpilotrelay.observe.Log;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Lambda's SQS event source mapping, in one JVM: long-polls the events queue, hands batches of up to 10 to
 * the real {@link DispatchHandler}, and deletes every message the returned {@link SQSBatchResponse} does
 * not name (ReportBatchItemFailures). When the handler throws, or names a message that is not in the
 * batch, the whole batch stays in the queue and comes back after its visibility timeout — as in Lambda.
 */
final class QueuePoller {
  static final int BATCH_SIZE = 10;
  /** Long-poll wait; short enough that a graceful stop never waits long for an idle poll. */
  static final int WAIT_SECONDS = 2;

  private final SqsClient sqs;
  private final String queueUrl;
  private final String queueArn;
  private final DispatchHandler handler;
  private final Duration invocationBudget;
  private final RelayStats stats;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  QueuePoller(SqsClient sqs, String queueUrl, String queueArn, DispatchHandler handler, Duration invocationBudget,
      RelayStats stats) {
    this.stats = stats;
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.queueArn = queueArn;
    this.handler = handler;
    this.invocationBudget = invocationBudget;
  }

  /** Starts {@code concurrency} pollers, like the event source's MaximumConcurrency. */
  synchronized void start(int concurrency) {
    running = true;
    for (int i = 1; i <= concurrency; i++) {
      Thread thread = new Thread(this::loop, "relay-poller-" + i);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Asks the pollers to stop after the batch they hold; returns at once. */
  void requestStop() {
    running = false;
  }

  /** Lets every poller finish the batch it holds, then returns. Undeleted messages stay queued. */
  synchronized void stop(Duration grace) {
    running = false;
    long deadline = System.nanoTime() + grace.toNanos();
    for (Thread thread : threads) {
      try {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    threads.clear();
  }

  private void loop() {
    int failuresInARow = 0;
    while (running) {
      List<Message> messages;
      try {
        messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl)
            .maxNumberOfMessages(BATCH_SIZE)
            .waitTimeSeconds(WAIT_SECONDS)
            // A long poll outlasts SqsClients' 2 s attempt timeout by design.
            .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofSeconds(WAIT_SECONDS + 3))
                .apiCallTimeout(Duration.ofSeconds(WAIT_SECONDS + 5)))
            .messageAttributeNames("All")
            .messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
        failuresInARow = 0;
      } catch (SdkException e) {
        if (!running) {
          return;
        }
        if (failuresInARow++ == 0) {
          Log.warn("poller: cannot receive from the events queue; retrying", Map.of("error", String.valueOf(e.getMessage())));
        }
        sleep(1000);
        continue;
      }
      if (!messages.isEmpty()) {
        invoke(messages);
      }
    }
  }

  /** One "invocation": the handler's answer decides what is deleted. */
  void invoke(List<Message> messages) {
    Set<String> ids = new HashSet<>();
    messages.forEach(m -> ids.add(m.messageId()));
    SQSBatchResponse response;
    try {
      response = handler.handleRequest(SqsEvents.of(messages, queueArn, "elasticmq"), new LocalContext("dispatch", invocationBudget));
    } catch (RuntimeException | LinkageError e) {
      Log.error("poller: the dispatch handler failed; the batch stays in the queue",
          Map.of("error", e.getClass().getName(), "messages", messages.size()));
      stats.unsettled(ids);
      return;
    }
    Set<String> keep = new HashSet<>();
    if (response != null && response.getBatchItemFailures() != null) {
      for (SQSBatchResponse.BatchItemFailure failure : response.getBatchItemFailures()) {
        String id = failure == null ? null : failure.getItemIdentifier();
        if (id == null || !ids.contains(id)) {
          // Lambda treats an unknown or empty identifier as a failure of the whole batch.
          Log.error("poller: the handler named a message not in the batch; keeping the whole batch",
              Map.of("itemIdentifier", String.valueOf(id)));
          stats.unsettled(ids);
          return;
        }
        keep.add(id);
      }
    }
    List<DeleteMessageBatchRequestEntry> done = new ArrayList<>();
    List<String> doneIds = new ArrayList<>();
    for (Message m : messages) {
      if (!keep.contains(m.messageId())) {
        done.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(done.size()))
            .receiptHandle(m.receiptHandle()).build());
        doneIds.add(m.messageId());
      }
    }
    if (done.isEmpty()) {
      return;
    }
    stats.settling(() -> {
      try {
        var result = sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(done));
        List<String> notDeleted = new ArrayList<>();
        result.failed().forEach(f -> notDeleted.add(doneIds.get(Integer.parseInt(f.id()))));
        if (!notDeleted.isEmpty()) {
          Log.warn("poller: some finished messages could not be deleted and will be dispatched again",
              Map.of("count", notDeleted.size()));
        }
        stats.unsettled(notDeleted);
        List<String> deleted = new ArrayList<>(doneIds);
        deleted.removeAll(notDeleted);
        stats.settled(deleted);
      } catch (SdkException e) {
        Log.warn("poller: could not delete finished messages; they will be dispatched again",
            Map.of("count", done.size(), "error", String.valueOf(e.getMessage())));
        stats.unsettled(doneIds);
      }
    });
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
