package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.List;

/** identifyUser: POST v1/identify {"user_id", "metadata"}. */
final class IdentifyUser implements Action {
  private static final List<FieldSpec> FIELDS = List.of(
      FieldSpec.required("userId", FieldKind.STRING, USER_ID_OR_ANONYMOUS_ID),
      FieldSpec.optional("createdAt", FieldKind.DATETIME, "{\"@path\": \"$.traits.createdAt\"}"),
      FieldSpec.optional("traits", FieldKind.OBJECT, "{\"@path\": \"$.traits\"}"));

  @Override
  public String key() {
    return "identifyUser";
  }

  @Override
  public String presetName() {
    return "Identify User";
  }

  @Override
  public String presetTrigger() {
    return "type = \"identify\"";
  }

  @Override
  public List<FieldSpec> fields() {
    return FIELDS;
  }

  @Override
  public UserpilotRequest perform(Payload p) {
    ObjectNode body = Json.object();
    body.put("user_id", p.text("userId"));
    body.set("metadata", IdentifyMetadata.of(p.object("traits"), p.get("createdAt")));
    return new UserpilotRequest(key(), "POST", "v1/identify", body);
  }
}
