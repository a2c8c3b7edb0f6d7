package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Map;

/** The console table: one line per figure, with its goal and whether it is met. */
final class Table {
  private Table() {}

  static String render(JsonNode r) {
    StringBuilder b = new StringBuilder();
    JsonNode m = r.path("machine");
    b.append(String.format(Locale.ROOT, "machine: %s cores, %s, %s GiB; %s%n", m.path("nproc").asText(),
        m.path("cpu_model").asText(), m.path("memory_gib").asText(), m.path("jdk").asText()));
    b.append(String.format(Locale.ROOT, "%-54s %14s  %-10s %s%n", "figure", "value", "goal", ""));
    b.append("-".repeat(92)).append('\n');
    JsonNode goals = r.path("goals");
    JsonNode d = r.path("details");
    row(b, goals, "ingest_batch_2500_ms", r.path("ingest_batch_2500_ms"), "ms");
    row(b, goals, "  via", d.path("ingest").path("via"), "");
    row(b, goals, "  in-process (no HTTP, in-memory SQS)", d.path("ingest").path("in_process").path("median_ms"), "ms");
    row(b, goals, "  parse+validate floor", d.path("ingest").path("parse_validate_floor").path("median_ms"), "ms");
    row(b, goals, "ingest_floor_ratio", r.path("ingest_floor_ratio"), "x");
    row(b, goals, "dispatch_efficiency", r.path("dispatch_efficiency"), "");
    if (d.path("dispatch").has("events_per_s")) {
      row(b, goals, "  dispatcher events/s (ideal)", text(d.path("dispatch").path("events_per_s").asText()
          + " (" + d.path("dispatch").path("ideal_events_per_s").asText() + ")"), "");
    }
    row(b, goals, "dispatch_naive_efficiency", r.path("dispatch_naive_efficiency"), "");
    row(b, goals, "  naive events/s", d.path("dispatch").path("naive_events_per_s"), "");
    row(b, goals, "ratelimit_efficiency", r.path("ratelimit_efficiency"), "");
    row(b, goals, "ratelimit_429_share", r.path("ratelimit_429_share"), "");
    JsonNode cold = r.path("cold_start_ratio");
    for (Map.Entry<String, JsonNode> e : cold.properties()) {
      String ms = e.getKey().equals("local_runner_full_start")
          ? d.path("cold").path("local_runner_full_start").path("first_answer_ms").asText()
          : d.path("cold").path("median_ms").path(e.getKey()).asText();
      row(b, goals, "cold_start_ratio." + e.getKey() + " (" + ms + " ms)", e.getValue(), "x", "cold_start_ratio." + e.getKey());
    }
    row(b, goals, "  hello-world JVM", d.path("cold").path("median_ms").path("hello"), "ms");
    JsonNode phases = d.path("cold").path("phases");
    if (phases.has("default")) {
      row(b, goals, "  default: JVM boot / init / 1st request", text(phases.path("default").path("jvm_boot_ms").asText() + " / "
          + phases.path("default").path("init_ms").asText() + " / " + phases.path("default").path("first_request_ms").asText() + " ms"), "");
      row(b, goals, "  1st request after priming: handler / +SDK", text(phases.path("primed").path("first_request_ms").asText()
          + " / " + phases.path("primed_sdk").path("first_request_ms").asText() + " ms"), "");
    }
    row(b, goals, "artifact_mib.ingest", r.path("artifact_mib").path("ingest"), "MiB");
    row(b, goals, "artifact_mib.dispatch", r.path("artifact_mib").path("dispatch"), "MiB");
    row(b, goals, "peak_rss_mib.ingest_2500_events", r.path("peak_rss_mib").path("ingest_2500_events"), "MiB");
    row(b, goals, "peak_rss_mib.dispatch_10_messages", r.path("peak_rss_mib").path("dispatch_10_messages"), "MiB");
    row(b, goals, "peak_rss_mib.local_runner_4000_events", r.path("peak_rss_mib").path("local_runner_4000_events"), "MiB");
    row(b, goals, "peak_rss_mib.local_runner_dead_letters_1000", r.path("peak_rss_mib").path("local_runner_dead_letters_1000"),
        "MiB");
    JsonNode jmh = r.path("jmh_events_per_s_per_core");
    for (Map.Entry<String, JsonNode> e : jmh.properties()) {
      row(b, goals, "jmh." + e.getKey() + " (events/s/core)", e.getValue(), "");
    }
    return b.toString();
  }

  private static JsonNode text(String s) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(s);
  }

  private static void row(StringBuilder b, JsonNode goals, String name, JsonNode value, String unit) {
    row(b, goals, name, value, unit, name);
  }

  private static void row(StringBuilder b, JsonNode goals, String name, JsonNode value, String unit, String goalKey) {
    if (value == null || value.isMissingNode() || value.isNull()) {
      return;
    }
    String v = value.isNumber() ? (value.isIntegralNumber() ? String.format(Locale.ROOT, "%,d", value.asLong())
        : java.math.BigDecimal.valueOf(value.asDouble()).toPlainString()) : value.asText();
    JsonNode g = goals.path(goalKey);
    String goal = g.path("goal").asText("");
    String status = g.isMissingNode() ? "" : g.path("met").asBoolean() ? "met" : "MISSED by " + g.path("missed_by").asText();
    if (!value.isNumber() && v.length() > 14) {
      b.append(String.format(Locale.ROOT, "%-54s %s%n", name, v));
      return;
    }
    b.append(String.format(Locale.ROOT, "%-54s %14s  %-10s %s%n", name, v + (unit.isEmpty() ? "" : " " + unit), goal, status));
  }
}
