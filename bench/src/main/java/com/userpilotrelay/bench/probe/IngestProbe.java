package com.userpilotrelay.bench.probe;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.userpilotrelay.ingest.IngestHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Lambda cold start, as close as this machine allows: a fresh JVM on the ingest function's own
 * classpath builds the real {@link IngestHandler} the way the Lambda runtime does (no-argument
 * constructor, settings from the environment, the SQS client pointed at a running ElasticMQ through
 * AWS_ENDPOINT_URL_SQS) and answers one API Gateway request. Prints "ANSWER status body" per request
 * and "MEMORY hwmKib rssKib" at the end.
 *
 * <pre>IngestProbe [bodyFile|-] [repeat]</pre>
 * With "-" it sends one track event whose messageId is BENCH_MESSAGE_ID. BENCH_PRIME=handler runs the
 * handler's own SnapStart priming (beforeCheckpoint, which calls GetQueueAttributes on the queue, then
 * afterRestore) after construction; BENCH_PRIME=sdk also sends one
 * empty SendMessageBatch (refused by SQS, nothing enqueued) through a client built the same way, which
 * loads and links the SDK's request path. "PHASES initMs firstRequestMs" follows the first answer.
 */
public final class IngestProbe {
  private IngestProbe() {}

  public static void main(String[] args) throws Exception {
    String body = args.length > 0 && !"-".equals(args[0]) ? Files.readString(Path.of(args[0]))
        : "{\"type\":\"track\",\"userId\":\"cold-user\",\"event\":\"Cold Start\",\"messageId\":\""
            + System.getenv("BENCH_MESSAGE_ID") + "\",\"properties\":{\"n\":1}}";
    int repeat = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    long mainStarted = System.nanoTime();
    IngestHandler handler = new IngestHandler();
    String prime = System.getenv().getOrDefault("BENCH_PRIME", "none");
    if (!"none".equals(prime)) {
      // SnapStart's order: priming before the snapshot (now including a GetQueueAttributes call), then
      // afterRestore; what follows is the first request a restored function answers.
      handler.beforeCheckpoint(null);
      handler.afterRestore(null);
    }
    if ("sdk".equals(prime)) {
      try (var sqs = com.userpilotrelay.queue.SqsClients.aws()) {
        sqs.sendMessageBatch(b -> b.queueUrl(System.getenv("EVENTS_QUEUE_URL")).entries(java.util.List.of()));
      } catch (RuntimeException refused) {
        // expected: an empty batch is refused
      }
    }
    long initialized = System.nanoTime();
    Map<String, String> headers = Map.of("content-type", "application/json",
        "authorization", "Bearer " + System.getenv("INGEST_TOKEN"));
    for (int i = 0; i < repeat; i++) {
      APIGatewayV2HTTPEvent event = APIGatewayV2HTTPEvent.builder()
          .withVersion("2.0").withRouteKey("POST /segment").withRawPath("/segment")
          .withHeaders(headers).withBody(body).withIsBase64Encoded(false).build();
      APIGatewayV2HTTPResponse response = handler.handleRequest(event, null);
      String answer = response.getBody();
      long answered = System.nanoTime();
      System.out.println("ANSWER " + response.getStatusCode() + " "
          + (answer.length() > 200 ? answer.substring(0, 200) : answer));
      System.out.flush();
      if (i == 0) {
        System.out.println("PHASES " + (initialized - mainStarted) / 1_000_000.0 + " " + (answered - initialized) / 1_000_000.0);
        System.out.flush();
      }
    }
    System.out.println("MEMORY " + ProcStatus.vmHwmKib() + " " + ProcStatus.vmRssKib());
    System.out.flush();
    System.exit(0);
  }
}
