package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.bench.probe.SqsBatch;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.MappedRequest;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.userpilot.UserpilotResponse;
import com.userpilotrelay.userpilot.UserpilotTransport;
import java.util.List;

/**
 * The comparison: a deliberately simple dispatcher that sends one event at a time, in queue order, with
 * the same mappings and HTTP client as the real one (no parallel users, no pacing, no retry handling).
 */
final class NaiveDispatcher {
  private final Mappings mappings;
  private final UserpilotTransport transport;

  NaiveDispatcher(Mappings mappings, UserpilotTransport transport) {
    this.mappings = mappings;
    this.transport = transport;
  }

  /** Returns how many requests Userpilot accepted. */
  int dispatch(List<SqsBatch.Message> messages) {
    int delivered = 0;
    for (SqsBatch.Message message : messages) {
      JsonNode event = Json.parse(message.body());
      for (MappedRequest m : mappings.map(event)) {
        if (m.request() != null) {
          UserpilotResponse response = transport.send(m.request());
          if (response.ok()) {
            delivered++;
          }
        }
      }
    }
    return delivered;
  }
}
