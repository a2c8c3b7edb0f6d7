package com.userpilotrelay.dispatch;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.userpilotrelay.config.AwsSecretSource;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.DispatchSetup;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.delivery.Dispatcher;
import com.userpilotrelay.delivery.InboundMessage;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.prime.QueuePriming;
import com.userpilotrelay.queue.SqsClients;
import com.userpilotrelay.queue.SqsEventQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * SQS batch in, partial batch failures out (ReportBatchItemFailures). Messages named in the response
 * stay in the queue and come back after the backoff the dispatcher set; everything else is done.
 */
public final class DispatchHandler implements RequestHandler<SQSEvent, SQSBatchResponse>, Resource {
  /** Time kept back from the Lambda timeout to write the response and the metrics. */
  static final Duration SAFETY_MARGIN = Duration.ofSeconds(3);
  /**
   * One dead-letter or rejected-queue write, retries included: within the dispatcher's reserve for the SQS
   * calls it makes after its last Userpilot call (Dispatcher.SQS_RESERVE, which also covers the visibility
   * changes, each bounded by SqsClients' API-call timeout).
   */
  static final Duration SEND_BUDGET = Duration.ofSeconds(3);
  static final Duration NO_CONTEXT_BUDGET = Duration.ofSeconds(60);

  /** Built once per container; a bad setting fails the function's start. */
  private static final class Deployed {
    static final Mappings MAPPINGS;
    static final Dispatcher DISPATCHER;
    static final SqsClient SQS;
    static final String QUEUE_URL;

    static {
      Env env = Env.system();
      AwsSecretSource secrets = new AwsSecretSource();
      MAPPINGS = DispatchSetup.mappings(env, secrets);
      SQS = SqsClients.aws();
      QUEUE_URL = env.required(Setting.EVENTS_QUEUE_URL);
      SqsEventQueue queue = new SqsEventQueue(SQS, QUEUE_URL, env.required(Setting.DEAD_LETTER_QUEUE_URL),
          env.required(Setting.REJECTED_QUEUE_URL), 4, SEND_BUDGET);
      DISPATCHER = DispatchSetup.dispatcher(env, MAPPINGS,
          DispatchSetup.client(env, secrets).orElseThrow(), queue, IngestStamp.marker(), DeliveryObserver.NONE);
    }
  }

  private final Dispatcher dispatcher;

  /** The Lambda runtime's constructor: settings from the environment, primed before a SnapStart snapshot. */
  public DispatchHandler() {
    this(Deployed.DISPATCHER);
    Core.getGlobalContext().register(this);
  }

  public DispatchHandler(Dispatcher dispatcher) {
    this.dispatcher = dispatcher;
  }

  @Override
  public SQSBatchResponse handleRequest(SQSEvent event, Context context) {
    List<SQSEvent.SQSMessage> records = event.getRecords() == null ? List.of() : event.getRecords();
    List<InboundMessage> messages = new ArrayList<>(records.size());
    for (SQSEvent.SQSMessage record : records) {
      messages.add(toInbound(record));
    }
    Duration budget = context == null ? NO_CONTEXT_BUDGET
        : Duration.ofMillis(context.getRemainingTimeInMillis()).minus(SAFETY_MARGIN);
    List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
    try {
      for (Outcome outcome : dispatcher.dispatch(messages, Instant.now().plus(budget))) {
        if (outcome.keepInQueue()) {
          failures.add(new SQSBatchResponse.BatchItemFailure(outcome.id()));
        }
      }
    } catch (RuntimeException e) {
      // Outcomes are unknown: keep every message rather than lose any.
      Log.error("dispatch failed; keeping the whole batch", Map.of("error", e.getClass().getName()));
      failures.clear();
      messages.forEach(m -> failures.add(new SQSBatchResponse.BatchItemFailure(m.id())));
    }
    return new SQSBatchResponse(failures);
  }

  static InboundMessage toInbound(SQSEvent.SQSMessage record) {
    Map<String, String> attributes = new HashMap<>();
    if (record.getMessageAttributes() != null) {
      record.getMessageAttributes().forEach((name, value) -> {
        if (value != null && value.getStringValue() != null) {
          attributes.put(name, value.getStringValue());
        }
      });
    }
    Map<String, String> system = record.getAttributes() == null ? Map.of() : record.getAttributes();
    int receiveCount = (int) number(system.get("ApproximateReceiveCount"), 1);
    long firstReceive = number(system.get("ApproximateFirstReceiveTimestamp"), 0);
    return new InboundMessage(record.getMessageId(), record.getReceiptHandle(), receiveCount, record.getBody(),
        attributes, system.get("MessageGroupId"), firstReceive > 0 ? Instant.ofEpochMilli(firstReceive) : null);
  }

  private static long number(String value, long otherwise) {
    try {
      return value == null ? otherwise : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  @Override
  public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
    // The SDK's request path, with a call that changes nothing (the deployed handler only).
    QueuePriming.prime(Deployed.SQS, Deployed.QUEUE_URL);
    // Warm JSON and the mappings into the snapshot: no side effects.
    var sample = Json.parse("{\"type\":\"identify\",\"userId\":\"prime\",\"messageId\":\"prime\","
        + "\"traits\":{\"plan\":\"pro\",\"createdAt\":\"2024-01-01T00:00:00Z\"}}");
    for (int i = 0; i < 200; i++) {
      Deployed.MAPPINGS.map(sample).forEach(m -> {
        if (m.request() != null) {
          Json.writeBytes(m.request().body());
        }
      });
    }
  }

  @Override
  public void afterRestore(org.crac.Context<? extends Resource> context) {
    // Nothing to refresh: QueuePriming's class comment says why for the SQS client. The Userpilot client
    // (java.net.http, which would reuse a pooled connection for 20 minutes) is never called before the
    // checkpoint, so the snapshot holds no connection of its.
  }
}
