package com.userpilotrelay.prime;

import com.userpilotrelay.observe.Log;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The SQS half of a function's SnapStart priming, shared by both handlers: one side-effect-free call
 * (GetQueueAttributes for the queue's ARN), so that the SDK's marshalling, request signing, endpoint
 * rules, credential lookup and HTTP/TLS stack are loaded and linked in the snapshot instead of on the
 * first request after a restore.
 *
 * <p>Why neither handler's afterRestore touches connections. What must not survive a restore is network
 * state: the connection the priming call opened. The url-connection client (SqsClients) keeps no pool
 * of its own; its connections sit in the JDK's keep-alive cache, which closes a cached connection
 * instead of reusing it once it has been idle longer than its keep-alive time (5 s; SQS sends no
 * Keep-Alive header). A SnapStart restore comes long after the snapshot was taken (snapshots are made
 * when a version is published), so the first request after a restore opens a fresh connection. Were
 * a snapshot's connection ever reused, it is dead at SQS's end: nothing sent on it is processed, the
 * call fails with an I/O error and the SDK retries it on a new connection. Rebuilding the client in
 * afterRestore would throw away the linked code the priming put in the snapshot and buy nothing.
 * Credentials are resolved per request by the SDK's provider chain (Lambda serves fresh ones after a
 * restore), and message ids come from SecureRandom, which Lambda's Java runtime makes safe across restores.
 */
public final class QueuePriming {
  private QueuePriming() {}

  /**
   * A refusal (a role without sqs:GetQueueAttributes) primes nearly as much: the request was built,
   * signed and sent, and the error parsed. So a failure is logged, never thrown: priming is an
   * optimisation and must not stop a version from publishing.
   *
   * @return true when the call succeeded
   */
  public static boolean prime(SqsClient sqs, String queueUrl) {
    if (sqs == null || queueUrl == null) {
      return false;
    }
    try {
      sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN));
      return true;
    } catch (SdkException e) {
      Log.warn("SnapStart priming: GetQueueAttributes failed; the first request after a restore will be slower",
          Map.of("error", e.getClass().getSimpleName()));
      return false;
    }
  }
}
