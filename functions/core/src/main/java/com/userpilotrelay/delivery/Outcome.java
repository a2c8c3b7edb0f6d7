package com.userpilotrelay.delivery;

/**
 * What became of one queued message in one dispatch, with its reason as data: the dead-letter queue,
 * the log line and the metrics are all made from this.
 *
 * @param kind what happened
 * @param id the queue's message id
 * @param messageId the Segment messageId, when readable
 * @param userKey the user (or company) whose order it keeps
 * @param status Userpilot's last HTTP status (0 for none or no answer)
 * @param reason why it was retried, held, refused or dead-lettered; null when delivered or skipped
 * @param attempt how many times the queue has handed it out, this time included
 * @param retryInSeconds when it comes back, for kinds that stay in the queue
 */
public record Outcome(Kind kind, String id, String messageId, String userKey, int status, String reason,
    int attempt, long retryInSeconds) {

  public enum Kind {
    /** Every request for it was accepted by Userpilot. */
    DELIVERED,
    /** No mapping subscribes to it: nothing to send. */
    SKIPPED,
    /** Its attempt failed in a way that may pass (or the API key is refused): it comes back after a backoff. */
    RETRY,
    /** Not tried, and not counted as failing: the rate pacer or the invocation's deadline said wait. */
    WAITING,
    /** Not tried because an earlier event of the same user stays in the queue; it keeps its place behind it. */
    HELD_BACK,
    /** Cannot succeed by retrying, or its retry horizon has passed: in the dead-letter queue with its reason. */
    DEAD_LETTERED,
    /** Not an event this relay's ingest accepted: kept in the rejected queue, never delivered. */
    REFUSED
  }

  /** True when the queue must keep the message (it is named in the batch's item failures). */
  public boolean keepInQueue() {
    return kind == Kind.RETRY || kind == Kind.HELD_BACK || kind == Kind.WAITING;
  }
}
