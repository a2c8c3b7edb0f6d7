package com.userpilotrelay.observe;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters and latencies for one invocation, written as CloudWatch Embedded Metric Format: one JSON
 * line that CloudWatch turns into metrics with no API call and no agent.
 */
public final class Metrics {
  public static final String NAMESPACE = "UserpilotRelay";
  /** EMF takes at most 100 values per metric per document. */
  private static final int MAX_VALUES = 100;

  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  /** Per action (identifyUser, trackEvent, …): name → action → count. */
  private final Map<String, Map<String, AtomicLong>> actionCounts = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
  private final Map<String, List<Long>> latencies = new ConcurrentHashMap<>();

  public void count(String name) {
    add(name, 1);
  }

  /** Adds {@code n} (nothing is written for a metric that only ever got 0). */
  public void add(String name, long n) {
    if (n != 0) {
      counts.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(n);
    }
  }

  /** Counts one Userpilot request's result under its action. */
  public void count(String name, String action) {
    actionCounts.computeIfAbsent(name, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(action, k -> new AtomicLong()).incrementAndGet();
  }

  /** Keeps the largest value seen (e.g. the age of the oldest event). */
  public void max(String name, long value) {
    gauges.computeIfAbsent(name, k -> new AtomicLong(Long.MIN_VALUE)).accumulateAndGet(value, Math::max);
  }

  public long get(String name) {
    AtomicLong value = counts.get(name);
    return value == null ? 0 : value.get();
  }

  public long get(String name, String action) {
    AtomicLong value = actionCounts.getOrDefault(name, Map.of()).get(action);
    return value == null ? 0 : value.get();
  }

  public void latency(String action, long millis) {
    List<Long> values = latencies.computeIfAbsent(action, a -> java.util.Collections.synchronizedList(new ArrayList<>()));
    if (values.size() < MAX_VALUES) {
      values.add(millis);
    }
  }

  /**
   * Writes the EMF documents (counters, then latency per action) and nothing when nothing happened, or
   * when the log is not JSON (the local runner's readable console).
   */
  public void flush(PrintStream out, String function) {
    if (!Log.writesJson()) {
      // A person reading the local runner's console gets counts from GET /stats, not EMF documents.
      return;
    }
    long now = System.currentTimeMillis();
    if (!counts.isEmpty() || !gauges.isEmpty()) {
      ObjectNode doc = document(now, function, List.of("Function"));
      ArrayNode metrics = (ArrayNode) doc.at("/_aws/CloudWatchMetrics/0/Metrics");
      new TreeMap<>(counts).forEach((name, value) -> {
        metrics.addObject().put("Name", name).put("Unit", "Count");
        doc.put(name, value.get());
      });
      new TreeMap<>(gauges).forEach((name, value) -> {
        metrics.addObject().put("Name", name).put("Unit", "Seconds");
        doc.put(name, value.get());
      });
      out.println(doc);
    }
    Map<String, Map<String, Long>> byAction = new TreeMap<>();
    actionCounts.forEach((name, perAction) -> perAction.forEach((action, value) ->
        byAction.computeIfAbsent(action, a -> new TreeMap<>()).put(name, value.get())));
    byAction.forEach((action, values) -> {
      ObjectNode doc = document(now, function, List.of("Function", "Action"));
      doc.put("Action", action);
      ArrayNode metrics = (ArrayNode) doc.at("/_aws/CloudWatchMetrics/0/Metrics");
      values.forEach((name, value) -> {
        metrics.addObject().put("Name", name).put("Unit", "Count");
        doc.put(name, value);
      });
      out.println(doc);
    });
    latencies.forEach((action, values) -> {
      ObjectNode doc = document(now, function, List.of("Function", "Action"));
      doc.put("Action", action);
      ((ArrayNode) doc.at("/_aws/CloudWatchMetrics/0/Metrics")).addObject()
          .put("Name", "UserpilotLatency").put("Unit", "Milliseconds");
      ArrayNode array = doc.putArray("UserpilotLatency");
      synchronized (values) {
        values.forEach(array::add);
      }
      out.println(doc);
    });
  }

  private static ObjectNode document(long now, String function, List<String> dimensions) {
    ObjectNode doc = Json.object();
    ObjectNode aws = doc.putObject("_aws");
    aws.put("Timestamp", now);
    ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
    directive.put("Namespace", NAMESPACE);
    ArrayNode dims = directive.putArray("Dimensions").addArray();
    dimensions.forEach(dims::add);
    directive.putArray("Metrics");
    doc.put("Function", function);
    return doc;
  }
}
