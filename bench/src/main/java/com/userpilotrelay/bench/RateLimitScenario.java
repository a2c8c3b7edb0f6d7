package com.userpilotrelay.bench;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.bench.probe.SqsBatch;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.dispatch.DispatchHandler;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.testing.RecordingQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ratelimit_efficiency and ratelimit_429_share: the deployment's defaults — Userpilot's 600 calls/min
 * per endpoint, two dispatch containers (the template's DispatchConcurrency, each pacing itself to half
 * the limit), batches of 10, Userpilot answering in 50 ms — with time compressed {@code F} times so a
 * run takes seconds: the stand-in allows 600 calls per endpoint in any sliding 60/F s window and answers
 * after 50/F ms; the dispatchers are told the limit is 600·F per minute. Half the events are identify,
 * half track, so both endpoints are loaded; a backlog is queued up front, and a message the dispatcher
 * hands back (429, held behind one) goes to the back of the queue, as SQS would redeliver it.
 */
final class RateLimitScenario {
  static final int REAL_LIMIT_PER_MINUTE = 600;
  static final long REAL_LATENCY_MS = 50;
  static final int CONTAINERS = 2;
  static final int BATCH = 10;

  private RateLimitScenario() {}

  static ObjectNode run(Bench.Options options) throws InterruptedException {
    int factor = 10;
    int segments = options.quick ? 1 : 3;
    long segmentMillis = options.quick ? 6_000 : 10_000;
    Duration window = Duration.ofMillis(60_000 / factor);
    long latency = REAL_LATENCY_MS / factor;
    int perMinute = REAL_LIMIT_PER_MINUTE * factor;
    double idealPerSecond = 2 * perMinute / 60.0; // two endpoints, each at its limit

    // A backlog larger than the run can deliver: 25 % spare.
    int events = (int) (idealPerSecond * (segments * segmentMillis + 2_000) / 1000 * 1.25);
    List<SqsBatch.Message> backlog = InProcess.queued(balanced(events));

    try (StandIn standIn = new StandIn(latency, REAL_LIMIT_PER_MINUTE, window)) {
      Env env = InProcess.dispatchEnv(standIn.endpoint(), CONTAINERS, perMinute);
      // Warm-up on a separate, short backlog; then fresh containers (fresh pacers) and a fresh limit window.
      runContainers(env, standIn, new ConcurrentLinkedDeque<>(InProcess.queued(balancedFrom(events, 400))), 30_000);
      standIn.reset(); // forgets the warm-up's calls: the measured run starts with an empty window

      ConcurrentLinkedDeque<SqsBatch.Message> queue = new ConcurrentLinkedDeque<>(backlog);
      Containers containers = start(env, standIn, queue);
      List<Double> efficiencies = new ArrayList<>();
      List<Long> accepted = new ArrayList<>();
      long t0 = System.nanoTime();
      long before = standIn.accepted();
      long throttledBefore = standIn.throttled();
      long callsBefore = standIn.calls();
      for (int s = 0; s < segments; s++) {
        Thread.sleep(segmentMillis);
        long now = standIn.accepted();
        accepted.add(now - before);
        efficiencies.add((now - before) / (idealPerSecond * segmentMillis / 1000.0));
        before = now;
      }
      long t1 = System.nanoTime();
      long calls = standIn.calls() - callsBefore;
      long throttled = standIn.throttled() - throttledBefore;
      long acceptedTotal = accepted.stream().mapToLong(Long::longValue).sum();
      containers.stop();
      if (queue.isEmpty()) {
        throw new IllegalStateException("the backlog ran out before the measurement ended");
      }

      ObjectNode r = Json.object();
      r.put("time_compression", factor);
      r.put("limit", REAL_LIMIT_PER_MINUTE + " calls per endpoint per " + window.toMillis() + " ms sliding window (= "
          + perMinute + "/min, Userpilot's 600/min compressed " + factor + "x)");
      r.put("stand_in_latency_ms", latency);
      r.put("containers", CONTAINERS);
      r.put("dispatcher_rate_limit_per_minute", perMinute);
      r.put("ideal_calls_per_s", Stats.round(idealPerSecond, 1));
      r.put("segments", segments);
      r.put("segment_s", segmentMillis / 1000.0);
      r.set("accepted_per_segment", Json.MAPPER.valueToTree(accepted));
      r.set("efficiency_per_segment", Json.MAPPER.valueToTree(efficiencies.stream().map(v -> Stats.round(v, 3)).toList()));
      r.put("efficiency", Stats.round(Stats.median(efficiencies), 3));
      r.put("efficiency_overall", Stats.round(acceptedTotal / (idealPerSecond * (t1 - t0) / 1e9), 3));
      r.put("calls", calls);
      r.put("throttled_429", throttled);
      r.put("share_429", Stats.round(calls == 0 ? 0 : (double) throttled / calls, 4));
      r.put("retried_messages", containers.retried.get());
      return r;
    }
  }

  /** Half identify, half track; any 10 consecutive events are 10 different users. */
  static List<ObjectNode> balanced(int count) {
    return balancedFrom(0, count);
  }

  static List<ObjectNode> balancedFrom(int start, int count) {
    List<ObjectNode> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int n = start + i;
      list.add(Workload.event(n, String.format("user-%05d", n % 1000), n % 2 == 0 ? "identify" : "track", 0));
    }
    return list;
  }

  private static void runContainers(Env env, StandIn standIn, ConcurrentLinkedDeque<SqsBatch.Message> queue,
      long maxMillis) throws InterruptedException {
    Containers c = start(env, standIn, queue);
    long deadline = System.currentTimeMillis() + maxMillis;
    while (!queue.isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    c.stop();
  }

  /** Two dispatch containers taking batches of 10 from the shared backlog until stopped. */
  private static Containers start(Env env, StandIn standIn, ConcurrentLinkedDeque<SqsBatch.Message> queue) {
    Containers c = new Containers();
    for (int i = 0; i < CONTAINERS; i++) {
      DispatchHandler handler = InProcess.dispatchHandler(env, InProcess.client(env), new RecordingQueue());
      Thread t = new Thread(() -> {
        try {
          while (!c.stopping) {
            List<SqsBatch.Message> batch = new ArrayList<>(BATCH);
            SqsBatch.Message m;
            while (batch.size() < BATCH && (m = queue.pollFirst()) != null) {
              batch.add(m);
            }
            if (batch.isEmpty()) {
              break;
            }
            SQSBatchResponse response = handler.handleRequest(SqsBatch.of(batch), null);
            Map<String, SqsBatch.Message> byId = new HashMap<>();
            batch.forEach(b -> byId.put(b.id(), b));
            for (SQSBatchResponse.BatchItemFailure f : response.getBatchItemFailures()) {
              SqsBatch.Message failed = byId.get(f.getItemIdentifier());
              queue.addLast(new SqsBatch.Message(failed.id(), failed.body(), failed.attributes(),
                  failed.receiveCount() + 1));
              c.retried.incrementAndGet();
            }
          }
        } finally {
          c.done.countDown();
        }
      }, "container-" + i);
      t.setDaemon(true);
      t.start();
    }
    return c;
  }

  private static final class Containers {
    final CountDownLatch done = new CountDownLatch(CONTAINERS);
    final AtomicInteger retried = new AtomicInteger();
    volatile boolean stopping;

    void stop() throws InterruptedException {
      stopping = true;
      done.await();
    }
  }
}
