package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

  private Duration horizon(long maxReceiveCount) {
    return new RetryPolicy(retryBase(), (int) maxReceiveCount).minimumHorizon();
  }

  @Test
  void theEventSourceFeedsTheDispatcherFromTheEventsQueue() {
    JsonNode source = sqsEvent();
    assertEquals("EventsQueue", Template.getAttResource(source.get("Queue"), "Arn"));
    assertTrue(source.path("FunctionResponseTypes").toString().contains("\"ReportBatchItemFailures\""),
        "partial batch responses must be on, or one failed event retries its whole batch");
    long batchSize = template.number(source.get("BatchSize"));
    long window = template.number(source.get("MaximumBatchingWindowInSeconds"));
    assertTrue(batchSize >= 1 && batchSize <= 10_000, "BatchSize " + batchSize);
    assertTrue(window >= 0 && window <= 300, "MaximumBatchingWindowInSeconds " + window);
    assertTrue(batchSize <= 10 || window >= 1, "SQS allows more than 10 per batch only with a batching window");
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

  @Test
  void theRedrivePolicyAndTheDispatcherShareMaxReceiveCount() {
    JsonNode redrive = template.properties("EventsQueue").path("RedrivePolicy");
    assertEquals("EventsDeadLetterQueue", Template.getAttResource(redrive.get("deadLetterTargetArn"), "Arn"));
    String parameter = Template.refName(redrive.get("maxReceiveCount"));
    assertEquals("MaxReceiveCount", parameter, "maxReceiveCount must come from the MaxReceiveCount parameter");
    assertEquals(parameter, Template.refName(template.environment("DispatchFunction").get("MAX_RECEIVE_COUNT")),
        "the dispatcher must know the count at which it dead-letters");
  }

  /** Userpilot may be down for Segment's whole retry window before anything is dead-lettered. */
  @Test
  void everyAllowedMaxReceiveCountRidesOutFourHours() {
    JsonNode parameter = template.parameter("MaxReceiveCount");
    for (String bound : new String[] {"Default", "MinValue"}) {
      long count = parameter.path(bound).asLong();
      Duration horizon = horizon(count);
      assertTrue(horizon.compareTo(RetryPolicy.REQUIRED_HORIZON) >= 0,
          "MaxReceiveCount " + bound + " " + count + " with base " + retryBase() + " gives only " + horizon);
    }
    long min = parameter.path("MinValue").asLong();
    assertTrue(horizon(min - 1).compareTo(RetryPolicy.REQUIRED_HORIZON) < 0,
        "MinValue " + min + " is not the smallest count that meets the horizon, as the template's comment says");
    // The parameter's description promises "at least 4 h 45 min" for the default.
    assertTrue(horizon(parameter.path("Default").asLong()).compareTo(Duration.ofMinutes(4 * 60 + 45)) >= 0);
  }

  /** An event still being retried is never dropped by retention, even with the luckiest jitter. */
  @Test
  void retentionOutlastsTheLongestRetrySchedule() {
    long maxCount = template.parameter("MaxReceiveCount").path("MaxValue").asLong();
    // minimumHorizon takes half of each delay ceiling; the longest schedule waits the whole ceiling.
    Duration longest = horizon(maxCount).multipliedBy(2)
        .plusSeconds(maxCount * template.number(template.functionProperties("DispatchFunction").get("Timeout")));
    long retention = template.number(template.properties("EventsQueue").get("MessageRetentionPeriod"));
    assertTrue(Duration.ofSeconds(retention).compareTo(longest) > 0,
        "events queue retention " + retention + " s < longest retry schedule " + longest);
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
