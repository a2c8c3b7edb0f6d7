package com.userpilotrelay.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.delivery.DispatchSetup;
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
        "USERPILOT_ENDPOINT", userpilot.endpoint().toString(), "MAX_RECEIVE_COUNT", "25"));
    return new DispatchHandler(DispatchSetup.dispatcher(env, Mappings.presets(),
        DispatchSetup.client(env, SecretSource.none()).orElseThrow(), queue, null));
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
    SQSBatchResponse response = handler().handleRequest(event, null);
    assertEquals(event.getRecords().stream().map(SQSEvent.SQSMessage::getMessageId).toList(),
        response.getBatchItemFailures().stream().map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).toList());
    assertEquals(1, userpilot.calls().size(), "the track waits behind the identify");
    assertEquals(2, queue.visibility.size(), "both got a backoff");
  }

  @Test
  void theLastAttemptDeadLettersItselfInsteadOfFailing() {
    userpilot.answer(call -> Reply.status(500));
    SQSBatchResponse response = handler().handleRequest(load("sqs-last-attempt.json"), null);
    assertEquals(List.of(), response.getBatchItemFailures(), "handled: nothing left for SQS to redrive blindly");
    assertEquals(1, queue.deadLettered.size());
    String reason = queue.deadLettered.get(0).attributes().get("reason");
    assertTrue(reason.startsWith("retries exhausted after 25 attempts"), reason);
  }
}
