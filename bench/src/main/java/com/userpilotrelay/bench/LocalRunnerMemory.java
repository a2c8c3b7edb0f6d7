package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
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
 * Peak resident memory of the local runner as local/relay.sh starts it (bounded heap), read from the
 * kernel (/proc/PID/status VmHWM) and reset between measurements (/proc/PID/clear_refs "5"): after start,
 * under a 4,000-event request (Segment's largest batch, accepted), under a 2,500-event request of larger
 * events (~500 KB), and under a 1,000-entry listing (GET /rejected?limit=1000, the dead letters' paging code).
 */
final class LocalRunnerMemory {
  /** The flags local/relay.sh gives the JVM by default. */
  static final List<String> LAUNCHER_FLAGS = List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");
  static final int OVERSIZED_EVENTS = 4_000;
  static final int DEAD_LETTERS = 1_000;

  private LocalRunnerMemory() {}

  /** Just this measurement: {@code LocalRunnerMemory JAR [REPEAT]} prints the JSON (bench/run.sh runs it in "memory"). */
  public static void main(String[] args) throws Exception {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    Path work = Files.createTempDirectory("relay-memory");
    try {
      System.out.println(Json.write(run(Path.of(args[0]).toAbsolutePath(), work, args.length > 1 ? Integer.parseInt(args[1]) : 5)));
    } finally {
      IngestScenario.deleteTree(work);
    }
    System.exit(0);
  }

  static ObjectNode run(Path jar, Path work, int repeat) throws Exception {
    Path data = Files.createTempDirectory(work, "memory-local");
    int port = Child.freePort();
    List<String> command = new ArrayList<>(List.of(Child.javaBin()));
    command.addAll(LAUNCHER_FLAGS);
    command.addAll(List.of("-jar", jar.toString()));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    URI base = URI.create("http://127.0.0.1:" + port);
    ObjectNode r = Json.object();
    r.put("jvm_flags", String.join(" ", LAUNCHER_FLAGS));
    r.put("repeat", repeat);
    try (StandIn userpilot = StandIn.fixedLatency(0);
        Child relay = Child.start(command, Map.of("PORT", Integer.toString(port),
            "SQS_PORT", Integer.toString(Child.freePort()), "DATA_DIR", data.toString(),
            "INGEST_TOKEN", IngestScenario.TOKEN, "USERPILOT_API_KEY", InProcess.API_KEY,
            "USERPILOT_ENDPOINT", userpilot.endpoint().toString()), work)) {
      relay.await(line -> line.contains("ready in"), 60_000);
      long pid = relay.pid();
      r.put("after_start_mib", mib(hwmKib(pid)));

      resetHwm(pid);
      byte[] oversized = oversizedBody(OVERSIZED_EVENTS);
      int status = 0;
      for (int i = 0; i < repeat; i++) {
        status = post(http, base, oversized).statusCode();
      }
      r.put("request_4000_events_mib", mib(hwmKib(pid)));
      r.put("request_4000_events_status", status);
      r.put("request_4000_events_bytes", oversized.length);

      resetHwm(pid);
      for (int i = 0; i < repeat; i++) {
        byte[] largest = Workload.arrayBody(i * Workload.MAX_EVENTS, Workload.MAX_EVENTS, Workload.TARGET_BYTES);
        HttpResponse<String> answer = post(http, base, largest);
        if (answer.statusCode() != 200) {
          throw new IllegalStateException("the runner answered " + answer.statusCode() + " to 2,500 events");
        }
      }
      r.put("request_2500_events_mib", mib(hwmKib(pid)));

      // Invalid events (a track without its name) are quarantined: the rejected queue fills. It is listed by the
      // same paging code as the dead letters (DeadLetters.page), which is what this measures.
      for (int from = 0; from < DEAD_LETTERS; from += 250) {
        post(http, base, invalidBody(from, 250));
      }
      resetHwm(pid);
      int listed = 0;
      for (int i = 0; i < repeat; i++) {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(base.resolve("/rejected?limit=" + DEAD_LETTERS))
            .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
        listed = Json.parse(page.body()).path("rejected").size();
      }
      if (listed != DEAD_LETTERS) {
        throw new IllegalStateException("GET /rejected listed " + listed + " of " + DEAD_LETTERS);
      }
      r.put("dead_letters_1000_mib", mib(hwmKib(pid)));
      relay.stop(40_000);
    } finally {
      IngestScenario.deleteTree(data);
    }
    r.put("measured", "VmHWM of java " + String.join(" ", LAUNCHER_FLAGS) + " -jar userpilot-relay-local.jar,"
        + " reset before each step; each step repeated " + repeat + " times");
    return r;
  }

  private static HttpResponse<String> post(HttpClient http, URI base, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve("/segment")).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + IngestScenario.TOKEN)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Small valid events, as many as Segment sends at most in one request (4,000): ingest accepts them all. */
  static byte[] oversizedBody(int events) {
    ArrayNode array = Json.MAPPER.createArrayNode();
    for (int i = 0; i < events; i++) {
      array.addObject().put("type", "track").put("userId", "m-" + i % 500).put("event", "Clicked")
          .put("messageId", "oversized-" + i);
    }
    return Json.writeBytes(array);
  }

  /** Events ingest refuses (a track without its event name), each quarantined in the rejected queue. */
  static byte[] invalidBody(int from, int events) {
    ArrayNode array = Json.MAPPER.createArrayNode();
    for (int i = from; i < from + events; i++) {
      array.addObject().put("type", "track").put("userId", "dead-" + i).put("messageId", "dead-" + i)
          .putObject("properties").put("plan", "pro").put("note", "x".repeat(200));
    }
    return Json.writeBytes(array);
  }

  static long hwmKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.substring("VmHWM:".length()).replace("kB", "").trim());
      }
    }
    throw new IOException("no VmHWM in /proc/" + pid + "/status");
  }

  /** Linux 4.0+: writing 5 to clear_refs sets the peak back to the present resident size. */
  static void resetHwm(long pid) throws IOException {
    Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
  }

  private static double mib(long kib) {
    return Stats.round(kib / 1024.0, 1);
  }
}
