package com.userpilotrelay.bench;

import com.userpilotrelay.testing.EmbeddedSqs;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What a fresh function JVM is started with: Lambda-like JVM flags and the settings a deployment gives it. */
final class Functions {
  /**
   * A 512 MB function's JVM, as far as this machine can imitate it: the heap the JVM's own ergonomics
   * give a 512 MB container, and the serial collector it picks there.
   */
  static final List<String> LAMBDA_FLAGS = List.of("-XX:+UseSerialGC", "-XX:MaxRAM=512m");

  private Functions() {}

  /**
   * The SDK's environment configuration, pointed at the ElasticMQ on loopback (AWS_ENDPOINT_URL_SQS), with
   * static credentials and no instance metadata lookups: nothing leaves 127.0.0.1.
   */
  static Map<String, String> awsEnv(EmbeddedSqs sqs) {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_ACCESS_KEY_ID", "local");
    env.put("AWS_SECRET_ACCESS_KEY", "local");
    env.put("AWS_ENDPOINT_URL_SQS", sqs.endpoint().toString());
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", "/nonexistent/aws-config");
    env.put("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
    env.put("EVENTS_QUEUE_URL", sqs.queueUrl());
    env.put("DEAD_LETTER_QUEUE_URL", sqs.deadLetterUrl());
    env.put("REJECTED_QUEUE_URL", sqs.rejectedUrl());
    return env;
  }
}
