package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;

/** The metadata of identifyUser and identifyCompany: traits, with createdAt moved to created_at. */
final class IdentifyMetadata {
  private IdentifyMetadata() {}

  /**
   * Traits (nothing gives {}) without {@code createdAt}; {@code created_at} is the mapped createdAt
   * when set, otherwise whatever {@code created_at} the traits already hold. Unlike the reference,
   * a blank createdAt is removed too instead of going out as a stray "createdAt" property.
   */
  static ObjectNode of(ObjectNode traits, JsonNode createdAt) {
    ObjectNode metadata = traits == null ? Json.object() : traits.deepCopy();
    metadata.remove("createdAt");
    if (createdAt != null) {
      metadata.set("created_at", createdAt);
    }
    return metadata;
  }
}
