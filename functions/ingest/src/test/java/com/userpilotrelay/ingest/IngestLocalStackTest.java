package com.userpilotrelay.ingest;

import com.userpilotrelay.queue.SqsClients;
import com.userpilotrelay.testing.EmbeddedSqs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The same ingest scenario against LocalStack's SQS. Needs a Docker engine: skipped without one (this
 * project's CI machine has none, so ElasticMQ carries the coverage there). 4.14.0 is the last tag that
 * starts without an auth token.
 */
@Testcontainers(disabledWithoutDocker = true)
class IngestLocalStackTest extends IngestScenario {
  @Container
  static final LocalStackContainer LOCALSTACK =
      new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.14.0"))
          .withServices(LocalStackContainer.Service.SQS);

  private static SqsClient sqs;
  private static String queueUrl;
  private static String deadLetterUrl;
  private static String rejectedUrl;

  @BeforeAll
  static void createQueues() {
    sqs = SqsClients.local(LOCALSTACK.getEndpointOverride(LocalStackContainer.Service.SQS));
    deadLetterUrl = sqs.createQueue(b -> b.queueName("events-dlq.fifo").attributes(EmbeddedSqs.FIFO)).queueUrl();
    rejectedUrl = sqs.createQueue(b -> b.queueName("rejected")).queueUrl();
    queueUrl = sqs.createQueue(b -> b.queueName("events.fifo").attributes(EmbeddedSqs.FIFO)).queueUrl();
  }

  @AfterAll
  static void close() {
    if (sqs != null) {
      sqs.close();
    }
  }

  @Override
  SqsClient sqs() {
    return sqs;
  }

  @Override
  String queueUrl() {
    return queueUrl;
  }

  @Override
  String deadLetterUrl() {
    return deadLetterUrl;
  }

  @Override
  String rejectedUrl() {
    return rejectedUrl;
  }
}
