package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.List;

/** trackEvent: POST v1/track {"user_id", "event_name", "metadata"?}. */
final class TrackEvent implements Action {
  private static final List<FieldSpec> FIELDS = List.of(
      FieldSpec.required("userId", FieldKind.STRING, USER_ID_OR_ANONYMOUS_ID),
      FieldSpec.required("name", FieldKind.STRING, "{\"@path\": \"$.event\"}"),
      FieldSpec.optional("properties", FieldKind.OBJECT, "{\"@path\": \"$.properties\"}"));

  @Override
  public String key() {
    return "trackEvent";
  }

  @Override
  public String presetName() {
    return "Track Event";
  }

  @Override
  public String presetTrigger() {
    return "type = \"track\"";
  }

  @Override
  public List<FieldSpec> fields() {
    return FIELDS;
  }

  @Override
  public List<String> compatibilityFields() {
    return List.of("anonymousId");
  }

  /**
   * Segment's trackEvent has a separate anonymousId field and sends userId || anonymousId, so a
   * mapping exported from Segment carries both. Folded here into one userId mapping with the same
   * meaning (falling back on a blank userId too).
   */
  @Override
  public ObjectNode adapt(ObjectNode mapping) {
    if (!mapping.has("anonymousId")) {
      return mapping;
    }
    ObjectNode adapted = mapping.deepCopy();
    JsonNode anonymousId = adapted.remove("anonymousId");
    JsonNode userId = adapted.has("userId") ? adapted.get("userId") : FIELDS.get(0).defaultMapping();
    ObjectNode options = Json.object();
    options.set("blank", userId);
    options.set("then", userId);
    options.set("else", anonymousId);
    ObjectNode fallback = Json.object();
    fallback.set("@if", options);
    adapted.set("userId", fallback);
    return adapted;
  }

  @Override
  public UserpilotRequest perform(Payload p) {
    ObjectNode body = Json.object();
    body.put("user_id", p.text("userId"));
    body.put("event_name", p.text("name"));
    ObjectNode properties = p.object("properties");
    if (properties != null) {
      body.set("metadata", properties.deepCopy());
    }
    return new UserpilotRequest(key(), "POST", "v1/track", body);
  }
}
