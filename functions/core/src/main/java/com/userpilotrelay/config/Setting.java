package com.userpilotrelay.config;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Every environment variable the relay reads: its name, which functions read it, and whether a Lambda
 * deployment must set it. The template test checks {@code template.yaml} against this list, so the two
 * cannot drift apart.
 */
public enum Setting {
  EVENTS_QUEUE_URL(Fn.BOTH, true, "URL of the SQS queue that holds accepted events"),
  DEAD_LETTER_QUEUE_URL(Fn.DISPATCH, true, "URL of the dead-letter queue (undeliverable events, redrivable)"),
  REJECTED_QUEUE_URL(Fn.BOTH, true, "URL of the queue that keeps refused input (never redriven)"),

  SEGMENT_SHARED_SECRET_ARN(Fn.INGEST, false, "Secrets Manager ARN of the Segment shared secret (X-Signature)"),
  SEGMENT_SHARED_SECRET(Fn.INGEST, false, "the Segment shared secret itself; local runs only"),
  INGEST_TOKEN_ARN(Fn.INGEST, false, "Secrets Manager ARN of the ingest token (Authorization header)"),
  INGEST_TOKEN(Fn.INGEST, false, "the ingest token itself; local runs only"),
  LOCAL_DEV_NO_AUTH(Fn.INGEST, false, "true lets ingest run with no credential configured; local runs only"),

  USERPILOT_API_KEY_ARN(Fn.DISPATCH, false, "Secrets Manager ARN of the Userpilot API key"),
  USERPILOT_API_KEY(Fn.DISPATCH, false, "the Userpilot API key itself; local runs only"),
  USERPILOT_ENDPOINT(Fn.DISPATCH, false, "Userpilot API endpoint (default https://analytex.userpilot.io/)"),
  USERPILOT_TIMEOUT_MS(Fn.DISPATCH, false, "timeout of one Userpilot call in milliseconds (default 10000)"),
  MAPPINGS_PARAMETER(Fn.DISPATCH, false, "SSM parameter name holding the mappings JSON (empty: presets)"),
  MAPPINGS_FILE(Fn.DISPATCH, false, "path of a mappings JSON file; local runs only"),
  DISPATCH_CONCURRENCY(Fn.DISPATCH, true, "how many dispatchers run at once (the event source's MaximumConcurrency)"),
  RATE_LIMIT_IDENTIFY_PER_MINUTE(Fn.DISPATCH, false, "Userpilot identify limit per key (default 600)"),
  RATE_LIMIT_TRACK_PER_MINUTE(Fn.DISPATCH, false, "Userpilot track limit per key (default 600)"),
  RATE_LIMIT_DELETE_PER_MINUTE(Fn.DISPATCH, false, "Userpilot delete limit per key (default 30)"),
  RETRY_BASE_SECONDS(Fn.DISPATCH, false, "first retry delay in seconds (default 30); doubles per attempt up to 30 min"),
  RETRY_HORIZON_HOURS(Fn.DISPATCH, false, "hours an event's attempts may fail before it is dead-lettered (default 24, 4 to 120)"),
  POISON_ATTEMPTS(Fn.DISPATCH, false, "attempts after which an event failing while others to its endpoint succeed is dead-lettered (default 8)"),

  PORT(Fn.LOCAL, false, "the local runner's HTTP port (default 3000)"),
  SQS_PORT(Fn.LOCAL, false, "the local runner's embedded SQS (ElasticMQ) port on 127.0.0.1 (default 9324)"),
  DATA_DIR(Fn.LOCAL, false, "where the local runner keeps its queues and event history (default ./.relay-data)"),
  EVENT_HISTORY_LIMIT(Fn.LOCAL, false, "events whose path GET /events/{messageId} keeps (default 10000)"),
  EVENT_HISTORY_DAYS(Fn.LOCAL, false, "days an event's path is kept after its last change (default 7)"),
  LOG_FORMAT(Fn.LOCAL, false, "the local runner's console: text (one readable line per outcome, default) or json");

  /** Which function reads a setting; LOCAL is the one-JVM runner (local/), never a Lambda function. */
  public enum Fn {
    INGEST, DISPATCH, BOTH, LOCAL;

    boolean covers(Fn fn) {
      return this == BOTH || this == fn;
    }
  }

  private final Fn readBy;
  private final boolean requiredInLambda;
  private final String description;

  Setting(Fn readBy, boolean requiredInLambda, String description) {
    this.readBy = readBy;
    this.requiredInLambda = requiredInLambda;
    this.description = description;
  }

  public boolean requiredInLambda() {
    return requiredInLambda;
  }

  public String description() {
    return description;
  }

  /** Settings that only make sense outside Lambda; a template must never set them. */
  public boolean localOnly() {
    return readBy == Fn.LOCAL || this == SEGMENT_SHARED_SECRET || this == INGEST_TOKEN || this == LOCAL_DEV_NO_AUTH
        || this == USERPILOT_API_KEY || this == MAPPINGS_FILE;
  }

  public static List<Setting> readBy(Fn fn) {
    return Arrays.stream(values()).filter(s -> s.readBy.covers(fn)).toList();
  }

  public static Set<Setting> all() {
    return EnumSet.allOf(Setting.class);
  }
}
