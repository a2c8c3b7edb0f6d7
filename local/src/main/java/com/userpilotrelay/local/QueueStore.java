package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.observe.Log;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Status;
import org.apache.pekko.pattern.Patterns;
import org.elasticmq.BinaryMessageAttribute;
import org.elasticmq.DeduplicationId;
import org.elasticmq.MessageAttribute;
import org.elasticmq.MessageContent;
import org.elasticmq.NeverReceived$;
import org.elasticmq.NumberMessageAttribute;
import org.elasticmq.OnDateTimeReceived;
import org.elasticmq.Received;
import org.elasticmq.StringMessageAttribute;
import org.elasticmq.TracingId;
import org.elasticmq.actor.queue.InternalMessage;
import org.elasticmq.actor.queue.OperationSuccessful$;
import org.elasticmq.actor.queue.QueueEvent;
import org.elasticmq.msg.CreateQueue;
import org.elasticmq.msg.RestoreMessages;
import org.elasticmq.persistence.CreateQueueMetadata;
import scala.Option;
import scala.collection.mutable.ArrayBuffer;
import scala.jdk.javaapi.CollectionConverters;
import scala.util.Either;

/**
 * The embedded queues' messages in an H2 file under DATA_DIR: ElasticMQ's persistence listener, written for
 * the relay. ElasticMQ answers a send, a receive or a delete only once its listener has acknowledged the
 * change; this store acknowledges a change only once it is committed to the file.
 *
 * <p>Why not ElasticMQ's own {@code SqlQueuePersistenceActor}:
 * <ul>
 *   <li><b>A commit per request, not per message.</b> It commits every message alone, one H2 file write per
 *       message; that was most of the runner's CPU on Segment's 4,000-event request. Here one writer thread
 *       takes every change waiting, applies them in order in one transaction, commits, then acknowledges
 *       each. Changes that arrive while a commit is being written go into the next one.</li>
 *   <li><b>FIFO order survives a restart.</b> It restores FIFO messages as standard ones, with their time
 *       cut to the millisecond, so after a {@code kill -9} a user's events came out in any order. Here each
 *       message keeps the two keys ElasticMQ's FIFO queue orders a group by (the instant it was added, to
 *       the nanosecond, and its index in its send batch) and comes back as a FIFO message.</li>
 *   <li><b>Text is UTF-8</b>, whatever the platform's default charset (ElasticMQ's uses the default; on Java
 *       17 under a POSIX locale that turns non-ASCII into '?').</li>
 * </ul>
 *
 * <p>Tables and columns are ElasticMQ's, plus {@code created_nanos} and {@code order_index}, so a DATA_DIR
 * written by an earlier runner is read as it is (see {@link Table#readAll} for its order). Only the queues
 * the runner configures are kept: a queue made through SQS_PORT lives in memory.
 *
 * <p>Once a commit fails the store refuses every later change: ElasticMQ then answers nothing (the client
 * times out and retries, ingest answers 503). A retried send is not answered from memory either until its
 * first copy is committed ({@link StoredMessages}), so no 200 is given for an event the file may not hold.
 */
final class QueueStore implements AutoCloseable {
  /** How many changes one commit takes at most; more wait for the next. */
  static final int MAX_CHANGES_PER_COMMIT = 4_096;
  static final Duration CLOSE_WAIT = Duration.ofSeconds(10);
  /** SQS's largest message and attributes, with room. */
  static final int MAX_INPLACE_BYTES = 1_100_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COLUMNS = "message_id, delivery_receipts, next_delivery, content, attributes, created,"
      + " received, receive_count, group_id, deduplication_id, tracing_id, sequence_number,"
      + " dead_letter_source_queue_name, created_nanos, order_index";

  private final Connection connection;
  private final List<CreateQueueMetadata> queues;
  private final Map<String, Table> tables = new LinkedHashMap<>();
  private final LinkedBlockingQueue<Change> changes = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean closing;
  private boolean closed;
  private volatile String failure;

  private QueueStore(Connection connection, List<CreateQueueMetadata> queues) throws SQLException {
    this.connection = connection;
    this.queues = queues;
    for (CreateQueueMetadata queue : queues) {
      tables.put(queue.name(), new Table(connection, queue.name(), queue.isFifo()));
    }
    connection.commit();
    this.writer = new Thread(this::write, "queue-store-writer");
    writer.setDaemon(true);
  }

  /**
   * Opens (or creates) the file and the tables of {@code queues}, in the order ElasticMQ must create them
   * (a dead-letter queue before the queue that names it).
   */
  static QueueStore open(String jdbcUrl, scala.collection.immutable.List<CreateQueueMetadata> queues)
      throws SQLException {
    List<CreateQueueMetadata> ordered = CollectionConverters.asJava(
        org.elasticmq.persistence.QueueSorter$.MODULE$.sortCreateQueues(queues));
    Connection connection = DriverManager.getConnection(jdbcUrl, "", "");
    try {
      // Message bodies (at most 1 MiB in SQS) stay in their row, not in H2's separate LOB store, which
      // costs a second write and a cleaner thread per message. The setting is kept in the file.
      try (Statement s = connection.createStatement()) {
        s.execute("set max_length_inplace_lob " + MAX_INPLACE_BYTES);
      }
      connection.setAutoCommit(false);
      QueueStore store = new QueueStore(connection, List.copyOf(ordered));
      StoredMessages.storeOpened();
      return store;
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  /** The actor ElasticMQ sends its queue events to. */
  Props listener() {
    return Props.create(Listener.class, () -> new Listener(this));
  }

  /**
   * Creates the configured queues in {@code queueManager} and gives each its stored messages, then starts
   * the writer. Blocks until done, so no SQS port opens on a queue that is still missing or empty.
   */
  void restore(ActorRef queueManager, Duration timeout) throws Exception {
    for (CreateQueueMetadata queue : queues) {
      Object created = ask(queueManager, new CreateQueue(queue.toCreateQueueData()), timeout);
      if (!(created instanceof Either<?, ?> either) || either.isLeft()) {
        throw new IllegalStateException("could not create the queue " + queue.name() + ": " + created);
      }
      ActorRef queueActor = (ActorRef) either.toOption().get();
      List<InternalMessage> messages = tables.get(queue.name()).readAll();
      long now = System.currentTimeMillis();
      messages.forEach(m -> StoredMessages.stored(m.id(), now));
      ask(queueActor, new RestoreMessages(CollectionConverters.asScala(messages).toList()), timeout);
    }
    writer.start();
  }

  private static Object ask(ActorRef actor, Object message, Duration timeout) throws Exception {
    return Patterns.ask(actor, message, timeout).toCompletableFuture()
        .get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
  }

  /** The store's own connection: tests break the store through it (H2 connections take calls from any thread). */
  Connection connection() {
    return connection;
  }

  /** What the file holds for a queue, oldest first, as a restore would give it to ElasticMQ. */
  List<InternalMessage> stored(String queueName) throws SQLException {
    return tables.get(queueName).readAll();
  }

  /** Why the store refuses changes, or null while it takes them. */
  String failure() {
    return failure;
  }

  /** Writes what is waiting, stops the writer and closes the file. Call after ElasticMQ has stopped. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closing = true;
    try {
      writer.join(CLOSE_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      connection.close();
    } catch (SQLException e) {
      Log.warn("queue store: closing the file failed", Map.of("error", firstLine(e)));
    }
    StoredMessages.storeClosed();
  }

  /** A queue event to write, and whom to acknowledge it to once it is committed (none for a queue's deletion). */
  private record Change(QueueEvent event, ActorRef replyTo) {}

  /** Takes ElasticMQ's events on its actor thread and hands them to the writer, in the order they came. */
  static final class Listener extends AbstractActor {
    private final QueueStore store;

    Listener(QueueStore store) {
      this.store = store;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(QueueEvent.MessageAdded.class, e -> store.changes.add(new Change(e, getSender())))
          .match(QueueEvent.MessageUpdated.class, e -> store.changes.add(new Change(e, getSender())))
          .match(QueueEvent.MessageRemoved.class, e -> store.changes.add(new Change(e, getSender())))
          .match(QueueEvent.QueueDeleted.class, e -> store.changes.add(new Change(e, null)))
          // Queue settings are not kept: the runner configures its queues on every start.
          .matchAny(e -> { })
          .build();
    }
  }

  private void write() {
    List<Change> batch = new ArrayList<>();
    while (true) {
      Change first;
      try {
        first = changes.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        first = null;
        closing = true;
      }
      if (first == null) {
        if (closing && changes.isEmpty()) {
          return;
        }
        continue;
      }
      batch.clear();
      batch.add(first);
      changes.drainTo(batch, MAX_CHANGES_PER_COMMIT - 1);
      commit(batch);
    }
  }

  private void commit(List<Change> batch) {
    if (failure == null) {
      try {
        for (Change change : batch) {
          apply(change.event());
        }
        connection.commit();
        markStored(batch);
      } catch (Throwable e) { // an Error too: the writer must not end with changes left unanswered
        failure = firstLine(e);
        Log.error("queue store: a write to DATA_DIR failed; no change is acknowledged from now on, so no request"
            + " is answered 200 (restart the runner once the disk is fixed)", Map.of("error", failure));
        try {
          connection.rollback();
        } catch (SQLException ignored) {
          // the connection is gone; the store refuses everything from here on either way
        }
      }
    }
    for (Change change : batch) {
      if (change.replyTo() != null) {
        change.replyTo().tell(failure == null ? OperationSuccessful$.MODULE$
            : new Status.Failure(new IllegalStateException("queue store: " + failure)), ActorRef.noSender());
      }
    }
  }

  /**
   * The messages this commit added, for the deduplication windows (see StoredMessages). A queue the runner
   * does not keep (made through SQS_PORT) has nothing more to wait for, so its messages count as stored too.
   */
  private static void markStored(List<Change> batch) {
    long now = System.currentTimeMillis();
    for (Change change : batch) {
      if (change.event() instanceof QueueEvent.MessageAdded added) {
        StoredMessages.stored(added.message().id(), now);
      }
    }
  }

  private void apply(QueueEvent event) throws SQLException {
    if (event instanceof QueueEvent.MessageAdded added) {
      Table table = tables.get(added.queueName());
      if (table != null) {
        table.add(added.message());
      }
    } else if (event instanceof QueueEvent.MessageUpdated updated) {
      Table table = tables.get(updated.queueName());
      if (table != null) {
        table.update(updated.message());
      }
    } else if (event instanceof QueueEvent.MessageRemoved removed) {
      Table table = tables.get(removed.queueName());
      if (table != null) {
        table.remove(removed.messageId());
      }
    } else if (event instanceof QueueEvent.QueueDeleted deleted) {
      Table table = tables.get(deleted.queueName());
      if (table != null) {
        table.clear();
      }
    }
  }

  private static String firstLine(Throwable e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message.split("\n")[0];
  }

  /** One queue's messages, in the table ElasticMQ's SQL persistence names and lays out. */
  private static final class Table {
    private final String name;
    private final boolean fifo;
    private final Connection connection;
    private final PreparedStatement add;
    private final PreparedStatement update;
    private final PreparedStatement remove;

    Table(Connection connection, String queueName, boolean fifo) throws SQLException {
      this.connection = connection;
      this.fifo = fifo;
      this.name = "message_" + queueName.replace(".", "_").replace("-", "_") + "_"
          + Integer.toHexString(queueName.hashCode());
      try (Statement s = connection.createStatement()) {
        s.execute("create table if not exists " + name + " (message_id varchar unique, delivery_receipts blob,"
            + " next_delivery bigint, content blob, attributes blob, created bigint, received bigint,"
            + " receive_count int, group_id varchar, deduplication_id varchar, tracing_id varchar,"
            + " sequence_number varchar, dead_letter_source_queue_name varchar)");
        s.execute("alter table " + name + " add column if not exists created_nanos bigint");
        s.execute("alter table " + name + " add column if not exists order_index int");
      }
      this.add = connection.prepareStatement("insert into " + name + " (" + COLUMNS + ")"
          + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      this.update = connection.prepareStatement("update " + name + " set delivery_receipts = ?, next_delivery = ?,"
          + " received = ?, receive_count = ? where message_id = ?");
      this.remove = connection.prepareStatement("delete from " + name + " where message_id = ?");
    }

    void add(InternalMessage m) throws SQLException {
      Instant created = m.created().toInstant();
      add.setString(1, m.id());
      add.setBytes(2, receipts(m));
      add.setLong(3, m.nextDelivery());
      add.setBytes(4, m.content().value().getBytes(StandardCharsets.UTF_8));
      add.setBytes(5, attributes(m));
      add.setLong(6, created.toEpochMilli());
      setReceived(add, 7, m.firstReceive());
      add.setInt(8, m.receiveCount());
      add.setString(9, m.messageGroupId().getOrElse(() -> null));
      add.setString(10, m.messageDeduplicationId().isDefined() ? m.messageDeduplicationId().get().id() : null);
      add.setString(11, m.tracingId().isDefined() ? m.tracingId().get().id() : null);
      add.setString(12, m.sequenceNumber().getOrElse(() -> null));
      add.setString(13, m.deadLetterSourceQueueName().getOrElse(() -> null));
      add.setLong(14, Math.addExact(Math.multiplyExact(created.getEpochSecond(), 1_000_000_000L), created.getNano()));
      add.setInt(15, m.orderIndex());
      try {
        add.executeUpdate();
      } catch (SQLIntegrityConstraintViolationException stillThere) {
        // Added again under the same id (moved back to this queue) before its removal reached the store:
        // the new row replaces the old one. H2 undoes only the failed statement, not the transaction.
        remove(m.id());
        add.executeUpdate();
      }
    }

    /** A receive or a visibility change: what ElasticMQ changes on a message after it is added. */
    void update(InternalMessage m) throws SQLException {
      update.setBytes(1, receipts(m));
      update.setLong(2, m.nextDelivery());
      setReceived(update, 3, m.firstReceive());
      update.setInt(4, m.receiveCount());
      update.setString(5, m.id());
      update.executeUpdate();
    }

    void remove(String messageId) throws SQLException {
      remove.setString(1, messageId);
      remove.executeUpdate();
    }

    void clear() throws SQLException {
      try (Statement s = connection.createStatement()) {
        s.executeUpdate("delete from " + name);
      }
    }

    /**
     * Oldest first, as they were added (the deduplication window expects ids in that order). A row an
     * earlier runner wrote (ElasticMQ's store) has its time in milliseconds only: rows of the same
     * millisecond are put in the order ElasticMQ took them (its sequence numbers, whole numbers counted up
     * within a run, compare by length then text) and given that order as nanoseconds within the millisecond.
     */
    List<InternalMessage> readAll() throws SQLException {
      List<InternalMessage> messages = new ArrayList<>();
      try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("select " + COLUMNS + " from "
          + name + " order by coalesce(created_nanos, created * 1000000), order_index, length(sequence_number),"
          + " sequence_number")) {
        long previousMillis = Long.MIN_VALUE;
        int sameMillisecond = 0;
        while (rs.next()) {
          long nanos = rs.getLong("created_nanos");
          boolean earlierRunner = rs.wasNull();
          if (earlierRunner) {
            long millis = rs.getLong("created");
            sameMillisecond = millis == previousMillis ? sameMillisecond + 1 : 0;
            previousMillis = millis;
            nanos = millis * 1_000_000L + Math.min(sameMillisecond, 999_999);
          }
          messages.add(message(rs, nanos, earlierRunner ? Charset.defaultCharset() : StandardCharsets.UTF_8));
        }
      }
      return messages;
    }

    /** {@code charset}: ElasticMQ's own store wrote text in the platform's default charset. */
    private InternalMessage message(ResultSet rs, long createdNanos, Charset charset) throws SQLException {
      Instant created = Instant.ofEpochSecond(0, createdNanos);
      int orderIndex = rs.getInt("order_index");
      long received = rs.getLong("received");
      Received firstReceive = rs.wasNull() ? NeverReceived$.MODULE$
          : new OnDateTimeReceived(OffsetDateTime.ofInstant(Instant.ofEpochMilli(received), ZoneOffset.UTC));
      ArrayBuffer<String> receipts = new ArrayBuffer<>();
      for (JsonNode receipt : json(rs.getBytes("delivery_receipts"), charset)) {
        receipts.addOne(receipt.asText());
      }
      String deduplicationId = rs.getString("deduplication_id");
      String tracingId = rs.getString("tracing_id");
      return new InternalMessage(rs.getString("message_id"), receipts, rs.getLong("next_delivery"),
          new MessageContent(new String(rs.getBytes("content"), charset)),
          attributes(rs.getBytes("attributes"), charset), OffsetDateTime.ofInstant(created, ZoneOffset.UTC), orderIndex,
          firstReceive, rs.getInt("receive_count"), fifo, Option.apply(rs.getString("group_id")),
          Option.apply(deduplicationId).map(DeduplicationId::new), Option.apply(tracingId).map(TracingId::new),
          Option.apply(rs.getString("sequence_number")), Option.apply(rs.getString("dead_letter_source_queue_name")));
    }

    private static void setReceived(PreparedStatement statement, int index, Received received) throws SQLException {
      if (received instanceof OnDateTimeReceived on) {
        statement.setLong(index, on.when().toInstant().toEpochMilli());
      } else {
        statement.setNull(index, Types.BIGINT);
      }
    }

    /**
     * Only the newest receipt: it is the one a delete can name after a restart, and a message held back
     * hundreds of times would otherwise rewrite a longer list on every receive.
     */
    private static byte[] receipts(InternalMessage m) {
      ArrayNode list = JSON.createArrayNode();
      String newest = newestReceipt(m);
      if (newest != null) {
        list.add(newest);
      }
      return list.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * ElasticMQ's queue actor may be adding a receipt (a later receive) while the writer reads the list.
     * That receive brings its own change, written after this one; so a read that fails is tried again, and
     * none at all is as good as a stale one.
     */
    private static String newestReceipt(InternalMessage m) {
      for (int attempt = 0; attempt < 3; attempt++) {
        try {
          scala.collection.mutable.Buffer<String> receipts = m.deliveryReceipts();
          int size = receipts.length();
          return size == 0 ? null : receipts.apply(size - 1);
        } catch (RuntimeException racing) {
          Thread.onSpinWait();
        }
      }
      return null;
    }

    /** ElasticMQ's layout: a list of {key, primaryDataType, stringValue, customType}. */
    private static byte[] attributes(InternalMessage m) {
      ArrayNode list = JSON.createArrayNode();
      CollectionConverters.asJava(m.messageAttributes()).forEach((key, value) -> {
        ObjectNode a = list.addObject().put("key", key);
        if (value instanceof StringMessageAttribute s) {
          a.put("primaryDataType", "String").put("stringValue", s.stringValue());
        } else if (value instanceof NumberMessageAttribute n) {
          a.put("primaryDataType", "Number").put("stringValue", n.stringValue());
        } else if (value instanceof BinaryMessageAttribute b) {
          a.put("primaryDataType", "Binary").put("stringValue", b.asBase64());
        }
        if (value.customType().isDefined()) {
          a.put("customType", value.customType().get());
        }
      });
      return list.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static scala.collection.immutable.Map<String, MessageAttribute> attributes(byte[] stored, Charset charset) {
      scala.collection.immutable.Map<String, MessageAttribute> attributes = scala.collection.immutable.Map$.MODULE$.empty();
      for (JsonNode a : json(stored, charset)) {
        String value = a.path("stringValue").asText();
        Option<String> customType = a.hasNonNull("customType") ? Option.apply(a.get("customType").asText()) : Option.empty();
        MessageAttribute attribute = switch (a.path("primaryDataType").asText()) {
          case "Number" -> new NumberMessageAttribute(value, customType);
          case "Binary" -> BinaryMessageAttribute.fromBase64(value, customType);
          default -> new StringMessageAttribute(value, customType);
        };
        attributes = attributes.updated(a.path("key").asText(), attribute);
      }
      return attributes;
    }

    private static JsonNode json(byte[] stored, Charset charset) {
      if (stored == null || stored.length == 0) {
        return JSON.createArrayNode();
      }
      try {
        return JSON.readTree(new String(stored, charset));
      } catch (java.io.IOException e) {
        throw new IllegalStateException("queue store: a stored message is not readable JSON: " + e.getMessage(), e);
      }
    }
  }
}
