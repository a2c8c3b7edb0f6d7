package com.userpilotrelay.queue;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The one way SQS clients are built: url-connection HTTP, short timeouts, built once per container. */
public final class SqsClients {
  private SqsClients() {}

  /** In AWS: region and credentials from the Lambda environment. */
  public static SqsClient aws() {
    return SqsClient.builder().httpClient(http()).build();
  }

  /** A local SQS-protocol server (ElasticMQ), which accepts any credentials. */
  public static SqsClient local(URI endpoint) {
    return SqsClient.builder()
        .httpClient(http())
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
        .build();
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

  private static software.amazon.awssdk.http.SdkHttpClient http() {
    return UrlConnectionHttpClient.builder()
        .connectionTimeout(Duration.ofSeconds(2))
        .socketTimeout(Duration.ofSeconds(5))
        .build();
  }
}
