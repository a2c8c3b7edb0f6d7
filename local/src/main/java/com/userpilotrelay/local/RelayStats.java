package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.json.Json;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntSupplier;

/**
 * What the runner has done since it started: ingest counts from the ingest handler's answers, delivery
 * counts from the dispatcher's outcomes (the same outcomes that feed the Lambda's logs and metrics).
 *
 * <p>The books balance exactly: once every ingest request has been answered, accepted = queueDepth + delivered +
 * skipped + deadLettered (until a redrive puts dead letters back on the queue). A message the dispatcher has
 * finished stays on the queue until the poller deletes its batch, so its final outcome is counted only then, and
 * {@link #toJson} reads the queue and the counters while no deletion is under way. Before, a finished message
 * was counted both in the queue's depth and as delivered for the rest of its batch (the bench saw 30,002 of
 * 30,000: a counting slip, not a duplicate delivery).
 */
final class RelayStats implements DeliveryObserver {
  /** Deletions share it; a snapshot of the books takes it alone (fair: a waiting snapshot is not starved). */
  private final ReentrantReadWriteLock books = new ReentrantReadWriteLock(true);
  /** Final outcomes of messages still on the queue, by queue message id, counted once their deletion is done. */
  private final Map<String, Outcome.Kind> unsettled = new ConcurrentHashMap<>();

  /** POST /segment requests answered (any status). */
  final AtomicLong received = new AtomicLong();
  /** Events enqueued for delivery. */
  final AtomicLong accepted = new AtomicLong();
  /** Events that failed validation (each kept in the rejected queue with stage "ingest"). */
  final AtomicLong rejected = new AtomicLong();
  /** Messages on the events queue that ingest never accepted (kept in the rejected queue, stage "dispatch"). */
  final AtomicLong refused = new AtomicLong();
  final AtomicLong delivered = new AtomicLong();
  /** Events no mapping subscribes to (page, screen, alias with the presets). */
  final AtomicLong skipped = new AtomicLong();
  /** Attempts that failed and will be retried; events held behind them count under heldBack. */
  final AtomicLong retried = new AtomicLong();
  /** Kept behind an earlier event of the same user, or waiting for the rate limit: not failures. */
  final AtomicLong waiting = new AtomicLong();
  final AtomicLong deadLettered = new AtomicLong();

  /** Hears each ingest answer that is JSON (the event history notes what was accepted). */
  private final java.util.function.Consumer<JsonNode> answers;

  RelayStats() {
    this(answer -> { });
  }

  RelayStats(java.util.function.Consumer<JsonNode> answers) {
    this.answers = answers;
  }

  /** Counts one ingest answer (the JSON body the ingest handler returned). */
  void ingested(String answerBody) {
    received.incrementAndGet();
    if (answerBody == null) {
      return;
    }
    JsonNode answer;
    try {
      answer = Json.parse(answerBody);
    } catch (RuntimeException notJson) {
      return;
    }
    accepted.addAndGet(answer.path("accepted").asLong(0));
    rejected.addAndGet(answer.path("rejected").size());
    answers.accept(answer);
  }

  @Override
  public void finished(Outcome outcome) {
    switch (outcome.kind()) {
      case RETRY -> retried.incrementAndGet();
      case WAITING, HELD_BACK -> waiting.incrementAndGet();
      default -> unsettled.put(outcome.id(), outcome.kind());
    }
  }

  /** Runs the poller's deletion of finished messages so that no snapshot sees it half done. */
  void settling(Runnable deletion) {
    books.readLock().lock();
    try {
      deletion.run();
    } finally {
      books.readLock().unlock();
    }
  }

  /** These messages are deleted from the queue: their final outcomes count now. */
  void settled(Collection<String> queueMessageIds) {
    for (String id : queueMessageIds) {
      Outcome.Kind kind = unsettled.remove(id);
      if (kind == null) {
        continue;
      }
      switch (kind) {
        case DELIVERED -> delivered.incrementAndGet();
        case SKIPPED -> skipped.incrementAndGet();
        case DEAD_LETTERED -> deadLettered.incrementAndGet();
        case REFUSED -> refused.incrementAndGet();
        default -> { }
      }
    }
  }

  /** These messages stay on the queue (their batch was kept, or their deletion failed): they will be seen again. */
  void unsettled(Collection<String> queueMessageIds) {
    queueMessageIds.forEach(unsettled::remove);
  }

  /** The books, with the queues' depths read while no deletion is under way. */
  ObjectNode snapshot(IntSupplier queueDepth, IntSupplier deadLetterDepth, IntSupplier rejectedDepth) {
    books.writeLock().lock();
    try {
      return toJson(queueDepth.getAsInt(), deadLetterDepth.getAsInt(), rejectedDepth.getAsInt());
    } finally {
      books.writeLock().unlock();
    }
  }

  ObjectNode toJson(int queueDepth, int deadLetterDepth, int rejectedDepth) {
    ObjectNode json = Json.object();
    json.put("received", received.get());
    json.put("accepted", accepted.get());
    json.put("rejected", rejected.get());
    json.put("delivered", delivered.get());
    json.put("skipped", skipped.get());
    json.put("retried", retried.get());
    json.put("waiting", waiting.get());
    json.put("refused", refused.get());
    json.put("deadLettered", deadLettered.get());
    json.put("queueDepth", queueDepth);
    json.put("deadLetterDepth", deadLetterDepth);
    json.put("rejectedDepth", rejectedDepth);
    return json;
  }
}
