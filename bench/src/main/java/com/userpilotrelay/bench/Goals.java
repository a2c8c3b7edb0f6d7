package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.util.Map;

/** The goals, reported (never asserted): met or missed, and by how much. */
final class Goals {
  private Goals() {}

  static ObjectNode evaluate(ObjectNode r) {
    ObjectNode goals = Json.object();
    atMost(goals, "ingest_batch_2500_ms", r.get("ingest_batch_2500_ms"), 1000, "ms");
    // Issue 12: Segment times out at 10 s and then sends the whole batch again.
    atMost(goals, "ingest_batch_4000_ms", r.get("ingest_batch_4000_ms"), 2000, "ms");
    atMost(goals, "ingest_batch_4000_first_ms", r.get("ingest_batch_4000_first_ms"), 5000, "ms");
    atMost(goals, "ingest_batch_4000_inproc_ms", r.get("ingest_batch_4000_inproc_ms"), 1000, "ms");
    atLeast(goals, "dispatch_efficiency", r.get("dispatch_efficiency"), 0.8);
    atLeast(goals, "ratelimit_efficiency", r.get("ratelimit_efficiency"), 0.95);
    atMost(goals, "ratelimit_429_share", r.get("ratelimit_429_share"), 0.01, "");
    JsonNode cold = r.get("cold_start_ratio");
    if (cold != null) {
      for (Map.Entry<String, JsonNode> e : cold.properties()) {
        atMost(goals, "cold_start_ratio." + e.getKey(), e.getValue(), 8, "x");
      }
    }
    JsonNode artifacts = r.get("artifact_mib");
    if (artifacts != null) {
      atMost(goals, "artifact_mib.ingest", artifacts.get("ingest"), 10, "MiB");
      atMost(goals, "artifact_mib.dispatch", artifacts.get("dispatch"), 10, "MiB");
    }
    return goals;
  }

  private static void atMost(ObjectNode goals, String name, JsonNode value, double limit, String unit) {
    if (value == null || !value.isNumber()) {
      return;
    }
    double v = value.asDouble();
    ObjectNode g = goals.putObject(name);
    g.put("goal", "<= " + format(limit) + (unit.isEmpty() ? "" : " " + unit));
    g.put("value", v);
    g.put("met", v <= limit);
    if (v > limit) {
      g.put("missed_by", format(v - limit) + (unit.isEmpty() ? "" : " " + unit) + " (" + Math.round((v / limit - 1) * 100) + " % over)");
    }
  }

  private static void atLeast(ObjectNode goals, String name, JsonNode value, double limit) {
    if (value == null || !value.isNumber()) {
      return;
    }
    double v = value.asDouble();
    ObjectNode g = goals.putObject(name);
    g.put("goal", ">= " + format(limit));
    g.put("value", v);
    g.put("met", v >= limit);
    if (v < limit) {
      g.put("missed_by", format(limit - v) + " (" + Math.round((1 - v / limit) * 100) + " % under)");
    }
  }

  static String format(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : String.valueOf(Stats.round(v, 3));
  }
}
