package com.userpilotrelay.queue;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A message to put on a queue.
 *
 * @param id unique within one send call (the event's messageId, or its index)
 * @param body the message body (JSON)
 * @param attributes string message attributes (type, messageId, userId, stage, reason, status …)
 * @param delay how long the queue hides it before first delivery (zero for none; at most 15 minutes)
 */
public record QueueMessage(String id, String body, Map<String, String> attributes, Duration delay) {
  public QueueMessage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(body, "body");
    attributes = Map.copyOf(attributes);
    delay = delay == null ? Duration.ZERO : delay;
  }

  public QueueMessage(String id, String body, Map<String, String> attributes) {
    this(id, body, attributes, Duration.ZERO);
  }
}
