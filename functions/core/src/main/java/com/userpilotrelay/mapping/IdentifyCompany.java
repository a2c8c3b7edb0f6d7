package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.List;

/** identifyCompany: POST v1/companies/identify {"company_id", "metadata"}. */
final class IdentifyCompany implements Action {
  private static final List<FieldSpec> FIELDS = List.of(
      FieldSpec.required("groupId", FieldKind.STRING, "{\"@path\": \"$.groupId\"}"),
      FieldSpec.optional("createdAt", FieldKind.DATETIME, "{\"@path\": \"$.traits.createdAt\"}"),
      FieldSpec.optional("traits", FieldKind.OBJECT, "{\"@path\": \"$.traits\"}"));

  @Override
  public String key() {
    return "identifyCompany";
  }

  @Override
  public String presetName() {
    return "Identify Company";
  }

  @Override
  public String presetTrigger() {
    return "type = \"group\"";
  }

  @Override
  public List<FieldSpec> fields() {
    return FIELDS;
  }

  @Override
  public UserpilotRequest perform(Payload p) {
    ObjectNode body = Json.object();
    body.put("company_id", p.text("groupId"));
    body.set("metadata", IdentifyMetadata.of(p.object("traits"), p.get("createdAt")));
    return new UserpilotRequest(key(), "POST", "v1/companies/identify", body);
  }
}
