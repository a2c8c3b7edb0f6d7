package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.ingest.IngestHandler;
import com.userpilotrelay.ingest.IngestRequest;
import com.userpilotrelay.ingest.IngestResponse;
import com.userpilotrelay.ingest.IngestService;
import com.userpilotrelay.ingest.IngestSetup;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.segment.BodyException;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.testing.EmbeddedSqs;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ingest_batch_2500_ms: the time to answer a 2,500-event (~500 KB) request with every event durably
 * enqueued — through the local runner (HTTP front, real IngestHandler, embedded ElasticMQ kept on disk)
 * when its jar is built, and in this JVM (IngestService against an in-memory ElasticMQ) always; and the
 * floor: only parsing and validating the same body.
 */
final class IngestScenario {
  static final String TOKEN = "bench-ingest-token";

  private IngestScenario() {}

  static ObjectNode run(Bench.Options options, Path localJar, Path work) throws Exception {
    byte[] body = Workload.arrayBody(0, Workload.MAX_EVENTS, Workload.TARGET_BYTES);
    ObjectNode result = Json.object();
    result.put("events", Workload.MAX_EVENTS);
    result.put("body_bytes", body.length);
    result.put("shape", "JSON array (Webhooks (Actions) batching)");
    result.put("auth", "token (Authorization: Bearer)");

    ObjectNode floor = floor(body, options);
    result.set("parse_validate_floor", floor);

    ObjectNode inProcess = inProcess(options);
    result.set("in_process", inProcess);

    ObjectNode local = null;
    if (localJar != null && Files.isRegularFile(localJar)) {
      local = localRunner(options, localJar, work);
      result.set("local_runner", local);
    } else {
      result.put("local_runner", "not measured: local/target/userpilot-relay-local.jar is not built on this branch");
    }
    result.set("segment_batch_4000", segmentBatch4000(options, localJar, work));

    ObjectNode primary = local != null ? local : inProcess;
    result.put("via", local != null ? "local runner (HTTP, embedded ElasticMQ with H2 persistence)"
        : "in-process IngestService + in-memory ElasticMQ (local runner not available)");
    result.put("median_ms", primary.get("median_ms").asDouble());
    result.put("floor_ratio", Stats.round(primary.get("median_ms").asDouble() / floor.get("median_ms").asDouble(), 1));
    return result;
  }

  /** SegmentBody.parse plus EventValidator.validate on every event: what ingest cannot do without. */
  static ObjectNode floor(byte[] body, Bench.Options options) throws BodyException {
    // Warm up until the JIT has compiled the path (by time, at least 2 s), then measure.
    long warmupNanos = (options.quick ? 2 : 3) * 1_000_000_000L;
    int runs = options.quick ? 20 : 40;
    List<Double> times = new ArrayList<>();
    int errors = 0;
    int warmup = 0;
    long warmupStart = System.nanoTime();
    while (System.nanoTime() - warmupStart < warmupNanos) {
      errors += parseAndValidate(body);
      warmup++;
    }
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      errors += parseAndValidate(body);
      times.add((System.nanoTime() - t0) / 1e6);
    }
    if (errors != 0) {
      throw new IllegalStateException("the workload has invalid events: " + errors);
    }
    ObjectNode r = Json.object();
    r.put("median_ms", Stats.round(Stats.median(times), 2));
    r.put("min_ms", Stats.round(Stats.min(times), 2));
    r.put("runs", runs);
    r.put("warmup_runs", warmup);
    return r;
  }

  private static int parseAndValidate(byte[] body) throws BodyException {
    int errors = 0;
    for (SegmentBody.RawEvent e : SegmentBody.parse(body).events()) {
      errors += EventValidator.validate(e.node(), e.rawBytes()).size();
    }
    return errors;
  }

  /** IngestService as IngestSetup builds it (16 concurrent SendMessageBatch calls), in-memory ElasticMQ. */
  static ObjectNode inProcess(Bench.Options options) throws Exception {
    int warmup = options.quick ? 2 : 5;
    int runs = options.quick ? 3 : 7;
    try (EmbeddedSqs sqs = new EmbeddedSqs()) {
      Env env = Env.of(Map.of("EVENTS_QUEUE_URL", sqs.queueUrl(), "REJECTED_QUEUE_URL", sqs.rejectedUrl(),
          "INGEST_TOKEN", TOKEN));
      IngestService service = IngestSetup.service(env, SecretSource.none(), sqs.client());
      List<Double> times = new ArrayList<>();
      long accepted = 0;
      for (int i = 0; i < warmup + runs; i++) {
        byte[] body = Workload.arrayBody(i * Workload.MAX_EVENTS, Workload.MAX_EVENTS, Workload.TARGET_BYTES);
        IngestRequest request = new IngestRequest(Map.of("content-type", "application/json",
            "authorization", "Bearer " + TOKEN), body);
        long t0 = System.nanoTime();
        IngestResponse response = service.handle(request);
        long t1 = System.nanoTime();
        if (response.status() != 200 || response.accepted() != Workload.MAX_EVENTS) {
          throw new IllegalStateException("in-process ingest answered " + response.status() + ": " + response.body());
        }
        accepted += response.accepted();
        if (i >= warmup) {
          times.add((t1 - t0) / 1e6);
        }
        if (i == warmup - 1 || i == warmup + runs - 1) {
          // Keep the in-memory queue from growing without bound: count, then empty it.
          int depth = sqs.depth(sqs.queueUrl());
          if (depth != accepted) {
            throw new IllegalStateException("queue holds " + depth + " messages, ingest accepted " + accepted);
          }
          sqs.client().purgeQueue(b -> b.queueUrl(sqs.queueUrl()));
          accepted = 0;
        }
      }
      ObjectNode r = timings(times, runs, warmup);
      r.put("verified", "queue depth equals the events accepted");
      return r;
    }
  }

  /** The local runner as a user starts it; requests over HTTP; ElasticMQ persists to H2 under DATA_DIR. */
  static ObjectNode localRunner(Bench.Options options, Path jar, Path work) throws Exception {
    int warmup = options.quick ? 2 : 5;
    int runs = options.quick ? 3 : 7;
    Path data = Files.createTempDirectory(work, "ingest-data");
    int port = Child.freePort();
    int sqsPort = Child.freePort();
    try (StandIn userpilot = StandIn.fixedLatency(0);
        Child relay = Child.start(List.of(Child.javaBin(), "-jar", jar.toString()), Map.of(
            "PORT", Integer.toString(port), "SQS_PORT", Integer.toString(sqsPort), "DATA_DIR", data.toString(),
            "INGEST_TOKEN", TOKEN, "USERPILOT_API_KEY", InProcess.API_KEY,
            "USERPILOT_ENDPOINT", userpilot.endpoint().toString()), work)) {
      relay.await(line -> line.contains("ready in"), 60_000);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      URI url = URI.create("http://127.0.0.1:" + port + "/segment");
      List<Double> times = new ArrayList<>();
      long accepted = 0;
      for (int i = 0; i < warmup + runs; i++) {
        byte[] body = Workload.arrayBody(i * Workload.MAX_EVENTS, Workload.MAX_EVENTS, Workload.TARGET_BYTES);
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        long t0 = System.nanoTime();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        long t1 = System.nanoTime();
        JsonNode answer = Json.parse(response.body());
        if (response.statusCode() != 200 || answer.path("accepted").asInt() != Workload.MAX_EVENTS) {
          throw new IllegalStateException("the local runner answered " + response.statusCode() + ": "
              + response.body().substring(0, Math.min(300, response.body().length())));
        }
        accepted += Workload.MAX_EVENTS;
        if (i >= warmup) {
          times.add((t1 - t0) / 1e6);
        }
      }
      JsonNode stats = Json.parse(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats"))
          .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
      long accounted = stats.path("queueDepth").asLong() + stats.path("delivered").asLong()
          + stats.path("skipped").asLong() + stats.path("deadLettered").asLong();
      ObjectNode r = timings(times, runs, warmup);
      r.put("accepted_by_runner", stats.path("accepted").asLong());
      r.put("queue_depth_plus_delivered", accounted);
      // Exact: the runner counts a message's final outcome once its batch is deleted from the queue, and reads
      // the queue's depth and its counters while no deletion is under way (RelayStats).
      r.put("all_enqueued", stats.path("accepted").asLong() == accepted && accounted == accepted);
      r.put("note", "the runner's dispatcher delivers to a stand-in in the background at the paced 600/min meanwhile");
      return r;
    } finally {
      deleteTree(data);
    }
  }

  static final String SECRET = "bench-shared-secret";

  /**
   * Segment's largest batch as Webhooks (Actions) sends it: 4,000 events with their context, compact,
   * signed over the first event and with the token: 4,000 events of 1.2 KB, about 4.8 MB, which fits the
   * Lambda invocation that carries it (SegmentLimits.invocationBytes).
   * Measured warm through the local runner, as the first request of a freshly started runner, and
   * through the real IngestHandler against ElasticMQ in one JVM.
   */
  static ObjectNode segmentBatch4000(Bench.Options options, Path localJar, Path work) throws Exception {
    int events = Workload.SEGMENT_BATCH_EVENTS;
    int eventBytes = Workload.eventBytesThatFit(events, 1200);
    ObjectNode r = Json.object();
    r.put("events", events);
    r.put("event_bytes", eventBytes);
    r.put("body_bytes", Workload.segmentBatch(0, events, eventBytes).length);
    r.put("auth", "X-Signature over the first event and Authorization: Bearer, as Segment sends with both set");
    r.put("note", "4,000 events of about 1.2 KB (the largest that fit, at most 1,200 bytes): Segment's largest batch");
    int warmup = options.quick ? 1 : 3;
    int runs = options.quick ? 2 : 5;
    r.set("in_process", handlerInProcess(events, eventBytes, warmup, runs));
    if (localJar != null && Files.isRegularFile(localJar)) {
      r.set("local_runner_warm", runnerBatches(localJar, work, events, eventBytes, warmup, runs, 1));
      r.set("local_runner_first", runnerBatches(localJar, work, events, eventBytes, 0, 1, options.quick ? 1 : 3));
    } else {
      r.put("local_runner_warm", "not measured: the local runner's jar is not built on this branch");
    }
    return r;
  }

  /** Segment's headers for a body: the first event's HMAC-SHA1 and the token. */
  static Map<String, String> segmentHeaders(byte[] body) {
    return Map.of("content-type", "application/json",
        "x-signature", RequestAuthenticator.sign(SECRET, SegmentBody.signedBytesOf(body)),
        "authorization", "Bearer " + TOKEN);
  }

  /** The real IngestHandler (as IngestSetup builds it) against an in-memory ElasticMQ in this JVM. */
  static ObjectNode handlerInProcess(int events, int eventBytes, int warmup, int runs) {
    try (EmbeddedSqs sqs = new EmbeddedSqs()) {
      Env env = Env.of(Map.of("EVENTS_QUEUE_URL", sqs.queueUrl(), "REJECTED_QUEUE_URL", sqs.rejectedUrl(),
          "INGEST_TOKEN", TOKEN, "SEGMENT_SHARED_SECRET", SECRET));
      IngestHandler handler = new IngestHandler(IngestSetup.service(env, SecretSource.none(), sqs.client()));
      List<Double> times = new ArrayList<>();
      for (int i = 0; i < warmup + runs; i++) {
        byte[] body = Workload.segmentBatch(1_000_000 + i * events, events, eventBytes);
        APIGatewayV2HTTPEvent request = APIGatewayV2HTTPEvent.builder().withVersion("2.0")
            .withRouteKey("POST /segment").withRawPath("/segment").withHeaders(segmentHeaders(body))
            .withBody(new String(body, java.nio.charset.StandardCharsets.UTF_8)).withIsBase64Encoded(false).build();
        long t0 = System.nanoTime();
        APIGatewayV2HTTPResponse response = handler.handleRequest(request, null);
        long t1 = System.nanoTime();
        if (response.getStatusCode() != 200 || Json.parse(response.getBody()).path("accepted").asInt() != events) {
          throw new IllegalStateException("in-process ingest answered " + response.getStatusCode() + ": "
              + response.getBody().substring(0, Math.min(300, response.getBody().length())));
        }
        int depth = sqs.depth(sqs.queueUrl());
        if (depth != events) {
          throw new IllegalStateException("queue holds " + depth + " messages, ingest accepted " + events);
        }
        sqs.client().purgeQueue(b -> b.queueUrl(sqs.queueUrl()));
        if (i >= warmup) {
          times.add((t1 - t0) / 1e6);
        }
      }
      ObjectNode r = timings(times, runs, warmup);
      r.put("verified", "every request: queue depth equals the events accepted");
      return r;
    }
  }

  /**
   * {@code starts} fresh runners (new DATA_DIR each); on each, {@code warmup} untimed then {@code runs}
   * timed signed requests. With warmup 0 and runs 1, each figure is a fresh runner's first request.
   */
  static ObjectNode runnerBatches(Path jar, Path work, int events, int eventBytes, int warmup, int runs, int starts)
      throws Exception {
    List<Double> times = new ArrayList<>();
    long accepted = 0;
    long acceptedByRunners = 0;
    for (int start = 0; start < starts; start++) {
      Path data = Files.createTempDirectory(work, "ingest-4000");
      int port = Child.freePort();
      try (StandIn userpilot = StandIn.fixedLatency(0);
          Child relay = Child.start(List.of(Child.javaBin(), "-jar", jar.toString()), Map.of(
              "PORT", Integer.toString(port), "SQS_PORT", Integer.toString(Child.freePort()),
              "DATA_DIR", data.toString(), "INGEST_TOKEN", TOKEN, "SEGMENT_SHARED_SECRET", SECRET,
              "USERPILOT_API_KEY", InProcess.API_KEY, "USERPILOT_ENDPOINT", userpilot.endpoint().toString()), work)) {
        relay.await(line -> line.contains("ready in"), 60_000);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
        URI url = URI.create("http://127.0.0.1:" + port + "/segment");
        for (int i = 0; i < warmup + runs; i++) {
          byte[] body = Workload.segmentBatch(2_000_000 + (start * 100 + i) * events, events, eventBytes);
          HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
          segmentHeaders(body).forEach(request::header);
          long t0 = System.nanoTime();
          HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
          long t1 = System.nanoTime();
          if (response.statusCode() != 200 || Json.parse(response.body()).path("accepted").asInt() != events) {
            throw new IllegalStateException("the local runner answered " + response.statusCode() + ": "
                + response.body().substring(0, Math.min(300, response.body().length())));
          }
          accepted += events;
          if (i >= warmup) {
            times.add((t1 - t0) / 1e6);
          }
        }
        acceptedByRunners += Json.parse(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats"))
            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()).body())
            .path("accepted").asLong();
      } finally {
        deleteTree(data);
      }
    }
    ObjectNode r = timings(times, runs * starts, warmup);
    r.put("fresh_starts", starts);
    r.put("all_enqueued", acceptedByRunners == accepted);
    return r;
  }

  static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }

  /** Median, extremes and every run, in milliseconds. */
  private static ObjectNode timings(List<Double> times, int runs, int warmup) {
    ObjectNode r = Json.object();
    r.put("median_ms", Stats.round(Stats.median(times), 1));
    r.put("min_ms", Stats.round(Stats.min(times), 1));
    r.put("max_ms", Stats.round(Stats.max(times), 1));
    r.put("runs", runs);
    r.put("warmup_runs", warmup);
    r.set("all_ms", Json.MAPPER.valueToTree(times.stream().map(v -> Stats.round(v, 1)).toList()));
    return r;
  }
}
