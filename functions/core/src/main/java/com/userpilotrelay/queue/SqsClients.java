package com.userpilotrelay.queue;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The one way SQS clients are built: url-connection HTTP, short timeouts, built once per container. Every call
 * has an API-call timeout (the SDK's own retries included), so a slow SQS costs a bounded time: ingest answers
 * 503 well before Segment gives up, and dispatch returns before its Lambda timeout.
 */
public final class SqsClients {
  private SqsClients() {}

  /** In AWS: region and credentials from the Lambda environment. */
  public static SqsClient aws() {
    return SqsClient.builder().httpClient(http()).overrideConfiguration(timeouts()).build();
  }

  /** A local SQS-protocol server (ElasticMQ), which accepts any credentials. */
  public static SqsClient local(URI endpoint) {
    return onThisMachine(endpoint)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
        .build();
  }

  /**
   * A client for an SQS server on this machine that takes unsigned requests (the local runner's own
   * ElasticMQ): no SigV4, whose hashing of every request body is a sixth of the SDK's work on a large batch.
   */
  public static SqsClient unsigned(URI endpoint) {
    return onThisMachine(endpoint)
        .credentialsProvider(software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create())
        .build();
  }

  private static software.amazon.awssdk.services.sqs.SqsClientBuilder onThisMachine(URI endpoint) {
    return SqsClient.builder()
        .httpClient(http())
        .overrideConfiguration(timeouts())
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1);
  }

  /** Approximate number of messages on a queue (visible, in flight and delayed), as SQS reports it. */
  public static int depth(SqsClient sqs, String queueUrl) {
    java.util.Map<software.amazon.awssdk.services.sqs.model.QueueAttributeName, String> attributes =
        sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(
            software.amazon.awssdk.services.sqs.model.QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
            software.amazon.awssdk.services.sqs.model.QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
            software.amazon.awssdk.services.sqs.model.QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED))
        .attributes();
    return attributes.values().stream().mapToInt(Integer::parseInt).sum();
  }

  /** One attempt may take 2 s, one call with the SDK's retries 3 s. */
  public static final Duration API_CALL_ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
  public static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(3);

  private static software.amazon.awssdk.core.client.config.ClientOverrideConfiguration timeouts() {
    return software.amazon.awssdk.core.client.config.ClientOverrideConfiguration.builder()
        .apiCallAttemptTimeout(API_CALL_ATTEMPT_TIMEOUT)
        .apiCallTimeout(API_CALL_TIMEOUT)
        .build();
  }

  private static software.amazon.awssdk.http.SdkHttpClient http() {
    return UrlConnectionHttpClient.builder()
        .connectionTimeout(Duration.ofSeconds(2))
        .socketTimeout(Duration.ofSeconds(5))
        .build();
  }
}
