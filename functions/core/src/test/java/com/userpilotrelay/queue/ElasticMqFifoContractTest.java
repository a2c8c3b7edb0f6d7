package com.userpilotrelay.queue;

import com.userpilotrelay.testing.EmbeddedSqs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The FIFO contract against ElasticMQ, the SQS the local runner embeds. */
class ElasticMqFifoContractTest extends FifoQueueContract {
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
  SqsClient client() {
    return sqs.client();
  }
}
