package com.userpilotrelay.testing;

import com.userpilotrelay.queue.SqsClients;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A real SQS-protocol server (ElasticMQ) inside the test JVM, with an events queue whose redrive policy
 * points at a dead-letter queue, as in template.yaml.
 */
public final class EmbeddedSqs implements AutoCloseable {
  private final SQSRestServer server;
  private final SqsClient client;
  private final URI endpoint;
  private final String queueUrl;
  private final String deadLetterUrl;
  private final String rejectedUrl;

  public EmbeddedSqs(int maxReceiveCount) {
    this(maxReceiveCount, 30);
  }

  /** @param visibilityTimeoutSeconds how long a received message stays hidden if nobody deletes it */
  public EmbeddedSqs(int maxReceiveCount, int visibilityTimeoutSeconds) {
    server = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
    int port = server.waitUntilStarted().localAddress().getPort();
    endpoint = URI.create("http://127.0.0.1:" + port);
    client = SqsClients.local(endpoint);
    deadLetterUrl = client.createQueue(b -> b.queueName("events-dlq.fifo").attributes(FIFO)).queueUrl();
    rejectedUrl = client.createQueue(b -> b.queueName("rejected")).queueUrl();
    String dlqArn = client.getQueueAttributes(b -> b.queueUrl(deadLetterUrl)
        .attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
    Map<QueueAttributeName, String> events = new java.util.HashMap<>(FIFO);
    events.put(QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(visibilityTimeoutSeconds));
    events.put(QueueAttributeName.REDRIVE_POLICY,
        "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":\"" + maxReceiveCount + "\"}");
    queueUrl = client.createQueue(b -> b.queueName("events.fifo").attributes(events)).queueUrl();
  }

  /** FIFO as in template.yaml: the relay gives every message its group and deduplication id. */
  public static final Map<QueueAttributeName, String> FIFO = Map.of(
      QueueAttributeName.FIFO_QUEUE, "true",
      QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "false");

  public EmbeddedSqs() {
    this(1000);
  }

  public SqsClient client() {
    return client;
  }

  public URI endpoint() {
    return endpoint;
  }

  public String queueUrl() {
    return queueUrl;
  }

  public String deadLetterUrl() {
    return deadLetterUrl;
  }

  public String rejectedUrl() {
    return rejectedUrl;
  }

  /** Receives (and deletes) everything currently visible on the queue. */
  public List<Message> drain(String url) {
    List<Message> all = new ArrayList<>();
    while (true) {
      List<Message> batch = receive(url, 10, 0);
      if (batch.isEmpty()) {
        return all;
      }
      client.deleteMessageBatch(b -> b.queueUrl(url).entries(batch.stream()
          .map(m -> software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry.builder()
              .id(m.messageId()).receiptHandle(m.receiptHandle()).build()).toList()));
      all.addAll(batch);
    }
  }

  /** Receives without deleting, with attributes; the messages become invisible for the queue's timeout. */
  public List<Message> receive(String url, int max, int waitSeconds) {
    return client.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(max).waitTimeSeconds(waitSeconds)
        .messageAttributeNames("All")
        .messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
  }

  public int depth(String url) {
    return SqsClients.depth(client, url);
  }

  @Override
  public void close() {
    client.close();
    server.stopAndWait();
  }
}
