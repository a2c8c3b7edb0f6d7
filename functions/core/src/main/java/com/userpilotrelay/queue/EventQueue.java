package com.userpilotrelay.queue;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The queue port: the events queue and its dead-letter queue. Implementations retry transient failures
 * themselves; what they report as failed could not be stored.
 */
public interface EventQueue {
  /** Puts the messages on the events queue. Returns the ids of messages that could not be stored. */
  Set<String> enqueue(List<QueueMessage> messages);

  /** Puts the messages on the dead-letter queue. Returns the ids of messages that could not be stored. */
  Set<String> deadLetter(List<QueueMessage> messages);

  /** Hides a received message for {@code delay} before it is delivered again (the retry backoff). */
  void retryAfter(String receiptHandle, Duration delay);
}
