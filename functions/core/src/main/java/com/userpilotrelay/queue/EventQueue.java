package com.userpilotrelay.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The queue port: the events queue (FIFO, one message group per user), its dead-letter queue (FIFO, redriven
 * once the cause is fixed) and the rejected queue (input ingest refused; never redriven). Implementations retry
 * transient failures themselves; what they report as failed could not be stored.
 */
public interface EventQueue {
  /** Puts the messages on the events queue, each group's in list order. Returns the ids not stored. */
  Set<String> enqueue(List<QueueMessage> messages);

  /** Puts the messages on the dead-letter queue. Returns the ids of messages that could not be stored. */
  Set<String> deadLetter(List<QueueMessage> messages);

  /** Keeps input that was refused (never delivered, never redriven). Returns the ids not stored. */
  Set<String> reject(List<QueueMessage> messages);

  /**
   * Hides received messages for their delay before they are handed out again (the retry backoff). While one of a
   * group's messages is hidden, the queue hands out none of that group's later messages. Returns the receipt
   * handles whose change failed (those come back after the queue's own visibility timeout instead).
   */
  Set<String> retryAfter(Map<String, Duration> delayByReceiptHandle);
}
