package com.userpilotrelay.delivery;

import java.time.Instant;
import java.util.Map;

/**
 * A queued event as the dispatcher receives it.
 *
 * @param id the queue's message id (what a partial batch failure names)
 * @param receiptHandle the handle to change its visibility
 * @param receiveCount how many times the queue has handed it out, this time included
 * @param body the event JSON
 * @param attributes string message attributes
 * @param groupId its FIFO message group (one user's or company's events), or null when unknown
 * @param firstReceivedAt when the queue first handed it out, or null when unknown (then: now)
 */
public record InboundMessage(String id, String receiptHandle, int receiveCount, String body,
    Map<String, String> attributes, String groupId, Instant firstReceivedAt) {
  public InboundMessage {
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
  }

  public InboundMessage(String id, String receiptHandle, int receiveCount, String body, Map<String, String> attributes) {
    this(id, receiptHandle, receiveCount, body, attributes, null, null);
  }
}
