package com.userpilotrelay.delivery;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How often, and since when, this dispatcher's own attempts at an event have failed. SQS's receive count and
 * first-receive time also count the receives in which the event only waited behind its user's earlier events;
 * these do not. Kept in memory by queue message id (a FIFO message cannot be changed without losing its place),
 * so an event retried by another container starts counting again there; the retry horizon is then bounded by
 * the first-receive time instead (Dispatcher.afterFailure).
 */
final class OwnFailures {
  /** Events remembered; the least recently failed are forgotten first. */
  static final int REMEMBERED = 10_000;

  /** @param first when the first failure seen here happened; @param count failures seen here, this one included */
  record Seen(Instant first, int count) { }

  private final Map<String, Seen> byMessage = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
      return size() > REMEMBERED;
    }
  };

  /** Records a failed attempt now and returns what is known, this one included. */
  synchronized Seen failed(String queueMessageId, Instant now) {
    Seen before = byMessage.get(queueMessageId);
    Seen after = before == null ? new Seen(now, 1) : new Seen(before.first(), before.count() + 1);
    byMessage.put(queueMessageId, after);
    return after;
  }

  synchronized void forget(String queueMessageId) {
    byMessage.remove(queueMessageId);
  }
}
