package com.userpilotrelay.ingest;

import java.util.List;

/**
 * The answer to Segment, and what was done. The counts and ids feed the logs, the metrics and the local
 * runner's counters and event history.
 *
 * @param messageIds the accepted events' messageIds, in request order
 */
public record IngestResponse(int status, String body, int accepted, int rejected, int duplicates,
    List<String> messageIds) {
  public IngestResponse {
    messageIds = messageIds == null ? List.of() : List.copyOf(messageIds);
  }

  public IngestResponse(int status, String body, int accepted, int rejected) {
    this(status, body, accepted, rejected, 0, List.of());
  }
}
