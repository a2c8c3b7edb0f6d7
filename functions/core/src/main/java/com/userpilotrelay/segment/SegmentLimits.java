package com.userpilotrelay.segment;

/**
 * The limits ingest enforces where input enters. The request limits come from the deployed path, not
 * from Segment's Tracking API (whose 500 KB / 2,500 events bound what clients send <em>to</em> Segment):
 * Segment's Webhooks (Actions) destination sends batches of up to 4,000 events with no byte cap.
 */
public final class SegmentLimits {
  /** Lambda's synchronous invocation payload limit: the whole API Gateway event JSON, body included. */
  public static final int LAMBDA_INVOCATION_BYTES = 6 * 1024 * 1024;
  /**
   * What API Gateway's payload-2.0 event holds besides the body: the request context and the headers, which
   * API Gateway caps at 10 KiB (20 KiB once JSON-escaped). IngestCeilingTest measures the real event class.
   */
  public static final int ENVELOPE_BYTES = 32 * 1024;
  /**
   * The binding limit on the deployed path is Lambda's 6 MB invocation payload (API Gateway HTTP API's own
   * 10 MB never binds first), and what a body costs there depends on its content: as a JSON string every
   * {@code "} and {@code \} doubles. So the ceiling is computed per request ({@link #invocationBytes}); this
   * is only the first, cheap bound: no body longer than this can fit whatever it holds.
   */
  public static final int MAX_REQUEST_BYTES = LAMBDA_INVOCATION_BYTES - ENVELOPE_BYTES;
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
      + " mapping so one request stays within about 5 MB (4,000 events of 1.2 KB fit; 1,000 events of 5 KB)";

  private SegmentLimits() {}

  /**
   * The bytes a Lambda invocation needs to carry this body inside API Gateway's event: as a JSON string (how
   * HTTP API passes a JSON body), or base64 (how it passes a compressed one), plus the envelope. Counted
   * pessimistically: every byte JSON may escape is counted escaped ({@code "} and {@code \} as two bytes,
   * control bytes as six, and each non-ASCII character as a six-byte escape).
   */
  public static long invocationBytes(byte[] body, boolean base64) {
    if (base64) {
      return (body.length + 2L) / 3 * 4 + ENVELOPE_BYTES;
    }
    long bytes = ENVELOPE_BYTES;
    for (int i = 0; i < body.length; i++) {
      int b = body[i] & 0xFF;
      if (b == '"' || b == '\\') {
        bytes += 2;
      } else if (b < 0x20) {
        bytes += 6;
      } else if (b < 0x80) {
        bytes += 1;
      } else if (b >= 0xF0) {
        bytes += 12; // a 4-byte sequence: a surrogate pair, two escapes
      } else if (b >= 0xC0) {
        bytes += 6; // the lead byte of a 2- or 3-byte sequence: one escape
      }
      // continuation bytes (0x80-0xBF) were counted with their lead byte
    }
    return bytes;
  }

  /** True when the body fits the Lambda invocation that carries it on the deployed path. */
  public static boolean fitsInvocation(byte[] body, boolean base64) {
    return invocationBytes(body, base64) <= LAMBDA_INVOCATION_BYTES;
  }
}
