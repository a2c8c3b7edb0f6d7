package com.userpilotrelay.delivery;

import java.util.Map;

/**
 * A queued event as the dispatcher receives it.
 *
 * @param id the queue's message id (what a partial batch failure names)
 * @param receiptHandle the handle to change its visibility
 * @param receiveCount how many times the queue has handed it out, this time included
 * @param body the event JSON
 * @param attributes string message attributes
 */
public record InboundMessage(String id, String receiptHandle, int receiveCount, String body,
    Map<String, String> attributes) {
  public InboundMessage {
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
  }
}
