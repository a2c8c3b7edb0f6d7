package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.testing.EmbeddedSqs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * cold_start_ratio: wall time from forking a fresh JVM to its first ingest answer (the event really in
 * the queue: checked after each run), over the same for a hello-world JVM, measured alternately in one
 * run. The fresh JVM runs the real IngestHandler from the ingest deployment zip (IngestProbe) against
 * an ElasticMQ that is already running, as a Lambda cold start meets an SQS that is always there.
 * Variants: as deployed; with an AppCDS archive (-XX:ArchiveClassesAtExit on a training run, then
 * -XX:SharedArchiveFile); with C1 only (-XX:TieredStopAtLevel=1); with both.
 */
final class ColdStartScenario {
  private ColdStartScenario() {}

  static ObjectNode run(Bench.Options options, Path repo, Path work, Path probeJar, Path localJar) throws Exception {
    int runs = options.quick ? 3 : 6;
    FunctionZip ingest = FunctionZip.unpack(repo, "ingest", work);
    String cp = ingest.classPathWith(probeJar);
    Path jsa = work.resolve("ingest-appcds.jsa");
    Files.deleteIfExists(jsa);

    ObjectNode r = Json.object();
    try (EmbeddedSqs sqs = new EmbeddedSqs()) {
      Map<String, String> env = Functions.awsEnv(sqs);
      env.put("INGEST_TOKEN", IngestScenario.TOKEN);

      // Training run for the AppCDS archive: the classes one real request loads, dumped at exit.
      List<String> training = new ArrayList<>(List.of(Child.javaBin()));
      training.addAll(Functions.LAMBDA_FLAGS);
      training.addAll(List.of("-XX:ArchiveClassesAtExit=" + jsa, "-cp", cp, "com.userpilotrelay.bench.probe.IngestProbe", "-"));
      ingestOnce(training, env, sqs, "cold-training");
      boolean archived = Files.isRegularFile(jsa);

      Map<String, Variant> variants = new LinkedHashMap<>();
      variants.put("default", new Variant(List.of(), "none"));
      variants.put("c1", new Variant(List.of("-XX:TieredStopAtLevel=1"), "none"));
      if (archived) {
        variants.put("appcds", new Variant(List.of("-XX:SharedArchiveFile=" + jsa, "-Xshare:on"), "none"));
        variants.put("appcds_c1", new Variant(List.of("-XX:SharedArchiveFile=" + jsa, "-Xshare:on",
            "-XX:TieredStopAtLevel=1"), "none"));
      }
      variants.put("primed", new Variant(List.of(), "handler"));
      variants.put("primed_sdk", new Variant(List.of(), "sdk"));
      List<String> names = new ArrayList<>();
      names.add("hello");
      names.addAll(variants.keySet());
      Map<String, List<Double>> times = new LinkedHashMap<>();
      Map<String, List<Double>> inits = new LinkedHashMap<>();
      Map<String, List<Double>> requests = new LinkedHashMap<>();
      names.forEach(n -> {
        times.put(n, new ArrayList<>());
        inits.put(n, new ArrayList<>());
        requests.put(n, new ArrayList<>());
      });

      // One untimed round first (page cache, and -Xshare:on proves the archive maps), then the timed ones,
      // each round starting at a different variant so none always runs first.
      for (int round = -1; round < runs; round++) {
        for (int k = 0; k < names.size(); k++) {
          String name = names.get(Math.floorMod(k + round, names.size()));
          if (name.equals("hello")) {
            // The denominator of every ratio: three per round, as it is short and varies (50-75 ms here).
            for (int h = 0; h < 3; h++) {
              double ms = hello(probeJar);
              if (round >= 0) {
                times.get(name).add(ms);
              }
            }
            continue;
          }
          Variant v = variants.get(name);
          List<String> command = new ArrayList<>(List.of(Child.javaBin()));
          command.addAll(Functions.LAMBDA_FLAGS);
          command.addAll(v.flags());
          command.addAll(List.of("-cp", cp, "com.userpilotrelay.bench.probe.IngestProbe", "-"));
          Map<String, String> variantEnv = new java.util.HashMap<>(env);
          variantEnv.put("BENCH_PRIME", v.prime());
          Cold cold = ingestOnce(command, variantEnv, sqs, "cold-" + name + "-" + round);
          if (round >= 0) {
            times.get(name).add(cold.totalMs());
            inits.get(name).add(cold.initMs());
            requests.get(name).add(cold.firstRequestMs());
          }
        }
      }

      double hello = Stats.median(times.get("hello"));
      ObjectNode ratios = Json.object();
      ObjectNode medians = Json.object();
      ObjectNode phases = Json.object();
      ObjectNode all = Json.object();
      for (String name : names) {
        double median = Stats.median(times.get(name));
        medians.put(name, Stats.round(median, 1));
        all.set(name, Json.MAPPER.valueToTree(times.get(name).stream().map(v -> Stats.round(v, 1)).toList()));
        if (!name.equals("hello")) {
          ratios.put(name, Stats.round(median / hello, 2));
          ObjectNode p = phases.putObject(name);
          p.put("init_ms", Stats.round(Stats.median(inits.get(name)), 1));
          p.put("first_request_ms", Stats.round(Stats.median(requests.get(name)), 1));
          p.put("jvm_boot_ms", Stats.round(median - Stats.median(inits.get(name)) - Stats.median(requests.get(name)), 1));
        }
      }
      r.put("runs", runs);
      r.put("jvm_flags", String.join(" ", Functions.LAMBDA_FLAGS));
      r.put("appcds_archive_mib", archived ? Stats.round(Files.size(jsa) / 1024.0 / 1024.0, 1) : 0);
      r.put("measured", "fork of a fresh JVM on the ingest zip's classes -> new IngestHandler() -> one API Gateway"
          + " request answered 200 (event found in the queue afterwards); hello = a JVM printing one line");
      r.set("median_ms", medians);
      r.set("ratio", ratios);
      r.set("phases", phases);
      r.put("phases_note", "jvm_boot = fork to main (JVM start, loading the probe); init = new IngestHandler() (Jackson,"
          + " settings, SQS client) plus any priming; first_request = handleRequest of the first event (SDK's first call)."
          + " primed/primed_sdk show what SnapStart priming moves out of the first request: with SnapStart, init"
          + " and priming run before the snapshot, so a restored container pays restore (not measurable here)"
          + " plus first_request");
      r.set("all_ms", all);
    }
    if (localJar != null && Files.isRegularFile(localJar)) {
      r.set("local_runner_full_start", localRunner(options, localJar, work, probeJar));
    } else {
      r.put("local_runner_full_start", "not measured: the local runner's jar is not built on this branch");
    }
    return r;
  }

  static double hello(Path probeJar) {
    List<String> command = new ArrayList<>(List.of(Child.javaBin()));
    command.addAll(Functions.LAMBDA_FLAGS);
    command.addAll(List.of("-cp", probeJar.toString(), "com.userpilotrelay.bench.probe.Hello"));
    try (Child child = Child.start(command, Map.of(), null)) {
      Child.Line line = child.await("hello"::equals, 30_000);
      child.waitFor(30_000);
      return line.millis();
    }
  }

  record Variant(List<String> flags, String prime) {}

  /** Fork to answer, and the probe's own split: construction (and priming) and the first request. */
  record Cold(double totalMs, double initMs, double firstRequestMs) {}

  /** Runs one ingest probe; returns the milliseconds from fork to the answer, after checking the event is queued. */
  static Cold ingestOnce(List<String> command, Map<String, String> env, EmbeddedSqs sqs, String messageId) {
    Map<String, String> childEnv = new java.util.HashMap<>(env);
    childEnv.put("BENCH_MESSAGE_ID", messageId);
    Child.Line answer;
    String[] phases;
    try (Child child = Child.start(command, childEnv, null)) {
      answer = child.await(line -> line.startsWith("ANSWER "), 60_000);
      if (!answer.text().startsWith("ANSWER 200 ")) {
        throw new IllegalStateException("cold ingest answered: " + answer.text() + "; " + child.describe());
      }
      phases = child.await(line -> line.startsWith("PHASES "), 60_000).text().split(" ");
      int exit = child.waitFor(60_000);
      if (exit != 0) {
        throw new IllegalStateException("the ingest probe exited with " + exit + "; " + child.describe());
      }
    }
    List<Message> queued = sqs.drain(sqs.queueUrl());
    boolean found = queued.stream().anyMatch(m -> m.messageAttributes().containsKey("messageId")
        && messageId.equals(m.messageAttributes().get("messageId").stringValue()));
    if (!found) {
      throw new IllegalStateException("the cold ingest answered 200 but " + messageId + " is not in the queue");
    }
    return new Cold(answer.millis(), Double.parseDouble(phases[1]), Double.parseDouble(phases[2]));
  }

  /** The local runner as a user starts it (java -jar, default JVM flags): fork -> ready banner -> first answer. */
  static ObjectNode localRunner(Bench.Options options, Path jar, Path work, Path probeJar) throws Exception {
    int runs = options.quick ? 2 : 3;
    List<Double> ready = new ArrayList<>();
    List<Double> answered = new ArrayList<>();
    List<Double> hello = new ArrayList<>();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    byte[] body = "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Started\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (StandIn userpilot = StandIn.fixedLatency(0)) {
      for (int i = 0; i < runs; i++) {
        hello.add(helloDefault(probeJar));
        Path data = Files.createTempDirectory(work, "cold-local");
        int port = Child.freePort();
        int sqsPort = Child.freePort();
        try (Child relay = Child.start(List.of(Child.javaBin(), "-jar", jar.toString()), Map.of(
            "PORT", Integer.toString(port), "SQS_PORT", Integer.toString(sqsPort), "DATA_DIR", data.toString(),
            "INGEST_TOKEN", IngestScenario.TOKEN, "USERPILOT_API_KEY", InProcess.API_KEY,
            "USERPILOT_ENDPOINT", userpilot.endpoint().toString()), work)) {
          Child.Line banner = relay.await(line -> line.contains("ready in"), 60_000);
          HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/segment"))
              .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
              .header("Authorization", "Bearer " + IngestScenario.TOKEN)
              .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
          long at = System.nanoTime();
          if (response.statusCode() != 200) {
            throw new IllegalStateException("the local runner answered " + response.statusCode() + ": " + response.body());
          }
          ready.add(banner.millis());
          answered.add(relay.millisSinceStart(at));
          relay.stop(40_000);
        } finally {
          IngestScenario.deleteTree(data);
        }
      }
    }
    double helloMedian = Stats.median(hello);
    ObjectNode r = Json.object();
    r.put("runs", runs);
    r.put("ready_ms", Stats.round(Stats.median(ready), 1));
    r.put("first_answer_ms", Stats.round(Stats.median(answered), 1));
    r.put("hello_default_flags_ms", Stats.round(helloMedian, 1));
    r.put("ratio", Stats.round(Stats.median(answered) / helloMedian, 2));
    r.put("measured", "java -jar userpilot-relay-local.jar (fresh DATA_DIR): fork -> banner -> first POST /segment"
        + " answered 200; over a hello-world JVM with default flags");
    return r;
  }

  static double helloDefault(Path probeJar) {
    List<String> command = List.of(Child.javaBin(), "-cp", probeJar.toString(), "com.userpilotrelay.bench.probe.Hello");
    try (Child child = Child.start(command, Map.of(), null)) {
      Child.Line line = child.await("hello"::equals, 30_000);
      child.waitFor(30_000);
      return line.millis();
    }
  }
}
