package com.userpilotrelay.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.bench.probe.SqsBatch;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.segment.SegmentLimits;
import com.userpilotrelay.testing.RecordingQueue;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scenario code works, on a few events and in well under a second or two: no figure is measured or
 * asserted here (bench/run.sh does the measuring).
 */
class ScenarioSmokeTest {
  @BeforeAll
  static void quiet() {
    Log.redirect(new PrintStream(OutputStream.nullOutputStream()));
  }

  @AfterAll
  static void restore() {
    Log.redirect(null);
  }

  @Test
  void theLargestBodyIsValidAndWithinSegmentsLimits() throws Exception {
    byte[] body = Workload.arrayBody(0, Workload.MAX_EVENTS, Workload.TARGET_BYTES);
    assertTrue(body.length <= SegmentLimits.MAX_REQUEST_BYTES, "bytes: " + body.length);
    assertTrue(body.length > 480_000, "bytes: " + body.length);
    List<SegmentBody.RawEvent> events = SegmentBody.parse(body).events();
    assertEquals(Workload.MAX_EVENTS, events.size());
    for (SegmentBody.RawEvent e : events) {
      assertEquals(List.of(), EventValidator.validate(e.node(), e.rawBytes()));
    }
  }

  @Test
  void theLocalRunnerMemoryBodiesAreWhatTheyClaimAndThePeakCanBeReadAndReset() throws Exception {
    byte[] oversized = LocalRunnerMemory.oversizedBody(LocalRunnerMemory.OVERSIZED_EVENTS);
    assertTrue(oversized.length <= SegmentLimits.MAX_REQUEST_BYTES, "parsed by ingest, not refused for size: "
        + oversized.length);
    // Segment's largest batch: parsed and accepted whole, which is what the memory figure is about.
    assertEquals(LocalRunnerMemory.OVERSIZED_EVENTS, SegmentBody.parse(oversized).events().size());
    List<SegmentBody.RawEvent> invalid = SegmentBody.parse(LocalRunnerMemory.invalidBody(0, 3)).events();
    assertEquals(3, invalid.size());
    for (SegmentBody.RawEvent e : invalid) {
      assertTrue(!EventValidator.validate(e.node(), e.rawBytes()).isEmpty(), "quarantined by ingest");
    }
    long pid = ProcessHandle.current().pid();
    long before = LocalRunnerMemory.hwmKib(pid);
    assertTrue(before > 0);
    LocalRunnerMemory.resetHwm(pid);
    assertTrue(LocalRunnerMemory.hwmKib(pid) <= before, "the peak is set back to the present size");
  }

  @Test
  void segmentsLargestBatchFitsTheCeilingAndIsValid() throws Exception {
    int eventBytes = Workload.eventBytesThatFit(Workload.SEGMENT_BATCH_EVENTS, 1200);
    byte[] body = Workload.segmentBatch(0, Workload.SEGMENT_BATCH_EVENTS, eventBytes);
    assertTrue(SegmentLimits.fitsInvocation(body, false), "fits the Lambda invocation: " + body.length);
    assertEquals(1200, eventBytes, "Segment's 4,000 events of 1.2 KB fit whole");
    List<SegmentBody.RawEvent> events = SegmentBody.parse(body).events();
    assertEquals(Workload.SEGMENT_BATCH_EVENTS, events.size());
    for (SegmentBody.RawEvent e : events) {
      assertEquals(List.of(), EventValidator.validate(e.node(), e.rawBytes()));
      assertTrue(e.node().has("context"), "Segment events carry their context");
    }
    int full = Json.writeBytes(Workload.segmentEvent(1, 0, false)).length;
    assertTrue(full > 900 && full < 1200, "a full Segment event: " + full);
  }

  @Test
  void theSignedHandlerInProcessAcceptsEverySegmentEvent() {
    // A tiny run of the ingest_batch_4000_inproc_ms code path (20 events, one request, nothing timed).
    var r = IngestScenario.handlerInProcess(20, 1200, 0, 1);
    assertEquals(1, r.get("runs").asInt());
    assertEquals(1, r.get("all_ms").size());
  }

  @Test
  void theStandInAnswersAndEnforcesItsWindow() throws Exception {
    try (StandIn standIn = new StandIn(0, 3, Duration.ofSeconds(30))) {
      HttpClient http = HttpClient.newHttpClient();
      int[] statuses = new int[5];
      for (int i = 0; i < statuses.length; i++) {
        statuses[i] = http.send(HttpRequest.newBuilder(URI.create(standIn.endpoint() + "v1/track"))
            .header("Authorization", "Token k").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
      }
      assertEquals(List.of(202, 202, 202, 429, 429), java.util.Arrays.stream(statuses).boxed().toList());
      assertEquals(3, standIn.accepted());
      assertEquals(2, standIn.throttled());
    }
  }

  @Test
  void theRealDispatcherAndTheNaiveOneDeliverEveryEvent() {
    List<SqsBatch.Message> messages = InProcess.queued(Workload.events(0, 20, 10, 0));
    assertEquals(20, messages.size());
    assertEquals(10, DispatchScenario.distinctPerBatch(messages));
    try (StandIn standIn = StandIn.fixedLatency(1)) {
      var env = InProcess.dispatchEnv(standIn.endpoint(), 1, 1_000_000);
      var client = InProcess.client(env);
      assertEquals(0, DispatchScenario.runBatches(InProcess.dispatchHandler(env, client, new RecordingQueue()), messages));
      assertEquals(20, standIn.accepted());
      assertEquals(20, new NaiveDispatcher(Mappings.presets(), client).dispatch(messages));
      assertEquals(40, standIn.accepted());
      assertEquals(0, standIn.badHeaders());
    }
    assertTrue(InProcess.parallelUsers() > 0, "DispatchSetup.PARALLEL_USERS is readable");
  }
}
