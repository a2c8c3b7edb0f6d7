package com.userpilotrelay.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.DispatchSetup;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.testing.RecordingQueue;
import com.userpilotrelay.testing.SharedFixtures;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sample SQS events in events/ (for `sam local invoke`), loaded with EventLoader, through the real handler. */
class DispatchHandlerEventsTest {
  private final StandInUserpilot userpilot = new StandInUserpilot();
  private final RecordingQueue queue = new RecordingQueue();

  @AfterEach
  void stop() {
    userpilot.close();
  }

  private DispatchHandler handler() {
    Env env = Env.of(Map.of("USERPILOT_API_KEY", StandInUserpilot.API_KEY,
        "USERPILOT_ENDPOINT", userpilot.endpoint().toString()));
    return new DispatchHandler(DispatchSetup.dispatcher(env, Mappings.presets(),
        DispatchSetup.client(env, SecretSource.none()).orElseThrow(), queue, IngestStamp.marker(),
        DeliveryObserver.NONE));
  }

  private static SQSEvent load(String file) {
    return EventLoader.loadSQSEvent(SharedFixtures.projectRoot().resolve("events").resolve(file).toString());
  }

  @Test
  void anIdentifyThenATrackForOneUserAreDeliveredInThatOrder() {
    SQSBatchResponse response = handler().handleRequest(load("sqs-identify-track.json"), null);
    assertEquals(List.of(), response.getBatchItemFailures());
    List<String> paths = userpilot.accepted().stream().map(StandInUserpilot.Call::path).toList();
    assertEquals(List.of("/v1/identify", "/v1/track"), paths);
    assertTrue(userpilot.violations().isEmpty(), userpilot.violations().toString());
  }

  @Test
  void anOutageReportsBothAsBatchItemFailuresSoTheQueueKeepsThem() {
    userpilot.answer(call -> Reply.status(503));
    SQSEvent event = load("sqs-identify-track.json");
    // First received now (the sample's own time is long past the retry horizon).
    event.getRecords().forEach(r -> r.getAttributes().put("ApproximateFirstReceiveTimestamp",
        Long.toString(System.currentTimeMillis())));
    SQSBatchResponse response = handler().handleRequest(event, null);
    assertEquals(event.getRecords().stream().map(SQSEvent.SQSMessage::getMessageId).toList(),
        response.getBatchItemFailures().stream().map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList());
    assertEquals(1, userpilot.calls().size(), "the track waits behind the identify");
    assertEquals(2, queue.visibility.size(), "both hidden until the identify's retry");
    assertEquals(1, new java.util.HashSet<>(queue.visibility.values()).size(), "for the same time");
    assertTrue(queue.deadLettered.isEmpty());
  }

  @Test
  void anEventPastTheRetryHorizonDeadLettersItselfWithItsReason() {
    userpilot.answer(call -> Reply.status(500));
    SQSBatchResponse response = handler().handleRequest(load("sqs-past-horizon.json"), null);
    assertEquals(List.of(), response.getBatchItemFailures(), "handled: nothing left for SQS to move blindly");
    assertEquals(1, queue.deadLettered.size());
    var attributes = queue.deadLettered.get(0).attributes();
    assertTrue(attributes.get("reason").startsWith("failed for longer than the retry horizon (24 h) over 52 receives"),
        attributes.get("reason"));
    assertEquals("dispatch", attributes.get("stage"));
    assertEquals("500", attributes.get("status"));
    assertEquals("52", attributes.get("attempts"));
  }
}
