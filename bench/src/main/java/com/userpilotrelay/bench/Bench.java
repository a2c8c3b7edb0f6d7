package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.observe.Log;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * bench/run.sh's driver: runs the scenarios, prints a table, writes bench/results/latest.json.
 *
 * <pre>Bench [--quick] [--only=artifacts,ingest,dispatch,ratelimit,cold,memory,jmh] [--local-jar=JAR]
 *       --repo=DIR [--out=FILE] [--commit=ID]</pre>
 */
public final class Bench {
  static final List<String> ALL = List.of("artifacts", "ingest", "dispatch", "ratelimit", "cold", "memory", "jmh");

  /** What to run and where. */
  static final class Options {
    boolean quick;
    Set<String> only = new LinkedHashSet<>(ALL);
    Path repo = Path.of(".").toAbsolutePath().normalize();
    Path out;
    Path work;
    String commit = "unknown";
    Path localJar;
  }

  private Bench() {}

  public static void main(String[] args) throws Exception {
    Options options = parse(args);
    System.setProperty("sun.net.httpserver.nodelay", "true"); // see StandIn
    PrintStream console = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    // The relay logs one JSON line per event and per batch; measured, but not shown.
    PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
    System.setOut(sink);
    Log.redirect(sink);
    Files.createDirectories(options.work);

    Path probeJar = options.repo.resolve("bench/target/relay-bench-0.1.0-probe.jar");
    Path localJar = options.localJar != null ? options.localJar
        : options.repo.resolve("local/target/userpilot-relay-local.jar");

    long started = System.nanoTime();
    double loadStart = Machine.loadAverage();
    long[] machineStart = Machine.cpuTicks();
    long ownStart = Machine.ownTicks();

    ObjectNode result = Json.object();
    result.put("schema", 1);
    result.put("generated_at", Instant.now().toString());
    result.put("git_commit", options.commit);
    result.put("mode", options.quick ? "quick" : "full");
    result.set("machine", Machine.describe());
    ObjectNode details = Json.object();
    List<String> failures = new ArrayList<>();

    for (String scenario : ALL) {
      if (!options.only.contains(scenario)) {
        continue;
      }
      console.printf("bench: %-9s ... ", scenario);
      long t0 = System.nanoTime();
      try {
        ObjectNode r = switch (scenario) {
          case "artifacts" -> artifacts(options.repo);
          case "ingest" -> IngestScenario.run(options, localJar, options.work);
          case "dispatch" -> DispatchScenario.run(options);
          case "ratelimit" -> RateLimitScenario.run(options);
          case "cold" -> ColdStartScenario.run(options, options.repo, options.work, probeJar, localJar);
          case "memory" -> MemoryScenario.run(options.repo, options.work, probeJar, localJar);
          case "jmh" -> JmhScenario.run(options, options.work);
          default -> throw new IllegalArgumentException(scenario);
        };
        r.put("scenario_seconds", Stats.round((System.nanoTime() - t0) / 1e9, 1));
        details.set(scenario, r);
        console.printf("%.1f s%n", (System.nanoTime() - t0) / 1e9);
      } catch (Exception | Error e) {
        failures.add(scenario);
        ObjectNode r = Json.object();
        r.put("error", e.toString());
        details.set(scenario, r);
        console.printf("FAILED: %s%n", e);
        e.printStackTrace(console);
      }
    }

    headline(result, details);

    double seconds = (System.nanoTime() - started) / 1e9;
    long[] machineEnd = Machine.cpuTicks();
    long ownEnd = Machine.ownTicks();
    long busy = machineEnd[0] - machineStart[0];
    long idle = machineEnd[1] - machineStart[1];
    long own = ownEnd - ownStart;
    double foreign = busy + idle == 0 ? Double.NaN : Math.max(0, (double) (busy - own) / (busy + idle));
    ObjectNode quiet = Json.object();
    quiet.put("load_1m_start", loadStart);
    quiet.put("load_1m_end", Machine.loadAverage());
    quiet.put("foreign_cpu_share", Stats.round(foreign, 3));
    quiet.put("quiet", foreign < 0.05);
    quiet.put("how", "foreign_cpu_share = CPU time other processes used during the run / all CPU time the machine"
        + " had (from /proc/stat and this process's own and reaped children's ticks); over 0.05 means another"
        + " workload shared the 2 cores and the figures are noisy");
    result.set("machine_load", quiet);
    result.put("duration_s", Stats.round(seconds, 1));
    result.set("details", details);
    if (!failures.isEmpty()) {
      result.set("failed", Json.MAPPER.valueToTree(failures));
    }

    Files.createDirectories(options.out.getParent());
    Files.writeString(options.out, Json.MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT)
        .writeValueAsString(result) + "\n");
    console.println();
    console.print(Table.render(result));
    console.printf(Locale.ROOT, "%nscenarios took %.0f s; machine %s (foreign CPU share %.1f %%, load %.2f -> %.2f)%n",
        seconds, foreign < 0.05 ? "quiet" : "NOT quiet: figures are noisy", foreign * 100, loadStart, Machine.loadAverage());
    console.println("written: " + options.repo.relativize(options.out));
    System.exit(failures.isEmpty() ? 0 : 1);
  }

  /** The figures the issue names, at the top level of the JSON. */
  static void headline(ObjectNode result, ObjectNode details) {
    JsonNode ingest = details.path("ingest");
    if (ingest.has("median_ms")) {
      result.put("ingest_batch_2500_ms", ingest.get("median_ms").asDouble());
      JsonNode batch4000 = ingest.path("segment_batch_4000");
      if (batch4000.path("local_runner_warm").has("median_ms")) {
        result.put("ingest_batch_4000_ms", batch4000.get("local_runner_warm").get("median_ms").asDouble());
        result.put("ingest_batch_4000_first_ms", batch4000.get("local_runner_first").get("median_ms").asDouble());
      }
      if (batch4000.path("in_process").has("median_ms")) {
        result.put("ingest_batch_4000_inproc_ms", batch4000.get("in_process").get("median_ms").asDouble());
      }
      result.put("ingest_floor_ratio", ingest.get("floor_ratio").asDouble());
    }
    JsonNode dispatch = details.path("dispatch");
    if (dispatch.has("efficiency")) {
      result.put("dispatch_efficiency", dispatch.get("efficiency").asDouble());
      result.put("dispatch_naive_efficiency", dispatch.get("naive_efficiency").asDouble());
    }
    JsonNode rate = details.path("ratelimit");
    if (rate.has("efficiency")) {
      result.put("ratelimit_efficiency", rate.get("efficiency").asDouble());
      result.put("ratelimit_429_share", rate.get("share_429").asDouble());
    }
    JsonNode cold = details.path("cold");
    if (cold.has("ratio")) {
      ObjectNode ratio = cold.get("ratio").deepCopy();
      // Priming only pays off inside a SnapStart snapshot; here it adds to the fork-to-answer time (details.cold.phases).
      ratio.remove(List.of("primed", "primed_sdk"));
      if (cold.path("local_runner_full_start").has("ratio")) {
        ratio.put("local_runner_full_start", cold.get("local_runner_full_start").get("ratio").asDouble());
      }
      result.set("cold_start_ratio", ratio);
      // No SnapStart here: a primed fresh JVM's first request is the closest stand-in for "restore -> first
      // request" (with SnapStart, construction and priming happen before the snapshot); beside it, unprimed.
      JsonNode phases = cold.path("phases");
      if (phases.path("primed").has("first_request_ms")) {
        result.put("first_request_after_restore_ms", phases.get("primed").get("first_request_ms").asDouble());
        result.put("first_request_unprimed_ms", phases.path("default").path("first_request_ms").asDouble());
      }
    }
    JsonNode artifacts = details.path("artifacts");
    if (artifacts.has("ingest")) {
      ObjectNode mib = Json.object();
      mib.put("ingest", artifacts.get("ingest").asDouble());
      mib.put("dispatch", artifacts.get("dispatch").asDouble());
      result.set("artifact_mib", mib);
    }
    JsonNode memory = details.path("memory");
    if (memory.has("lambda_like")) {
      ObjectNode peak = Json.object();
      peak.put("ingest_2500_events", memory.get("lambda_like").get("ingest_2500_events_mib").asDouble());
      peak.put("dispatch_10_messages", memory.get("lambda_like").get("dispatch_10_messages_mib").asDouble());
      peak.put("jvm_flags", memory.get("lambda_like").get("jvm_flags").asText());
      JsonNode local = memory.path("local_runner");
      if (local.has("request_4000_events_mib")) {
        peak.put("local_runner_4000_events", local.get("request_4000_events_mib").asDouble());
        peak.put("local_runner_dead_letters_1000", local.get("dead_letters_1000_mib").asDouble());
        peak.put("local_runner_jvm_flags", local.get("jvm_flags").asText());
      }
      result.set("peak_rss_mib", peak);
    }
    JsonNode jmh = details.path("jmh");
    if (jmh.has("events_per_s_per_core")) {
      result.set("jmh_events_per_s_per_core", jmh.get("events_per_s_per_core").deepCopy());
    }
    result.set("goals", Goals.evaluate(result));
  }

  static ObjectNode artifacts(Path repo) throws java.io.IOException {
    ObjectNode r = Json.object();
    for (String name : List.of("ingest", "dispatch")) {
      Path zip = repo.resolve("functions/" + name + "/target/" + name + "-function.zip");
      if (!Files.isRegularFile(zip)) {
        throw new IllegalStateException(zip + " is missing: build it first");
      }
      r.put(name, Stats.round(Files.size(zip) / 1024.0 / 1024.0, 2));
      r.put(name + "_bytes", Files.size(zip));
    }
    return r;
  }

  static Options parse(String[] args) {
    Options o = new Options();
    for (String arg : args) {
      if (arg.equals("--quick")) {
        o.quick = true;
      } else if (arg.startsWith("--only=")) {
        o.only = new LinkedHashSet<>(List.of(arg.substring("--only=".length()).split(",")));
        for (String s : o.only) {
          if (!ALL.contains(s)) {
            throw new IllegalArgumentException("unknown scenario " + s + "; one of " + ALL);
          }
        }
      } else if (arg.startsWith("--repo=")) {
        o.repo = Path.of(arg.substring("--repo=".length())).toAbsolutePath().normalize();
      } else if (arg.startsWith("--out=")) {
        o.out = Path.of(arg.substring("--out=".length())).toAbsolutePath().normalize();
      } else if (arg.startsWith("--local-jar=")) {
        o.localJar = Path.of(arg.substring("--local-jar=".length())).toAbsolutePath().normalize();
      } else if (arg.startsWith("--commit=")) {
        o.commit = arg.substring("--commit=".length());
      } else {
        throw new IllegalArgumentException("unknown argument " + arg);
      }
    }
    if (o.out == null) {
      o.out = o.repo.resolve("bench/results/latest.json");
    }
    o.work = o.repo.resolve("bench/target/bench-work");
    return o;
  }
}
