package com.userpilotrelay.ingest;

/**
 * The answer to Segment, and what was done. {@code accepted} and {@code rejected} feed the logs and
 * the local runner's counters.
 */
public record IngestResponse(int status, String body, int accepted, int rejected) {}
