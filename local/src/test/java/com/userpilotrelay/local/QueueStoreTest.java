package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import org.elasticmq.MessageContent;
import org.elasticmq.NeverReceived$;
import org.elasticmq.actor.queue.InternalMessage;
import org.elasticmq.actor.queue.OperationSuccessful$;
import org.elasticmq.actor.queue.QueueEvent;
import org.elasticmq.server.config.ElasticMQServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;
import scala.collection.mutable.ArrayBuffer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The runner's queue store with ElasticMQ in front of it, stopped and started again on the same DATA_DIR: what
 * a FIFO queue held comes back in each group's order, in flight where it was in flight, byte for byte.
 * (Order across a real kill -9 of the runner: RelayJarIT.killDashNineMidDeliveryKeepsEachUsersOrder.)
 */
class QueueStoreTest {
  @TempDir
  Path dataDir;

  @Test
  void eachGroupsMessagesComeBackInTheOrderTheyWereSent() {
    int groups = 12;
    int batchesPerGroup = 4;
    Map<String, List<String>> sent = new LinkedHashMap<>();
    try (LocalSqs sqs = start()) {
      // Interleaved: group 0's batch 0, group 1's batch 0, ..., then every group's batch 1, and so on. Ten
      // entries a batch, sent within the same millisecond more often than not.
      for (int batch = 0; batch < batchesPerGroup; batch++) {
        for (int g = 0; g < groups; g++) {
          String group = "g-" + g;
          List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
          for (int i = 0; i < 10; i++) {
            String body = group + "/" + (batch * 10 + i);
            sent.computeIfAbsent(group, k -> new ArrayList<>()).add(body);
            entries.add(SendMessageBatchRequestEntry.builder().id("e" + i).messageBody(body).messageGroupId(group)
                .messageDeduplicationId(body).build());
          }
          int failed = sqs.client().sendMessageBatch(b -> b.queueUrl(sqs.queueUrl()).entries(entries)).failed().size();
          assertEquals(0, failed, "every entry stored");
        }
      }
    }
    try (LocalSqs sqs = start()) {
      Map<String, List<String>> received = drain(sqs.client(), sqs.queueUrl(), groups * batchesPerGroup * 10);
      assertEquals(sent, received);
    }
  }

  @Test
  void aMessageInFlightAtTheStopStillHoldsItsGroupAfterTheStart() throws Exception {
    try (LocalSqs sqs = start()) {
      send(sqs, "held", "first", "second");
      send(sqs, "free", "other");
      List<Message> taken = sqs.client().receiveMessage(b -> b.queueUrl(sqs.queueUrl()).maxNumberOfMessages(1)
          .visibilityTimeout(6)).messages();
      assertEquals(1, taken.size());
      if (!taken.get(0).body().equals("first")) {
        // The runner took "other" first: take "first" too, so that it is the one in flight.
        Message first = sqs.client().receiveMessage(b -> b.queueUrl(sqs.queueUrl()).maxNumberOfMessages(1)
            .visibilityTimeout(6)).messages().get(0);
        assertEquals("first", first.body());
      }
    }
    try (LocalSqs sqs = start()) {
      List<String> now = bodies(sqs.client().receiveMessage(b -> b.queueUrl(sqs.queueUrl()).maxNumberOfMessages(10)
          .visibilityTimeout(30)).messages());
      assertTrue(!now.contains("first") && !now.contains("second"), "the group waits for its head: " + now);
      RelayHttp.await("the head visible again", Duration.ofSeconds(20), () -> !sqs.client().receiveMessage(b -> b
          .queueUrl(sqs.queueUrl()).maxNumberOfMessages(10).visibilityTimeout(30)
          .messageSystemAttributeNamesWithStrings("ApproximateReceiveCount")).messages().stream()
          .filter(m -> m.body().equals("first") && "2".equals(m.attributesAsStrings().get("ApproximateReceiveCount")))
          .toList().isEmpty());
    }
  }

  @Test
  void bodiesAndAttributesComeBackAsTheyWereSentWhateverTheDefaultCharset() {
    String body = "{\"name\":\"José Müller ✓ 😀\",\"quote\":\"\\\"\"}";
    Map<String, MessageAttributeValue> attributes = Map.of(
        "relayStamp", MessageAttributeValue.builder().dataType("String").stringValue("stämp ✓").build(),
        "count", MessageAttributeValue.builder().dataType("Number.int").stringValue("42").build(),
        "raw", MessageAttributeValue.builder().dataType("Binary").binaryValue(SdkBytes.fromByteArray(new byte[] {0, -1, 7}))
            .build());
    try (LocalSqs sqs = start()) {
      sqs.client().sendMessage(b -> b.queueUrl(sqs.queueUrl()).messageBody(body).messageGroupId("u")
          .messageDeduplicationId("d").messageAttributes(attributes));
    }
    try (LocalSqs sqs = start()) {
      Message m = sqs.client().receiveMessage(b -> b.queueUrl(sqs.queueUrl()).messageAttributeNames("All")
          .messageSystemAttributeNames(MessageSystemAttributeName.MESSAGE_GROUP_ID)).messages().get(0);
      assertEquals(body, m.body());
      assertEquals(attributes, m.messageAttributes());
      assertEquals("u", m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID));
    }
  }

  @Test
  void aDataDirWrittenByElasticMqsOwnStoreIsRead() throws Exception {
    // The table and row ElasticMQ 1.7.1's SqlQueuePersistenceActor writes, as an earlier runner left them.
    String table = "message_" + LocalSqs.EVENTS_QUEUE.replace(".", "_").replace("-", "_") + "_"
        + Integer.toHexString(LocalSqs.EVENTS_QUEUE.hashCode());
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("queues"), "", "");
        Statement s = c.createStatement()) {
      s.execute("create table " + table + " (message_id varchar unique, delivery_receipts blob, next_delivery bigint,"
          + " content blob, attributes blob, created bigint, received bigint, receive_count int, group_id varchar,"
          + " deduplication_id varchar, tracing_id varchar, sequence_number varchar,"
          + " dead_letter_source_queue_name varchar)");
      try (PreparedStatement insert = c.prepareStatement("insert into " + table + " values (?, ?, ?, ?, ?, ?, ?, ?, ?,"
          + " ?, ?, ?, ?)")) {
        insert.setString(1, "a7c6e2f0-1111-2222-3333-444455556666");
        insert.setBytes(2, "[]".getBytes(StandardCharsets.UTF_8));
        insert.setLong(3, 0);
        insert.setBytes(4, "left by an earlier runner".getBytes(StandardCharsets.UTF_8));
        insert.setBytes(5, "[{\"key\":\"relayStamp\",\"primaryDataType\":\"String\",\"stringValue\":\"s\"}]"
            .getBytes(StandardCharsets.UTF_8));
        insert.setLong(6, System.currentTimeMillis() - 60_000);
        insert.setNull(7, java.sql.Types.BIGINT);
        insert.setInt(8, 0);
        insert.setString(9, "old-user");
        insert.setString(10, "old-dedup");
        insert.setNull(11, java.sql.Types.VARCHAR);
        insert.setString(12, "7");
        insert.setNull(13, java.sql.Types.VARCHAR);
        insert.executeUpdate();
      }
    }
    try (LocalSqs sqs = start()) {
      Message m = sqs.client().receiveMessage(b -> b.queueUrl(sqs.queueUrl()).messageAttributeNames("All")).messages().get(0);
      assertEquals("left by an earlier runner", m.body());
      assertEquals("s", m.messageAttributes().get("relayStamp").stringValue());
      // Its deduplication id is known again: a resend within five minutes is not stored twice.
      sqs.client().sendMessage(b -> b.queueUrl(sqs.queueUrl()).messageBody("again").messageGroupId("old-user")
          .messageDeduplicationId("old-dedup"));
      assertEquals(1, sqs.depth(sqs.queueUrl()));
    }
  }

  /**
   * Fail closed: once a commit fails, nothing is acknowledged any more, the change that failed included, so
   * ElasticMQ answers no send and ingest answers no 200.
   */
  @Test
  void afterAFailedCommitNoChangeIsAcknowledged() throws Exception {
    withStore("failure", (store, listener) -> {
      assertEquals(OperationSuccessful$.MODULE$, ask(listener, added("m-1")));
      assertNull(store.failure());
      try (Connection other = DriverManager.getConnection("jdbc:h2:mem:queue-store-failure", "", "");
          Statement s = other.createStatement()) {
        s.execute("drop all objects");
      }
      assertRefused(listener, added("m-2"));
      assertNotNull(store.failure());
      assertRefused(listener, added("m-3"));
    });
  }

  /**
   * The order keys survive to the nanosecond: messages added within one millisecond, across batches, come
   * back in ElasticMQ's FIFO order (its comparator: created, then the index in the batch).
   */
  @Test
  void messagesOfOneMillisecondKeepTheirOrder() throws Exception {
    OffsetDateTime t0 = OffsetDateTime.parse("2026-12-06T10:00:00.000123Z");
    // Sent order: batch A (created t0, indexes 0..2), then batch B (t0 + 400 ns, indexes 0..2).
    List<String> sentOrder = List.of("a0", "a1", "a2", "b0", "b1", "b2");
    withStore("order", (store, listener) -> {
      for (String id : List.of("b2", "a1", "b0", "a2", "a0", "b1")) { // arrival order at the store: any
        OffsetDateTime created = id.startsWith("a") ? t0 : t0.plusNanos(400);
        assertEquals(OperationSuccessful$.MODULE$, ask(listener, added(id, created, id.charAt(1) - '0')));
      }
      List<InternalMessage> restored = new ArrayList<>(store.stored(LocalSqs.EVENTS_QUEUE));
      assertTrue(restored.stream().allMatch(InternalMessage::isFifo), "restored as FIFO messages");
      restored.sort((x, y) -> y.compareTo(x)); // ElasticMQ's priority queue hands out the greatest first
      assertEquals(sentOrder, restored.stream().map(InternalMessage::id).toList());
    });
  }

  /** Rows ElasticMQ's own store wrote in one millisecond come back in the order its sequence numbers give. */
  @Test
  void anEarlierRunnersRowsOfOneMillisecondComeBackInSequenceOrder() throws Exception {
    withStore("earlier", (store, listener) -> {
      String table = "message_" + LocalSqs.EVENTS_QUEUE.replace(".", "_").replace("-", "_") + "_"
          + Integer.toHexString(LocalSqs.EVENTS_QUEUE.hashCode());
      try (Statement s = store.connection().createStatement()) {
        // Sequence 9 before 10 and 11: compared as text, "10" < "11" < "9".
        for (String seq : List.of("11", "9", "10")) {
          s.execute("insert into " + table + " (message_id, delivery_receipts, next_delivery, content, attributes,"
              + " created, receive_count, group_id, deduplication_id, sequence_number) values ('m" + seq
              + "', '[]', 0, '{}', '[]', 1765015200123, 0, 'g', 'd" + seq + "', '" + seq + "')");
        }
        store.connection().commit();
      }
      List<InternalMessage> restored = new ArrayList<>(store.stored(LocalSqs.EVENTS_QUEUE));
      restored.sort((x, y) -> y.compareTo(x));
      assertEquals(List.of("m9", "m10", "m11"), restored.stream().map(InternalMessage::id).toList());
    });
  }

  private interface StoreTest {
    void run(QueueStore store, ActorRef listener) throws Exception;
  }

  /** A store on an in-memory H2 database with ElasticMQ's queue manager in front of it, as the runner has. */
  private static void withStore(String name, StoreTest test) throws Exception {
    String url = "jdbc:h2:mem:queue-store-" + name + ";DB_CLOSE_DELAY=-1";
    ElasticMQServerConfig server = new ElasticMQServerConfig(ConfigFactory.parseString(
        LocalSqs.config(0, "127.0.0.1", 5)).withFallback(ConfigFactory.load()).resolve());
    ActorSystem system = ActorSystem.create("queue-store-test", ConfigFactory.parseString(
        "pekko.loglevel = ERROR\npekko.stdout-loglevel = ERROR").withFallback(ConfigFactory.load()));
    try (QueueStore store = QueueStore.open(url, server.baseQueues())) {
      ActorRef queueManager = system.actorOf(org.apache.pekko.actor.Props.create(
          org.elasticmq.actor.QueueManagerActor.class, new org.elasticmq.util.NowProvider(),
          org.elasticmq.StrictSQSLimits$.MODULE$, Option.apply(system.actorOf(store.listener()))));
      store.restore(queueManager, Duration.ofSeconds(10));
      test.run(store, system.actorOf(store.listener()));
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static Object ask(ActorRef listener, Object message) throws Exception {
    return Patterns.ask(listener, message, Duration.ofSeconds(5)).toCompletableFuture().get(6, TimeUnit.SECONDS);
  }

  /** ElasticMQ asks its listener; a refusal fails that ask, and ElasticMQ then answers the client nothing. */
  private static void assertRefused(ActorRef listener, Object change) {
    ExecutionException refused = assertThrows(ExecutionException.class, () -> ask(listener, change));
    assertTrue(String.valueOf(refused.getCause().getMessage()).startsWith("queue store: "), refused.toString());
  }

  private static QueueEvent.MessageAdded added(String id) {
    return added(id, OffsetDateTime.now(), 0);
  }

  private static QueueEvent.MessageAdded added(String id, OffsetDateTime created, int orderIndex) {
    InternalMessage m = new InternalMessage(id, new ArrayBuffer<>(), 0L, new MessageContent("{}"),
        scala.collection.immutable.Map$.MODULE$.empty(), created, orderIndex, NeverReceived$.MODULE$, 0, true,
        Option.apply("g"), Option.apply(new org.elasticmq.DeduplicationId("d-" + id)), Option.empty(), Option.empty(),
        Option.empty());
    return new QueueEvent.MessageAdded(LocalSqs.EVENTS_QUEUE, m);
  }

  private LocalSqs start() {
    return LocalSqs.start(RelayHttp.freePort(), dataDir, 1000);
  }

  private static void send(LocalSqs sqs, String group, String... bodies) {
    for (String body : bodies) {
      sqs.client().sendMessage(b -> b.queueUrl(sqs.queueUrl()).messageBody(body).messageGroupId(group)
          .messageDeduplicationId(body));
    }
  }

  /** Receives and deletes until {@code expected} messages are taken; each group's bodies in the order taken. */
  private static Map<String, List<String>> drain(SqsClient client, String queueUrl, int expected) {
    Map<String, List<String>> received = new LinkedHashMap<>();
    int taken = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (taken < expected && System.nanoTime() < deadline) {
      List<Message> messages = client.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
          .visibilityTimeout(30).messageSystemAttributeNames(MessageSystemAttributeName.MESSAGE_GROUP_ID)).messages();
      for (Message m : messages) {
        received.computeIfAbsent(m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID),
            k -> new ArrayList<>()).add(m.body());
        client.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
        taken++;
      }
    }
    Map<String, List<String>> byGroup = new HashMap<>(received);
    Map<String, List<String>> ordered = new LinkedHashMap<>();
    byGroup.keySet().stream().sorted((a, b) -> Integer.compare(Integer.parseInt(a.substring(2)),
        Integer.parseInt(b.substring(2)))).forEach(g -> ordered.put(g, byGroup.get(g)));
    return ordered;
  }

  private static List<String> bodies(List<Message> messages) {
    return messages.stream().map(Message::body).toList();
  }
}
