package com.userpilotrelay.segment;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Whose order an event keeps: a company's for group calls (Userpilot's company endpoint), otherwise the
 * user's (userId, else anonymousId). Events with the same key are delivered strictly one after another.
 */
public final class OrderingKey {
  private OrderingKey() {}

  /** The key, or null for an event with no usable id (validation refuses such events). */
  public static String of(JsonNode event) {
    if (event == null) {
      return null;
    }
    if ("group".equals(event.path("type").asText())) {
      JsonNode groupId = event.get("groupId");
      if (groupId != null && (groupId.isTextual() || groupId.isNumber()) && !groupId.asText().isBlank()) {
        return "company:" + groupId.asText();
      }
    }
    String user = EventValidator.userKey(event);
    return user == null ? null : "user:" + user;
  }
}
