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
 * @param reason why it was retried, held or dead-lettered; null when delivered or skipped
 * @param attempt how many times it has been tried, this time included
 * @param retryInSeconds when it comes back, for kinds that come back
 */
public record Outcome(Kind kind, String id, String messageId, String userKey, int status, String reason,
    int attempt, long retryInSeconds) {

  public enum Kind {
    /** Every request for it was accepted by Userpilot. */
    DELIVERED,
    /** No mapping subscribes to it: nothing to send. */
    SKIPPED,
    /** A retryable failure: it comes back after a backoff. */
    RETRY,
    /** Part was delivered; the rest continues as a new message that remembers what is done. */
    CONTINUED,
    /** Not tried because an earlier message of the same user must be retried first. */
    HELD_BACK,
    /** Not tried before the invocation's deadline; it comes back shortly. */
    DEFERRED,
    /** Cannot succeed by retrying: stored in the dead-letter queue with its reason. */
    DEAD_LETTERED
  }

  /** True when the queue must keep the message (it is named in the batch's item failures). */
  public boolean keepInQueue() {
    return kind == Kind.RETRY || kind == Kind.HELD_BACK || kind == Kind.DEFERRED;
  }
}
