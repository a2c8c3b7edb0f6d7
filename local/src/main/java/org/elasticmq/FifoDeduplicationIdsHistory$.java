package org.elasticmq;

import com.userpilotrelay.local.DeduplicationWindow;
import org.elasticmq.actor.queue.InternalMessage;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.List;
import scala.collection.immutable.Map;

/**
 * Takes the place of ElasticMQ 1.7.1's companion object of {@code FifoDeduplicationIdsHistory} (the class
 * Scala compiles {@code object FifoDeduplicationIdsHistory} to), with the same members, so that every FIFO
 * queue ElasticMQ creates in the local runner remembers its deduplication ids in a
 * {@link DeduplicationWindow}: ElasticMQ's own history costs time in proportion to the ids it already holds
 * for each id it adds. This module's classes come first on the classpath, and the runner's jar leaves
 * ElasticMQ's copy of this class out (local/pom.xml, the shade filter).
 * {@code DeduplicationWindowTest} fails if ElasticMQ creates any other history.
 */
public final class FifoDeduplicationIdsHistory$ implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  public static final FifoDeduplicationIdsHistory$ MODULE$ = new FifoDeduplicationIdsHistory$();

  private FifoDeduplicationIdsHistory$() {}

  /** SQS's deduplication interval. */
  public long DeduplicationIntervalMinutes() {
    return 5L;
  }

  public FifoDeduplicationIdsHistory newHistory() {
    return new DeduplicationWindow();
  }

  public Option<Tuple2<Map<DeduplicationId, InternalMessage>, List<DeduplicationIdWithCreationDate>>> unapply(
      FifoDeduplicationIdsHistory history) {
    return history == null ? Option.empty()
        : Option.apply(new Tuple2<>(history.messagesByDeduplicationId(), history.deduplicationIdsByCreationDate()));
  }
}
