package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.delivery.RetryPolicy;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The queues and the dispatcher's event source against the retry policy and SQS's rules. */
class TemplateDeliveryTest {
  private static final long FOURTEEN_DAYS = Duration.ofDays(14).toSeconds();
  private final Template template = Template.load();

  private JsonNode sqsEvent() {
    JsonNode found = null;
    for (JsonNode event : template.properties("DispatchFunction").path("Events")) {
      if (event.path("Type").asText().equals("SQS")) {
        assertTrue(found == null, "the dispatcher has one SQS event source");
        found = event.path("Properties");
      }
    }
    assertNotNull(found, "the dispatcher has an SQS event source");
    return found;
  }

  private Duration retryBase() {
    JsonNode base = template.environment("DispatchFunction").get("RETRY_BASE_SECONDS");
    return base == null ? RetryPolicy.DEFAULT_BASE : Duration.ofSeconds(template.number(base));
  }

  @Test
  void theEventSourceFeedsTheDispatcherFromTheEventsQueue() {
    JsonNode source = sqsEvent();
    assertEquals("EventsQueue", Template.getAttResource(source.get("Queue"), "Arn"));
    assertTrue(source.path("FunctionResponseTypes").toString().contains("\"ReportBatchItemFailures\""),
        "partial batch responses must be on, or one failed event retries its whole batch");
    long batchSize = template.number(source.get("BatchSize"));
    assertTrue(batchSize >= 1 && batchSize <= 10, "a FIFO event source takes at most 10 per batch: " + batchSize);
    assertTrue(source.path("MaximumBatchingWindowInSeconds").isMissingNode(), "a FIFO event source has no batching window");
  }

  /** Strict per-user order and Segment-retry deduplication are the queue's: FIFO, grouped, high throughput. */
  @Test
  void theEventsQueueAndItsDeadLetterQueueAreHighThroughputFifo() {
    for (String queue : new String[] {"EventsQueue", "EventsDeadLetterQueue"}) {
      JsonNode p = template.properties(queue);
      assertTrue(p.path("FifoQueue").asBoolean(), queue + " is FIFO");
      assertFalse(p.path("ContentBasedDeduplication").asBoolean(), queue + ": the relay gives deduplication ids");
      assertEquals("messageGroup", p.path("DeduplicationScope").asText(), queue);
      assertEquals("perMessageGroupId", p.path("FifoThroughputLimit").asText(), queue);
    }
    assertFalse(template.properties("RejectedQueue").path("FifoQueue").asBoolean(false),
        "refused input keeps no order and is never redriven into the FIFO queue");
  }

  /** A stack update must never throw queued or dead-lettered events away. */
  @Test
  void everyQueueIsRetainedOnDeleteAndReplace() {
    for (Map.Entry<String, JsonNode> queue : template.resourcesOfType("AWS::SQS::Queue").entrySet()) {
      assertEquals("Retain", queue.getValue().path("DeletionPolicy").asText(), queue.getKey());
      assertEquals("Retain", queue.getValue().path("UpdateReplacePolicy").asText(), queue.getKey());
    }
  }

  @Test
  void dispatchConcurrencyAndMaximumConcurrencyComeFromOneParameter() {
    String fromEventSource = Template.refName(sqsEvent().path("ScalingConfig").get("MaximumConcurrency"));
    String fromEnvironment = Template.refName(template.environment("DispatchFunction").get("DISPATCH_CONCURRENCY"));
    assertNotNull(fromEventSource, "ScalingConfig.MaximumConcurrency must be a parameter");
    assertEquals(fromEventSource, fromEnvironment, "DISPATCH_CONCURRENCY and MaximumConcurrency must be one parameter");
    JsonNode parameter = template.parameter(fromEventSource);
    assertTrue(parameter.path("MinValue").asLong() >= 2, "SQS refuses a MaximumConcurrency below 2");
    assertTrue(parameter.path("MaxValue").asLong() <= 1000, "SQS refuses a MaximumConcurrency above 1000");
    assertTrue(parameter.path("Default").asLong() >= parameter.path("MinValue").asLong());
  }

  @Test
  void visibilityTimeoutIsAtLeastSixTimesTheDispatchTimeout() {
    long visibility = template.number(template.properties("EventsQueue").get("VisibilityTimeout"));
    long timeout = template.number(template.functionProperties("DispatchFunction").get("Timeout"));
    assertTrue(visibility >= 6 * timeout, "VisibilityTimeout " + visibility + " < 6 x dispatch Timeout " + timeout);
  }

  /** SQS's own move is only the crash safety net: the relay's own schedule never reaches it. */
  @Test
  void theQueuesOwnRedriveIsOnlyASafetyNetBeyondTheRelaysSchedule() {
    JsonNode redrive = template.properties("EventsQueue").path("RedrivePolicy");
    assertEquals("EventsDeadLetterQueue", Template.getAttResource(redrive.get("deadLetterTargetArn"), "Arn"));
    long maxReceiveCount = template.number(redrive.get("maxReceiveCount"));
    assertEquals(1000, maxReceiveCount, "the highest count SQS allows");
    // Receives within the longest horizon: the backoff from RETRY_BASE_SECONDS doubles to its 30 min cap,
    // then one receive per cap; waiting outcomes come back no sooner than every 2 s but only while the pacer
    // or deadline says wait, which the relay bounds by the same schedule.
    Duration horizon = Duration.ofHours(template.parameter("RetryHorizonHours").path("MaxValue").asLong());
    long receives = horizon.toSeconds() / RetryPolicy.DEFAULT_CAP.dividedBy(2).toSeconds() + 20;
    assertTrue(receives < maxReceiveCount, receives + " receives over the longest horizon reach maxReceiveCount");
    assertEquals(null, template.environment("DispatchFunction").get("MAX_RECEIVE_COUNT"));
  }

  /** The horizon parameter's bounds are the code's: Segment's 4 hours at least, a day inside retention at most. */
  @Test
  void theRetryHorizonParameterMatchesTheCodesBoundsAndReachesTheDispatcher() {
    JsonNode parameter = template.parameter("RetryHorizonHours");
    assertEquals(RetryPolicy.MIN_HORIZON.toHours(), parameter.path("MinValue").asLong());
    assertEquals(RetryPolicy.MAX_HORIZON.toHours(), parameter.path("MaxValue").asLong());
    assertEquals(RetryPolicy.DEFAULT_HORIZON.toHours(), parameter.path("Default").asLong());
    assertEquals("RetryHorizonHours", Template.refName(template.environment("DispatchFunction").get("RETRY_HORIZON_HOURS")));
    assertEquals("PoisonAttempts", Template.refName(template.environment("DispatchFunction").get("POISON_ATTEMPTS")));
    long retention = template.number(template.properties("EventsQueue").get("MessageRetentionPeriod"));
    assertTrue(Duration.ofSeconds(retention).compareTo(RetryPolicy.MAX_HORIZON.multipliedBy(2)) >= 0,
        "retention must outlast the longest horizon with room for the wait behind a user's earlier events");
  }

  @Test
  void theDeadLetterQueueKeepsFourteenDays() {
    assertEquals(FOURTEEN_DAYS, template.number(template.properties("EventsDeadLetterQueue").get("MessageRetentionPeriod")));
  }

  @Test
  void queuesAreEncryptedAtRest() {
    for (Map.Entry<String, JsonNode> queue : template.resourcesOfType("AWS::SQS::Queue").entrySet()) {
      assertTrue(queue.getValue().path("Properties").path("SqsManagedSseEnabled").asBoolean(), queue.getKey());
    }
  }
}
