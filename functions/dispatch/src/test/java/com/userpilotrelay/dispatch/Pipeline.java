package com.userpilotrelay.dispatch;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.DispatchSetup;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.ingest.IngestHandler;
import com.userpilotrelay.ingest.IngestService;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.queue.SqsEventQueue;
import com.userpilotrelay.testing.EmbeddedSqs;
import com.userpilotrelay.testing.StandInUserpilot;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The whole relay in one test JVM with real parts: the real ingest handler, a real SQS-protocol server
 * (ElasticMQ), the real dispatch handler driven the way Lambda's event source mapping drives it, and a
 * real HTTP server standing in for Userpilot.
 */
final class Pipeline implements AutoCloseable {
  static final String SECRET = "pipeline-secret";

  final EmbeddedSqs sqs;
  final StandInUserpilot userpilot;
  final IngestHandler ingest;
  final DispatchHandler dispatch;
  final Env env;
  final Mappings mappings;
  final SqsEventQueue queue;
  final List<Outcome> outcomes = new CopyOnWriteArrayList<>();

  Pipeline(Mappings mappings, Map<String, String> settings) {
    sqs = new EmbeddedSqs(Integer.parseInt(settings.getOrDefault("MAX_RECEIVE_COUNT", "1000")),
        Integer.parseInt(settings.getOrDefault("VISIBILITY_TIMEOUT", "30")));
    userpilot = new StandInUserpilot();
    Map<String, String> env = new HashMap<>(Map.of(
        "USERPILOT_API_KEY", StandInUserpilot.API_KEY,
        // No trailing slash: the relay must still join paths correctly.
        "USERPILOT_ENDPOINT", userpilot.endpoint().toString().replaceAll("/$", ""),
        "RETRY_BASE_SECONDS", "1"));
    env.putAll(settings);
    Env e = Env.of(env);
    this.env = e;
    this.mappings = mappings;
    queue = new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(), 4);
    ingest = new IngestHandler(new IngestService(new RequestAuthenticator(Optional.of(SECRET), Optional.empty()), queue));
    dispatch = new DispatchHandler(DispatchSetup.dispatcher(e, mappings,
        DispatchSetup.client(e, SecretSource.none()).orElseThrow(), queue, IngestStamp.marker(),
        new DeliveryObserver() {
          @Override
          public void finished(Outcome outcome) {
            outcomes.add(outcome);
          }
        }));
  }

  Pipeline() {
    this(Mappings.presets(), Map.of());
  }

  APIGatewayV2HTTPResponse post(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return ingest.handleRequest(APIGatewayV2HTTPEvent.builder()
        .withRouteKey("POST /segment").withRawPath("/segment")
        .withHeaders(Map.of("content-type", "application/json",
            "x-signature", RequestAuthenticator.sign(SECRET, com.userpilotrelay.segment.SegmentBody.signedBytesOf(bytes))))
        .withBody(body).withIsBase64Encoded(false).build(), null);
  }

  /**
   * One poll as Lambda's event source mapping makes it: receive up to 10 visible messages, invoke the
   * handler, delete what the response does not name. Returns the response (null when the queue was empty).
   */
  SQSBatchResponse pollOnce(int waitSeconds) {
    return pollOnce(waitSeconds, event -> { });
  }

  /** One poll whose event is changed before the handler sees it (e.g. receive timestamps far in the past). */
  SQSBatchResponse pollOnce(int waitSeconds, java.util.function.Consumer<SQSEvent> edit) {
    List<Message> messages = sqs.receive(sqs.queueUrl(), 10, waitSeconds);
    if (messages.isEmpty()) {
      return null;
    }
    SQSEvent event = toEvent(messages);
    edit.accept(event);
    SQSBatchResponse response = dispatch.handleRequest(event, null);
    Set<String> failed = response.getBatchItemFailures().stream()
        .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).collect(Collectors.toSet());
    List<DeleteMessageBatchRequestEntry> done = messages.stream().filter(m -> !failed.contains(m.messageId()))
        .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId()).receiptHandle(m.receiptHandle()).build())
        .toList();
    if (!done.isEmpty()) {
      sqs.client().deleteMessageBatch(b -> b.queueUrl(sqs.queueUrl()).entries(done));
    }
    return response;
  }

  /** Polls until the queue holds nothing visible or in flight, or the time runs out. */
  void drainQueue(long timeoutMillis) {
    long end = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < end) {
      if (pollOnce(0) != null) {
        continue;
      }
      if (sqs.depth(sqs.queueUrl()) == 0) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  static SQSEvent toEvent(List<Message> messages) {
    return SqsEvents.of(messages, null, null);
  }

  @Override
  public void close() {
    userpilot.close();
    sqs.close();
  }
}
