package com.userpilotrelay.local;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which messages the queue store has committed to DATA_DIR in the last minutes, for the deduplication
 * windows: a send that repeats an earlier one counts as a repeat only once the earlier one is in the file.
 *
 * <p>Why: ElasticMQ answers a repeat at once, from memory, without a change for the store. When the SDK
 * sends again after its first attempt timed out (a slow disk) or went unanswered (a failed write), that
 * answer would be a success for an event the file may never hold, and ingest would answer Segment 200. A
 * repeat of a send not yet committed is stored again instead: a duplicate at worst, never a loss.
 *
 * <p>Static, because ElasticMQ makes each queue's history with no arguments
 * ({@code FifoDeduplicationIdsHistory.newHistory()}). Ids are kept for {@link #KEPT_MILLIS}, more than the
 * five minutes a deduplication id is remembered from its message's creation. With no store open in this
 * JVM (ElasticMQ used without persistence) every message counts as stored.
 */
final class StoredMessages {
  /** Longer than SQS's five-minute deduplication window, counted from the commit (after the creation). */
  static final long KEPT_MILLIS = 6 * 60_000L;

  private static final ConcurrentHashMap<String, Long> STORED = new ConcurrentHashMap<>();
  private static final ConcurrentLinkedQueue<String> OLDEST_FIRST = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger OPEN_STORES = new AtomicInteger();

  private StoredMessages() {}

  static void storeOpened() {
    OPEN_STORES.incrementAndGet();
  }

  static void storeClosed() {
    if (OPEN_STORES.decrementAndGet() == 0) {
      STORED.clear();
      OLDEST_FIRST.clear();
    }
  }

  /** The store committed this message's add (or restored it). Called by the store's one writer thread. */
  static void stored(String messageId, long nowMillis) {
    if (STORED.put(messageId, nowMillis) == null) {
      OLDEST_FIRST.add(messageId);
    }
    for (String oldest = OLDEST_FIRST.peek(); oldest != null; oldest = OLDEST_FIRST.peek()) {
      Long at = STORED.get(oldest);
      if (at != null && nowMillis - at <= KEPT_MILLIS) {
        break;
      }
      OLDEST_FIRST.poll();
      STORED.remove(oldest);
    }
  }

  static boolean isStored(String messageId) {
    return OPEN_STORES.get() == 0 || STORED.containsKey(messageId);
  }

  static int size() {
    return STORED.size();
  }
}
