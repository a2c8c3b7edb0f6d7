package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as a user runs it ({@code java -jar}), in its own process: events answered 200 survive
 * {@code kill -9} (SIGKILL, no shutdown hook) and are delivered after a restart on the same DATA_DIR.
 * Runs in the integration-test phase, after package has built the jar.
 */
class RelayJarIT {
  static final Path JAR = Path.of(System.getProperty("relay.jar", "target/userpilot-relay-local.jar"));
  static final String TOKEN = "it-token";

  @TempDir
  Path work;

  @Test
  void eventsAnswered200SurviveKillDashNineAndAreDeliveredOnceAfterARestart() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "build the jar first (mvn verify): " + JAR);
    Path dataDir = work.resolve("data");
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      // Userpilot is down: everything accepted stays queued, retried with backoff.
      standIn.answer(call -> Reply.status(503));
      Map<String, String> env = new HashMap<>();
      env.put("USERPILOT_API_KEY", StandInUserpilot.API_KEY);
      env.put("USERPILOT_ENDPOINT", RelayHttp.endpointWithoutSlash(standIn));
      env.put("INGEST_TOKEN", TOKEN);
      env.put("PORT", Integer.toString(RelayHttp.freePort()));
      env.put("SQS_PORT", Integer.toString(RelayHttp.freePort()));
      env.put("DATA_DIR", dataDir.toString());
      env.put("RETRY_BASE_SECONDS", "1");

      Relay first = Relay.start(env, work.resolve("first.log"));
      System.out.println("first start: ready in " + first.readyMillis + " ms");
      RelayHttp http = new RelayHttp(first.url);
      Set<String> acceptedUsers = new LinkedHashSet<>();
      for (int request = 0; request < 8; request++) {
        acceptedUsers.addAll(postBatch(http, "durable-" + request));
      }
      assertEquals(40, acceptedUsers.size(), "every request answered 200");
      // Let the dispatcher try (and fail) some of them, so some are mid-backoff and some in flight.
      RelayHttp.await("a delivery attempt", Duration.ofSeconds(20), () -> standIn.calls().size() >= 5);
      // The last request is answered 200 an instant before the crash: the tightest case.
      List<String> last = postBatch(http, "last");
      assertEquals(5, last.size(), "answered 200");
      acceptedUsers.addAll(last);

      first.process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
      assertTrue(first.process.waitFor(20, TimeUnit.SECONDS), "killed");
      assertNotEquals(0, first.process.exitValue());
      assertTrue(standIn.accepted().isEmpty(), "nothing was delivered before the crash");

      // Userpilot is back; the relay restarts on the same DATA_DIR.
      standIn.answer(call -> Reply.accepted());
      Relay second = Relay.start(env, work.resolve("second.log"));
      System.out.println("restart on the same DATA_DIR: ready in " + second.readyMillis + " ms");
      try {
        // In-flight messages come back within the 30 s visibility timeout; retries within their backoff.
        try {
          RelayHttp.await("every accepted event delivered", Duration.ofSeconds(60), () -> acceptedUsers.stream()
              .allMatch(u -> !RelayHttp.deliveredFor(standIn, u).isEmpty()));
          Thread.sleep(2_000); // would a duplicate follow?
        } catch (AssertionError timedOut) {
          // reported below, with the list of what is missing
        }

        Map<String, Long> perUser = standIn.accepted().stream()
            .collect(Collectors.groupingBy(StandInUserpilot.Call::subject, TreeMap::new, Collectors.counting()));
        List<String> lost = acceptedUsers.stream().filter(u -> !perUser.containsKey(u)).toList();
        Map<String, Long> duplicates = perUser.entrySet().stream().filter(e -> e.getValue() > 1)
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
        System.out.println("delivered " + perUser.size() + " of " + acceptedUsers.size() + "; lost " + lost
            + "; duplicates " + duplicates);
        assertTrue(lost.isEmpty(), "lost: " + lost);
        // Userpilot accepted nothing before the crash, so no delivery was cut short by it: no duplicate.
        assertTrue(duplicates.isEmpty(), "duplicates: " + duplicates);
        standIn.accepted().forEach(c -> assertEquals("/v1/track", c.path()));
        assertTrue(standIn.violations().isEmpty(), "header problems: " + standIn.violations());
        String stats = new RelayHttp(second.url).get("/stats").body();
        System.out.println("after restart: " + stats);
        // The event history came through the kill too (a torn last line is skipped): each event's path ends delivered.
        RelayHttp.await("every delivery in the event history", Duration.ofSeconds(10), () -> {
          Set<String> deliveredUsers = new java.util.HashSet<>();
          new RelayHttp(second.url).get("/events?limit=500").json().forEach(e -> {
            if ("DELIVERED".equals(e.path("state").asText())) {
              deliveredUsers.add(e.path("userId").asText());
            }
          });
          return deliveredUsers.containsAll(acceptedUsers);
        });

        // One relay per DATA_DIR: a second one on the same folder refuses to start, naming the setting.
        Map<String, String> intruder = new HashMap<>(env);
        intruder.put("PORT", Integer.toString(RelayHttp.freePort()));
        intruder.put("SQS_PORT", Integer.toString(RelayHttp.freePort()));
        Result refused = run(intruder, work.resolve("intruder.log"));
        assertEquals(2, refused.code, refused.output);
        assertTrue(refused.output.contains("DATA_DIR: cannot open the queue store"), refused.output);
      } finally {
        // A graceful stop (SIGTERM) ends the process by itself.
        second.process.destroy();
        boolean ended = second.process.waitFor(40, TimeUnit.SECONDS);
        if (!ended) {
          second.process.destroyForcibly();
        }
        assertTrue(ended, "SIGTERM stops the relay; log: " + second.log);
      }
    }
  }

  /** What the stand-in accepted in the kill scenario: before the restart, and in all. */
  record KillRun(List<StandInUserpilot.Call> beforeRestart, List<StandInUserpilot.Call> all) {
    List<StandInUserpilot.Call> afterRestart() {
      return all.subList(beforeRestart.size(), all.size());
    }
  }

  static int seq(StandInUserpilot.Call call) {
    return call.body().at("/metadata/seq").asInt();
  }

  private static final int KILL_USERS = 10;
  private static final int KILL_EVENTS_PER_USER = 4;

  /**
   * Ten users, each an identify then three tracks as separate requests; Userpilot answers slowly (1.5 s), so
   * deliveries are in flight when the runner is killed with SIGKILL; then a restart on the same DATA_DIR with
   * Userpilot answering at once, until every event has arrived (and 2 s more, for any duplicate to show).
   */
  private KillRun killMidDeliveryAndRestart(String name) throws Exception {
    assertTrue(Files.isRegularFile(JAR), "build the jar first (mvn verify): " + JAR);
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      standIn.answer(call -> Reply.accepted().after(1_500));
      Map<String, String> env = new HashMap<>();
      env.put("USERPILOT_API_KEY", StandInUserpilot.API_KEY);
      env.put("USERPILOT_ENDPOINT", RelayHttp.endpointWithoutSlash(standIn));
      env.put("INGEST_TOKEN", TOKEN);
      env.put("PORT", Integer.toString(RelayHttp.freePort()));
      env.put("SQS_PORT", Integer.toString(RelayHttp.freePort()));
      env.put("DATA_DIR", work.resolve(name + "-data").toString());
      env.put("RETRY_BASE_SECONDS", "1");

      Relay first = Relay.start(env, work.resolve(name + "-first.log"));
      RelayHttp http = new RelayHttp(first.url);
      for (int step = 0; step < KILL_EVENTS_PER_USER; step++) {
        for (int u = 0; u < KILL_USERS; u++) {
          int seq = u * 10 + step;
          String event = step == 0
              ? "{\"type\":\"identify\",\"userId\":\"k" + u + "\",\"messageId\":\"k-" + seq
                  + "\",\"traits\":{\"seq\":" + seq + "}}"
              : "{\"type\":\"track\",\"userId\":\"k" + u + "\",\"event\":\"Step\",\"messageId\":\"k-" + seq
                  + "\",\"properties\":{\"seq\":" + seq + "}}";
          assertEquals(200, http.postJson(event, Map.of("Authorization", "Bearer " + TOKEN)).status());
        }
      }
      // Some delivered, some answers still on their way: the moment to kill.
      RelayHttp.await("deliveries under way", Duration.ofSeconds(30), () -> standIn.accepted().size() >= 3
          && standIn.calls().size() > standIn.accepted().size());
      first.process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, nothing deleted
      assertTrue(first.process.waitFor(20, TimeUnit.SECONDS), "killed");
      int callsBeforeKill = standIn.calls().size();
      Thread.sleep(1_600); // the calls in flight end at the stand-in (which counts them delivered)
      List<StandInUserpilot.Call> beforeRestart = standIn.accepted();

      standIn.answer(call -> Reply.accepted());
      Relay second = Relay.start(env, work.resolve(name + "-second.log"));
      try {
        try {
          RelayHttp.await("every event delivered", Duration.ofSeconds(90), () -> standIn.accepted().stream()
              .map(RelayJarIT::seq).distinct().count() == KILL_USERS * KILL_EVENTS_PER_USER);
          Thread.sleep(2_000); // would a duplicate follow?
        } catch (AssertionError timedOut) {
          // reported by the caller, with what is missing
        }
        KillRun run = new KillRun(beforeRestart, standIn.accepted());
        Map<String, List<Integer>> arrivals = new TreeMap<>();
        run.all().forEach(c -> arrivals.computeIfAbsent(c.subject(), k -> new ArrayList<>()).add(seq(c)));
        System.out.println(name + ": " + callsBeforeKill + " calls before the kill, " + beforeRestart.size()
            + " accepted by then, " + run.afterRestart().size() + " after the restart; arrivals per user " + arrivals);
        assertTrue(standIn.violations().isEmpty(), standIn.violations().toString());
        return run;
      } finally {
        second.process.destroy();
        if (!second.process.waitFor(40, TimeUnit.SECONDS)) {
          second.process.destroyForcibly();
        }
      }
    }
  }

  /**
   * kill -9 mid-delivery, restart on the same DATA_DIR: nothing is lost, and an event arrives twice only where
   * the killed runner never settled it — its answer was in flight, or its batch was not yet deleted from the
   * queue (one batch of 10 at DISPATCH_CONCURRENCY 1). After the restart nothing arrives twice.
   */
  @Test
  void killDashNineMidDeliveryLosesNothingAndRepeatsOnlyWhatTheKilledRunnerHadSent() throws Exception {
    KillRun run = killMidDeliveryAndRestart("kill");
    Map<Integer, Long> times = run.all().stream().collect(Collectors.groupingBy(RelayJarIT::seq, TreeMap::new,
        Collectors.counting()));
    List<Integer> duplicated = times.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    System.out.println("kill -9 mid-delivery: duplicated " + duplicated.size() + " " + duplicated);
    assertEquals(KILL_USERS * KILL_EVENTS_PER_USER, times.size(), "nothing lost: " + times.keySet());
    times.forEach((seq, n) -> assertTrue(n <= 2, "event " + seq + " arrived " + n + " times"));
    Set<Integer> sentBefore = run.beforeRestart().stream().map(RelayJarIT::seq).collect(Collectors.toSet());
    for (int seq : duplicated) {
      assertTrue(sentBefore.contains(seq), "a repeat is of an event the killed runner had sent: " + seq);
    }
    assertTrue(duplicated.size() <= QueuePoller.BATCH_SIZE, "only the unsettled batch repeats: " + duplicated);
    assertEquals(run.afterRestart().size(), run.afterRestart().stream().map(RelayJarIT::seq).distinct().count(),
        "after the restart nothing arrives twice");
  }

  /**
   * Per-user order across a kill -9 and restart: each user's events first arrive in the order they were
   * accepted, and what arrives again after the restart is in that order too. Failed reliably with ElasticMQ's
   * own SQL persistence, which restores FIFO messages as standard ones ordered by their next delivery time
   * (seen: k1 [10, 11, 13, 10, 12, 11]); {@link QueueStore} restores them as FIFO messages with their order keys.
   */
  @Test
  void killDashNineMidDeliveryKeepsEachUsersOrder() throws Exception {
    KillRun run = killMidDeliveryAndRestart("order");
    Map<String, List<Integer>> firstArrivals = new TreeMap<>();
    Map<String, List<Integer>> restarted = new TreeMap<>();
    Set<Integer> seen = new java.util.HashSet<>();
    for (StandInUserpilot.Call c : run.all()) {
      if (seen.add(seq(c))) {
        firstArrivals.computeIfAbsent(c.subject(), k -> new ArrayList<>()).add(seq(c));
      }
    }
    run.afterRestart().forEach(c -> restarted.computeIfAbsent(c.subject(), k -> new ArrayList<>()).add(seq(c)));
    for (int u = 0; u < KILL_USERS; u++) {
      assertEquals(List.of(u * 10, u * 10 + 1, u * 10 + 2, u * 10 + 3), firstArrivals.get("k" + u), "k" + u);
      List<Integer> again = restarted.getOrDefault("k" + u, List.of());
      assertEquals(again.stream().sorted().toList(), again, "k" + u + " after the restart");
    }
  }

  /** The jar carries the runner's deduplication history in place of ElasticMQ's (local/pom.xml's shade filter). */
  @Test
  void theJarMakesElasticMqUseTheDeduplicationWindow() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "build the jar first (mvn verify): " + JAR);
    try (java.util.jar.JarFile jar = new java.util.jar.JarFile(JAR.toFile())) {
      java.util.jar.JarEntry companion = jar.getJarEntry("org/elasticmq/FifoDeduplicationIdsHistory$.class");
      String bytes = new String(jar.getInputStream(companion).readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
      assertTrue(bytes.contains("com/userpilotrelay/local/DeduplicationWindow"), "ElasticMQ's own copy is in the jar");
    }
  }

  @Test
  void checkAndABadSettingExitAsDocumented() throws Exception {
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      Map<String, String> env = new HashMap<>();
      env.put("USERPILOT_ENDPOINT", standIn.endpoint().toString());
      env.put("USERPILOT_API_KEY", StandInUserpilot.API_KEY);
      Result ok = run(env, work.resolve("check-ok.log"), "check");
      assertEquals(0, ok.code, ok.output);
      assertTrue(ok.output.contains("accepted the API key"), ok.output);

      env.put("USERPILOT_API_KEY", "wrong-key");
      Result refused = run(env, work.resolve("check-refused.log"), "check");
      assertEquals(1, refused.code, refused.output);
      assertTrue(refused.output.contains("HTTP 401"), refused.output);
      assertFalse(refused.output.contains("wrong-key"), refused.output);

      env.remove("USERPILOT_API_KEY");
      Result none = run(env, work.resolve("check-none.log"), "check");
      assertEquals(2, none.code, none.output);

      Map<String, String> bad = Map.of("PORT", "http", "DATA_DIR", work.resolve("unused").toString());
      Result invalid = run(bad, work.resolve("bad.log"));
      assertNotEquals(0, invalid.code, invalid.output);
      assertTrue(invalid.output.contains("PORT: \"http\" is not a whole number"), invalid.output);
      assertFalse(Files.exists(work.resolve("unused")), "nothing is created before the settings are valid");
    }
  }

  @Test
  void theLauncherBoundsTheHeapAndAStartWithoutABoundSaysSo() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("PORT", Integer.toString(RelayHttp.freePort()));
    env.put("SQS_PORT", Integer.toString(RelayHttp.freePort()));
    env.put("DATA_DIR", work.resolve("launcher").toString());
    env.put("RELAY_JAR", JAR.toAbsolutePath().toString());
    env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String launched = runUntilReady(List.of("sh", Path.of("relay.sh").toAbsolutePath().toString()), env,
        work.resolve("launcher.log"));
    assertTrue(launched.contains("memory:   heap up to 256 MiB\n"), launched);
    assertFalse(launched.contains("WARNING: the heap"), launched);

    long machine = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getTotalMemorySize();
    org.junit.jupiter.api.Assumptions.assumeTrue(machine / 4 > LocalRelay.UNBOUNDED_HEAP_BYTES,
        "the JVM's default heap bound (a quarter of this machine's memory) is under the warning's threshold");
    env.put("DATA_DIR", work.resolve("unbounded").toString());
    String unbounded = runUntilReady(List.of(env.get("JAVA"), "-jar", JAR.toAbsolutePath().toString()), env,
        work.resolve("unbounded.log"));
    assertTrue(unbounded.contains("WARNING: the heap may grow to"), unbounded);
    assertTrue(unbounded.contains("local/relay.sh, or java -Xmx256m -jar"), unbounded);
  }

  /** Starts the command, waits for the banner, stops it with SIGTERM; returns everything it wrote. */
  private static String runUntilReady(List<String> command, Map<String, String> env, Path log) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME") && !k.equals("LANG"));
    builder.environment().putAll(env);
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    Process process = builder.start();
    try {
      RelayHttp.await("the banner", Duration.ofSeconds(45), () -> {
        if (!process.isAlive()) {
          throw new AssertionError("exited: " + read(log));
        }
        return read(log).contains("  mappings: ");
      });
      return read(log);
    } finally {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Posts five track events for new users; returns the users when the relay answered 200. */
  private static List<String> postBatch(RelayHttp http, String prefix) {
    StringBuilder body = new StringBuilder("[");
    List<String> users = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String user = prefix + "-" + i;
      users.add(user);
      body.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"userId\":\"").append(user)
          .append("\",\"event\":\"Survived\",\"messageId\":\"").append(user).append("\"}");
    }
    body.append(']');
    RelayHttp.Answer answer = http.postJson(body.toString(), Map.of("Authorization", "Bearer " + TOKEN));
    return answer.status() == 200 ? users : List.of();
  }

  record Result(int code, String output) {}

  private static Result run(Map<String, String> env, Path log, String... args) throws Exception {
    Process process = builder(env, log, args).start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "ended");
    return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  private static ProcessBuilder builder(Map<String, String> env, Path log, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", JAR.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    // Only what the test sets: no settings leak in from the machine running the build.
    builder.environment().keySet().removeIf(k -> !k.equals("PATH") && !k.equals("HOME") && !k.equals("LANG"));
    builder.environment().putAll(env);
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    return builder;
  }

  /** A relay process, started and ready. */
  private static final class Relay {
    final Process process;
    final URI url;
    final Path log;
    final long readyMillis;

    private Relay(Process process, URI url, Path log, long readyMillis) {
      this.process = process;
      this.url = url;
      this.log = log;
      this.readyMillis = readyMillis;
    }

    static Relay start(Map<String, String> env, Path log) throws IOException {
      long started = System.nanoTime();
      Process process = builder(env, log).start();
      URI url = URI.create("http://127.0.0.1:" + env.get("PORT"));
      RelayHttp http = new RelayHttp(url);
      try {
        RelayHttp.await("the relay's /health", Duration.ofSeconds(45), () -> {
          if (!process.isAlive()) {
            throw new AssertionError("the relay exited: " + read(log));
          }
          try {
            return http.get("/health").status() == 200;
          } catch (UncheckedIOException notYet) {
            return false;
          }
        });
      } catch (AssertionError e) {
        process.destroyForcibly();
        throw new AssertionError(e.getMessage() + "\n" + read(log), e);
      }
      return new Relay(process, url, log, (System.nanoTime() - started) / 1_000_000);
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
