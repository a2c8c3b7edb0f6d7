package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.json.Json;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the runner has done since it started: ingest counts from the ingest handler's answers, delivery
 * counts from the dispatcher's outcomes (the same outcomes that feed the Lambda's logs and metrics).
 */
final class RelayStats implements DeliveryObserver {
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
      case DELIVERED -> delivered.incrementAndGet();
      case SKIPPED -> skipped.incrementAndGet();
      case RETRY -> retried.incrementAndGet();
      case WAITING, HELD_BACK -> waiting.incrementAndGet();
      case DEAD_LETTERED -> deadLettered.incrementAndGet();
      case REFUSED -> refused.incrementAndGet();
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
