package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.bench.jmh.PerEventBenchmarks;
import com.userpilotrelay.json.Json;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** The JMH micro-benchmarks (two forks, one thread): per-event CPU cost in events/s/core. */
final class JmhScenario {
  private JmhScenario() {}

  static ObjectNode run(Bench.Options options, Path work) throws RunnerException {
    Options jmh = new OptionsBuilder()
        .include(PerEventBenchmarks.class.getName().replace(".", "\\.") + "\\.")
        // Two forks: a fork's JIT decisions can settle a benchmark at a different level (serializeQueueBody
        // was seen at 1.1 M in one fork and 2.3 M in another), so one fork alone would hide that.
        .forks(options.quick ? 1 : 2)
        .threads(1)
        .warmupIterations(2)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(options.quick ? 2 : 3)
        .measurementTime(TimeValue.seconds(1))
        .shouldFailOnError(true)
        .output(work.resolve("jmh.log").toString())
        .build();
    Collection<RunResult> results = new Runner(jmh).run();
    ObjectNode r = Json.object();
    ObjectNode ranges = Json.object();
    for (RunResult result : results) {
      String benchmark = result.getParams().getBenchmark();
      String name = benchmark.substring(benchmark.lastIndexOf('.') + 1);
      r.put(name, Math.round(result.getPrimaryResult().getScore()));
      var statistics = result.getPrimaryResult().getStatistics();
      ranges.set(name, Json.MAPPER.valueToTree(List.of(Math.round(statistics.getMin()), Math.round(statistics.getMax()))));
    }
    ObjectNode out = Json.object();
    out.set("events_per_s_per_core", r);
    out.set("min_max_of_iterations", ranges);
    out.put("setup", "JMH 1.37, 1 fork, 1 thread, 2 x 1 s warm-up, " + (options.quick ? 2 : 5)
        + " x 1 s measurement; the bench workload's event mix; log in bench/target/bench-work/jmh.log");
    return out;
  }
}
