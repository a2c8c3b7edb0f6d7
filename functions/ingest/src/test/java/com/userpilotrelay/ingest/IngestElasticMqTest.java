package com.userpilotrelay.ingest;

import com.userpilotrelay.testing.EmbeddedSqs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The ingest scenario against ElasticMQ in this JVM: runs everywhere, CI included. */
class IngestElasticMqTest extends IngestScenario {
  private static EmbeddedSqs sqs;

  @BeforeAll
  static void start() {
    sqs = new EmbeddedSqs();
  }

  @AfterAll
  static void stop() {
    sqs.close();
  }

  @Override
  SqsClient sqs() {
    return sqs.client();
  }

  @Override
  String queueUrl() {
    return sqs.queueUrl();
  }

  @Override
  String deadLetterUrl() {
    return sqs.deadLetterUrl();
  }

  @Override
  String rejectedUrl() {
    return sqs.rejectedUrl();
  }
}
