package com.userpilotrelay.queue;

import java.util.Map;
import java.util.Objects;

/**
 * A message to put on a FIFO queue.
 *
 * @param id unique within one send call (the event's messageId, or its index)
 * @param body the message body (JSON)
 * @param attributes string message attributes (type, messageId, userId, stage, reason, status …)
 * @param groupId the FIFO message group: one user's (or company's) events, delivered strictly in order
 * @param deduplicationId SQS drops a second message with the same id (in the same group) within 5 minutes
 */
public record QueueMessage(String id, String body, Map<String, String> attributes, String groupId,
    String deduplicationId) {
  public QueueMessage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(body, "body");
    attributes = Map.copyOf(attributes);
  }

  /** A message for a standard queue (the rejected queue): no group, no deduplication. */
  public static QueueMessage unordered(String id, String body, Map<String, String> attributes) {
    return new QueueMessage(id, body, attributes, null, null);
  }
}
