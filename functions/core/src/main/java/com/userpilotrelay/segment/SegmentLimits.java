package com.userpilotrelay.segment;

/**
 * The limits ingest enforces where input enters. The request limits come from the deployed path, not
 * from Segment's Tracking API (whose 500 KB / 2,500 events bound what clients send <em>to</em> Segment):
 * Segment's Webhooks (Actions) destination sends batches of up to 4,000 events with no byte cap.
 */
public final class SegmentLimits {
  /**
   * One request body, decoded (after any Content-Encoding). The binding limit on the deployed path is
   * Lambda's 6 MB (6,291,456-byte) synchronous invocation payload, which holds API Gateway's whole
   * payload-2.0 event JSON; API Gateway HTTP API's own 10 MB limit never binds first. The body rides
   * in that JSON either base64-encoded (4/3 of its size) or as a JSON string, where every {@code "},
   * {@code \} and structural newline or tab is escaped to two bytes: a valid JSON body made of string
   * escapes ({@code "\"\"..."}) doubles. So the body that always fits is at most half of 6,291,456
   * minus the envelope (request context and headers; API Gateway caps headers at 10 KiB, 20 KiB once
   * escaped). 3,000,000 bytes leaves 291,456 bytes for the envelope; IngestCeilingTest builds the
   * real APIGatewayV2HTTPEvent JSON around the worst-case body at this limit and measures it.
   */
  public static final int MAX_REQUEST_BYTES = 3_000_000;
  /** Lambda's synchronous invocation payload limit: the whole event JSON. */
  public static final int LAMBDA_INVOCATION_BYTES = 6 * 1024 * 1024;
  /** One event as it will be queued: compact JSON, after a batch's shared context is merged in. */
  public static final int MAX_EVENT_BYTES = 32 * 1024;
  /**
   * Segment's largest batch (Webhooks (Actions) batch_size maximum). A bound, not a preference: a body
   * of tiny invalid events would otherwise make tens of thousands of quarantine writes.
   */
  public static final int MAX_EVENTS_PER_REQUEST = 4_000;
  public static final int MAX_MESSAGE_ID_CHARS = 100;

  /** What a 413 tells the user to change in Segment, with the size that fits. */
  public static final String BATCH_ADVICE = "lower Batch Size (batch_size) in the Segment Webhooks (Actions)"
      + " mapping so one request stays within " + MAX_REQUEST_BYTES + " bytes (about 2,000 events of 1.4 KB)";

  private SegmentLimits() {}
}
