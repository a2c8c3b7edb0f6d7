package com.userpilotrelay.local;

import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.elasticmq.DeduplicationId;
import org.elasticmq.FifoDeduplicationIdsHistory;
import org.elasticmq.MessageContent;
import org.elasticmq.actor.queue.InternalMessage;
import org.elasticmq.util.NowProvider;
import scala.Option;
import scala.collection.mutable.ArrayBuffer;

/**
 * A FIFO queue's deduplication ids of the last five minutes (SQS's window), for ElasticMQ, in constant time
 * and small constant space per id. ElasticMQ creates one per FIFO queue through
 * {@code FifoDeduplicationIdsHistory.newHistory()} (see {@code org.elasticmq.FifoDeduplicationIdsHistory$}
 * in this module), and uses it from that queue's actor only: so it changes in place and returns itself where
 * ElasticMQ's own history returns a new one.
 *
 * <p>Why: ElasticMQ 1.7.1 keeps the ids in an immutable list and appends each new one with {@code :+}, which
 * copies the whole list. A 4,000-event request into a queue that took 28,000 events in the five minutes
 * before copies 112 million list cells, and each request of a steady stream takes longer than the one
 * before. It also keeps each message, body included, for the five minutes, which a 256 MiB heap does not
 * hold at a few hundred events a second. Here each id is a hash-map entry and a queue entry, with a bodiless
 * copy of its message.
 */
public final class DeduplicationWindow extends FifoDeduplicationIdsHistory {
  private final Map<String, InternalMessage> byId = new HashMap<>();
  private final ArrayDeque<Added> oldestFirst = new ArrayDeque<>();

  private record Added(String id, OffsetDateTime created) {}

  public DeduplicationWindow() {
    super(scala.collection.immutable.Map$.MODULE$.empty(), scala.collection.immutable.List$.MODULE$.empty());
  }

  @Override
  public FifoDeduplicationIdsHistory addNew(InternalMessage message) {
    if (message.messageDeduplicationId().isDefined()) {
      String id = message.messageDeduplicationId().get().id();
      if (!byId.containsKey(id)) {
        byId.put(id, withoutBody(message));
        oldestFirst.addLast(new Added(id, message.created()));
      }
    }
    return this;
  }

  /**
   * The first message with this id, once it is in DATA_DIR ({@link StoredMessages}); before that, none, so
   * that ElasticMQ stores the repeat too instead of answering it from memory.
   */
  @Override
  public Option<InternalMessage> wasRegistered(Option<DeduplicationId> deduplicationId) {
    InternalMessage first = deduplicationId.isDefined() ? byId.get(deduplicationId.get().id()) : null;
    return first != null && StoredMessages.isStored(first.id()) ? Option.apply(first) : Option.empty();
  }

  /** Forgets the ids added more than five minutes ago, as ElasticMQ's does (it calls this every second). */
  @Override
  public FifoDeduplicationIdsHistory cleanOutdatedMessages(NowProvider nowProvider) {
    OffsetDateTime now = nowProvider.now();
    while (!oldestFirst.isEmpty()
        && oldestFirst.peekFirst().created().plusMinutes(DeduplicationIntervalMinutes()).isBefore(now)) {
      byId.remove(oldestFirst.removeFirst().id());
    }
    return this;
  }

  /** How many ids are remembered. */
  public int size() {
    return byId.size();
  }

  /**
   * What a duplicate send is answered with: the first message's id and sequence number. The answer's
   * digests are of the request, so the body and attributes are not kept.
   */
  private static InternalMessage withoutBody(InternalMessage m) {
    return m.copy(m.id(), new ArrayBuffer<>(), m.nextDelivery(), new MessageContent(""),
        scala.collection.immutable.Map$.MODULE$.empty(), m.created(), m.orderIndex(), m.firstReceive(),
        m.receiveCount(), m.isFifo(), m.messageGroupId(), m.messageDeduplicationId(), m.tracingId(),
        m.sequenceNumber(), m.deadLetterSourceQueueName());
  }
}
