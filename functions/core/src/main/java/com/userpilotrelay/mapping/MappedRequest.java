package com.userpilotrelay.mapping;

import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.Objects;

/**
 * What one mapping made of one event: either the request to send, or the reason the event cannot
 * become a valid request. An error is permanent (retrying the same event gives the same answer), so
 * the caller dead-letters the event with it.
 *
 * @param mappingName the name of the mapping that matched
 * @param request the request to send, or null when {@code error} is set
 * @param error why no valid request could be made, or null when {@code request} is set
 */
public record MappedRequest(String mappingName, UserpilotRequest request, String error) {
  public MappedRequest {
    Objects.requireNonNull(mappingName, "mappingName");
    if ((request == null) == (error == null)) {
      throw new IllegalArgumentException("exactly one of request and error must be set");
    }
  }

  public boolean failed() {
    return error != null;
  }
}
