package com.userpilotrelay.userpilot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One call to Userpilot's REST API, before it is sent.
 *
 * @param action the action that produced it: identifyUser, identifyCompany, trackEvent or deleteUser
 * @param method the HTTP method, upper case
 * @param path the path relative to the configured endpoint, without a leading slash ("v1/identify")
 * @param body the JSON body
 */
public record UserpilotRequest(String action, String method, String path, ObjectNode body) {
  public UserpilotRequest {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(body, "body");
    if (path.startsWith("/")) {
      throw new IllegalArgumentException("path must be relative to the endpoint: " + path);
    }
  }
}
