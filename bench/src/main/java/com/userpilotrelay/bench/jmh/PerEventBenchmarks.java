package com.userpilotrelay.bench.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.bench.Workload;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.MappedRequest;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.segment.BodyException;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.segment.SegmentBody;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Per-event CPU cost of the production code on one thread (so ops/s = events/s/core): validation,
 * parsing with validation as ingest does it, mapping, the two serializations (the queue body at ingest,
 * the Userpilot body at dispatch), and all of dispatch's CPU for one event (parse, map, serialize).
 * Events are the bench workload's mix, 256 of them cycled.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PerEventBenchmarks {
  static final int POOL = 256;
  static final int BODY_EVENTS = 2500;

  private ObjectNode[] events;
  private int[] sizes;
  private String[] queueBodies;
  private ObjectNode[] requestBodies;
  private byte[] body2500;
  private final Mappings mappings = Mappings.presets();
  private int i;

  @Setup
  public void setup() throws BodyException {
    body2500 = Workload.arrayBody(0, BODY_EVENTS, Workload.TARGET_BYTES);
    List<SegmentBody.RawEvent> parsed = SegmentBody.parse(body2500).events();
    events = new ObjectNode[POOL];
    sizes = new int[POOL];
    queueBodies = new String[POOL];
    requestBodies = new ObjectNode[POOL];
    for (int k = 0; k < POOL; k++) {
      events[k] = (ObjectNode) parsed.get(k).node();
      sizes[k] = parsed.get(k).rawBytes();
      queueBodies[k] = Json.writeAscii(events[k]);
      MappedRequest mapped = mappings.map(events[k]).get(0);
      requestBodies[k] = mapped.request().body();
    }
  }

  private int next() {
    i = (i + 1) & (POOL - 1);
    return i;
  }

  /** EventValidator.validate on an already parsed event. */
  @Benchmark
  public List<String> validate() {
    int k = next();
    return EventValidator.validate(events[k], sizes[k]);
  }

  /** SegmentBody.parse of a 2,500-event (~500 KB) body plus validate on each event, per event. */
  @Benchmark
  @OperationsPerInvocation(BODY_EVENTS)
  public void parseAndValidate(Blackhole bh) throws BodyException {
    for (SegmentBody.RawEvent e : SegmentBody.parse(body2500).events()) {
      bh.consume(EventValidator.validate(e.node(), e.rawBytes()));
    }
  }

  /** Ingest's queue body: the event as ASCII-only JSON. */
  @Benchmark
  public String serializeQueueBody() {
    return Json.writeAscii(events[next()]);
  }

  /** The presets: trigger matching and the Userpilot request for one event. */
  @Benchmark
  public List<MappedRequest> map() {
    return mappings.map(events[next()]);
  }

  /** Dispatch's outgoing body as UTF-8 bytes (HttpUserpilotClient). */
  @Benchmark
  public byte[] serializeRequest() {
    return Json.writeBytes(requestBodies[next()]);
  }

  /** Everything dispatch does to one queued event before the HTTP call: parse, map, serialize. */
  @Benchmark
  public void dispatchCpu(Blackhole bh) {
    JsonNode event = Json.parse(queueBodies[next()]);
    for (MappedRequest m : mappings.map(event)) {
      bh.consume(Json.writeBytes(m.request().body()));
    }
  }
}
