package com.userpilotrelay.bench;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.bench.probe.SqsBatch;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.dispatch.DispatchHandler;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.testing.RecordingQueue;
import com.userpilotrelay.userpilot.HttpUserpilotClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * dispatch_efficiency: events/s delivered by the real dispatch function (DispatchHandler and Dispatcher,
 * one container, batches of 10 as the SQS event source hands them out) to a stand-in answering after a
 * fixed 50 ms, over the ideal for that latency and the dispatcher's concurrency:
 * min(users delivered in parallel, distinct users per batch) / latency. Rate limits are set far above
 * the load so that only concurrency is measured. The naive one-at-a-time loop runs on the same
 * messages, alternating rounds with the dispatcher.
 */
final class DispatchScenario {
  static final long LATENCY_MS = 50;
  static final int BATCH = 10;

  private DispatchScenario() {}

  static ObjectNode run(Bench.Options options) {
    int rounds = options.quick ? 2 : 3;
    int dispatcherEvents = options.quick ? 200 : 600;
    int naiveEvents = options.quick ? 40 : 60;
    // Users round robin: any 10 consecutive events belong to 10 different users (and group events to
    // 10 different companies), and each user's events stay in order across batches.
    int users = 200;
    // Warm-up: the first ~100 batches run slower while the JIT compiles the HTTP client and the dispatcher
    // (on 2 cores the compiler competes with the work); a container lives for many batches, so the
    // rounds measure the steady state.
    int warmupEvents = options.quick ? BATCH * 30 : BATCH * 100;
    List<SqsBatch.Message> messages = InProcess.queued(Workload.events(0, dispatcherEvents + warmupEvents, users, 0));
    List<SqsBatch.Message> warmup = messages.subList(dispatcherEvents, messages.size());
    List<SqsBatch.Message> measured = messages.subList(0, dispatcherEvents);
    int distinctPerBatch = distinctPerBatch(measured);

    try (StandIn standIn = StandIn.fixedLatency(LATENCY_MS)) {
      Env env = InProcess.dispatchEnv(standIn.endpoint(), 1, 1_000_000);
      HttpUserpilotClient client = InProcess.client(env);
      DispatchHandler handler = InProcess.dispatchHandler(env, client, new RecordingQueue());
      NaiveDispatcher naive = new NaiveDispatcher(Mappings.presets(), client);

      runBatches(handler, warmup);
      naive.dispatch(warmup.subList(0, 2 * BATCH));

      List<Double> rates = new ArrayList<>();
      List<Double> naiveRates = new ArrayList<>();
      int maxInFlight = 0;
      for (int r = 0; r < rounds; r++) {
        standIn.reset();
        long t0 = System.nanoTime();
        int failures = runBatches(handler, measured);
        long t1 = System.nanoTime();
        if (failures != 0 || standIn.accepted() != measured.size()) {
          throw new IllegalStateException("dispatcher: " + failures + " failures, " + standIn.accepted()
              + " accepted of " + measured.size());
        }
        rates.add(measured.size() / ((t1 - t0) / 1e9));
        maxInFlight = Math.max(maxInFlight, standIn.maxInFlight());

        standIn.reset();
        List<SqsBatch.Message> naiveSlice = measured.subList(0, naiveEvents);
        long n0 = System.nanoTime();
        int delivered = naive.dispatch(naiveSlice);
        long n1 = System.nanoTime();
        if (delivered != naiveSlice.size()) {
          throw new IllegalStateException("naive: delivered " + delivered + " of " + naiveSlice.size());
        }
        naiveRates.add(delivered / ((n1 - n0) / 1e9));
      }

      int parallelUsers = InProcess.parallelUsers();
      int concurrency = Math.min(parallelUsers, distinctPerBatch);
      double ideal = concurrency / (LATENCY_MS / 1000.0);
      double rate = Stats.median(rates);
      double naiveRate = Stats.median(naiveRates);
      ObjectNode r = Json.object();
      r.put("latency_ms", LATENCY_MS);
      r.put("batch_size", BATCH);
      r.put("distinct_users_per_batch", distinctPerBatch);
      r.put("parallel_users", parallelUsers);
      r.put("concurrency", concurrency);
      r.put("max_in_flight_seen", maxInFlight);
      r.put("ideal_events_per_s", Stats.round(ideal, 1));
      r.put("events_per_round", measured.size());
      r.put("rounds", rounds);
      r.put("events_per_s", Stats.round(rate, 1));
      r.set("events_per_s_rounds", Json.MAPPER.valueToTree(rates.stream().map(v -> Stats.round(v, 1)).toList()));
      r.put("efficiency", Stats.round(rate / ideal, 3));
      r.put("naive_events_per_round", naiveEvents);
      r.put("naive_events_per_s", Stats.round(naiveRate, 1));
      r.put("naive_efficiency", Stats.round(naiveRate / ideal, 3));
      r.put("naive_efficiency_vs_own_ideal", Stats.round(naiveRate / (1000.0 / LATENCY_MS), 3));
      r.put("speedup_over_naive", Stats.round(rate / naiveRate, 2));
      r.put("rate_limits", "1,000,000/min (pacing out of the way)");
      return r;
    }
  }

  /** Feeds the handler batches of 10 in queue order, as one Lambda container receives them; returns the failures. */
  static int runBatches(DispatchHandler handler, List<SqsBatch.Message> messages) {
    int failures = 0;
    for (int from = 0; from < messages.size(); from += BATCH) {
      List<SqsBatch.Message> batch = messages.subList(from, Math.min(messages.size(), from + BATCH));
      SQSBatchResponse response = handler.handleRequest(SqsBatch.of(batch), null);
      failures += response.getBatchItemFailures().size();
    }
    return failures;
  }

  static int distinctPerBatch(List<SqsBatch.Message> messages) {
    int min = Integer.MAX_VALUE;
    for (int from = 0; from < messages.size(); from += BATCH) {
      Set<String> keys = new HashSet<>();
      for (SqsBatch.Message m : messages.subList(from, Math.min(messages.size(), from + BATCH))) {
        var event = Json.parse(m.body());
        String type = event.path("type").asText();
        keys.add("group".equals(type) ? "company:" + event.path("groupId").asText() : "user:" + event.path("userId").asText());
      }
      min = Math.min(min, keys.size());
    }
    return min;
  }
}
