package com.userpilotrelay.segment;

/** Segment's own HTTP Tracking API limits, which the relay enforces where input enters. */
public final class SegmentLimits {
  /** One request body, decoded. */
  public static final int MAX_REQUEST_BYTES = 500 * 1024;
  /** One event as it stands in the body. */
  public static final int MAX_EVENT_BYTES = 32 * 1024;
  public static final int MAX_EVENTS_PER_REQUEST = 2_500;
  public static final int MAX_MESSAGE_ID_CHARS = 100;

  private SegmentLimits() {}
}
