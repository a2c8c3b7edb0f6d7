package com.userpilotrelay.template;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the code writes for CloudWatch, as the dashboard and the saved queries read it: the embedded
 * metrics (namespace {@code UserpilotRelay}, with the dimensions each is emitted with) and the fields
 * of the JSON log lines. EmittedTelemetryTest holds this list to the code: every name must occur in
 * the functions' sources as a quoted literal, except those in PENDING, which the change that emits them
 * (issue 11) adds and then removes from PENDING.
 */
final class EmittedTelemetry {
  static final String NAMESPACE = "UserpilotRelay";
  private static final Set<String> FUNCTION = Set.of("Function");
  private static final Set<String> FUNCTION_ACTION = Set.of("Function", "Action");

  /** Metric name to its dimension names. */
  static final Map<String, Set<String>> METRICS = Map.ofEntries(
      Map.entry("Accepted", FUNCTION),
      Map.entry("Rejected", FUNCTION),
      Map.entry("Duplicates", FUNCTION),
      Map.entry("Delivered", FUNCTION_ACTION),
      Map.entry("Retried", FUNCTION_ACTION),
      Map.entry("DeadLettered", FUNCTION_ACTION),
      Map.entry("Throttled", FUNCTION_ACTION),
      Map.entry("UserpilotLatency", FUNCTION_ACTION),
      Map.entry("AuthFailed", FUNCTION),
      Map.entry("Skipped", FUNCTION),
      Map.entry("Waiting", FUNCTION),
      Map.entry("Refused", FUNCTION),
      Map.entry("OldestEventAgeSeconds", FUNCTION));

  /**
   * Fields of the JSON log lines (Log.java) the saved queries and log widgets read: "message" is the
   * line's kind ("ingest" per request, "attempt" per Userpilot call, "dispatch" per outcome).
   */
  static final Set<String> LOG_FIELDS = Set.of("message", "level", "timestamp", "messageId", "outcome",
      "userId", "status", "attempt", "reason", "action", "ms", "retryInSeconds", "accepted", "rejected", "id");

  /** Values of "message" the queries filter on. */
  static final Set<String> LOG_MESSAGES = Set.of("ingest", "attempt", "dispatch");

  /** Metrics named for the dashboard that no code writes yet (none: every one is emitted). */
  static final Set<String> PENDING = Set.of();

  private EmittedTelemetry() {}

  /** Every Java source of the functions (core, ingest, dispatch), main code only. */
  static String mainSources(Path root) {
    StringBuilder all = new StringBuilder();
    for (String module : new String[] {"core", "ingest", "dispatch"}) {
      Path dir = root.resolve("functions").resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          all.append(Files.readString(file)).append('\n');
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + dir, e);
      }
    }
    return all.toString();
  }
}
