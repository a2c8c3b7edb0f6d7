package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.bench.probe.SqsBatch;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.testing.EmbeddedSqs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Peak resident memory (VmHWM) of each function in a fresh JVM on its own deployment zip, under its
 * largest batch: ingest answering a 2,500-event (~500 KB) request, dispatch delivering a 10-message
 * batch (10 users, stand-in answering after 50 ms); each five times in a row, as a warm container would.
 * And the local runner's, as local/relay.sh starts it ({@link LocalRunnerMemory}).
 */
final class MemoryScenario {
  static final int REPEAT = 5;

  private MemoryScenario() {}

  static ObjectNode run(Path repo, Path work, Path probeJar, Path localJar) throws Exception {
    FunctionZip ingest = FunctionZip.unpack(repo, "ingest", work);
    FunctionZip dispatch = FunctionZip.unpack(repo, "dispatch", work);
    Path body = work.resolve("ingest-2500.json");
    Files.write(body, Workload.arrayBody(0, Workload.MAX_EVENTS, Workload.TARGET_BYTES));
    Path batch = work.resolve("dispatch-10.json");
    ArrayNode messages = Json.MAPPER.createArrayNode();
    for (SqsBatch.Message m : InProcess.queued(Workload.events(0, 10, 10, 0))) {
      ObjectNode node = messages.addObject();
      node.put("id", m.id());
      node.put("body", m.body());
      node.set("attributes", Json.MAPPER.valueToTree(m.attributes()));
    }
    Files.writeString(batch, Json.write(messages));

    ObjectNode r = Json.object();
    r.put("repeat", REPEAT);
    try (EmbeddedSqs sqs = new EmbeddedSqs(); StandIn userpilot = StandIn.fixedLatency(50)) {
      Map<String, String> ingestEnv = Functions.awsEnv(sqs);
      ingestEnv.put("INGEST_TOKEN", IngestScenario.TOKEN);
      Map<String, String> dispatchEnv = Functions.awsEnv(sqs);
      dispatchEnv.put("USERPILOT_API_KEY", InProcess.API_KEY);
      dispatchEnv.put("USERPILOT_ENDPOINT", userpilot.endpoint().toString());
      dispatchEnv.put("DISPATCH_CONCURRENCY", "2");

      // The 512 MB function's JVM flags: on this 24 GiB machine the JVM's own defaults would pick G1 and a
      // 6 GiB heap ceiling, and a peak that says more about this machine than about the function.
      List<String> flags = Functions.LAMBDA_FLAGS;
      ObjectNode set = Json.object();
      set.put("jvm_flags", String.join(" ", flags));
      set.put("ingest_2500_events_mib", peak(flags, ingest.classPathWith(probeJar),
          "com.userpilotrelay.bench.probe.IngestProbe", body, ingestEnv, "ANSWER 200 "));
      sqs.client().purgeQueue(b -> b.queueUrl(sqs.queueUrl()));
      set.put("dispatch_10_messages_mib", peak(flags, dispatch.classPathWith(probeJar),
          "com.userpilotrelay.bench.probe.DispatchProbe", batch, dispatchEnv, "ANSWER failures=0"));
      r.set("lambda_like", set);
    }
    if (localJar != null && Files.isRegularFile(localJar)) {
      r.set("local_runner", LocalRunnerMemory.run(localJar, work, REPEAT));
    } else {
      r.put("local_runner", "not measured: local/target/userpilot-relay-local.jar is not built");
    }
    return r;
  }

  private static double peak(List<String> flags, String cp, String main, Path input, Map<String, String> env,
      String expected) {
    List<String> command = new ArrayList<>(List.of(Child.javaBin()));
    command.addAll(flags);
    command.addAll(List.of("-cp", cp, main, input.toString(), Integer.toString(REPEAT)));
    try (Child child = Child.start(command, env, null)) {
      int answers = 0;
      while (true) {
        Child.Line line = child.await(l -> l.startsWith("ANSWER ") || l.startsWith("MEMORY "), 120_000);
        if (line.text().startsWith("ANSWER ")) {
          if (!line.text().startsWith(expected)) {
            throw new IllegalStateException(main + " answered: " + line.text() + "; " + child.describe());
          }
          answers++;
          continue;
        }
        if (answers != REPEAT) {
          throw new IllegalStateException(main + " answered " + answers + " of " + REPEAT);
        }
        long hwmKib = Long.parseLong(line.text().split(" ")[1]);
        child.waitFor(30_000);
        return Stats.round(hwmKib / 1024.0, 1);
      }
    }
  }
}
