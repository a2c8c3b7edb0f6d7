package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.List;

/**
 * deleteUser: DELETE v1/users {"users": [id]}. Segment does this in the destination's onDelete hook
 * for its deletion requests; classic Webhooks forwards those as events of type "delete".
 */
final class DeleteUser implements Action {
  private static final List<FieldSpec> FIELDS =
      List.of(FieldSpec.required("userId", FieldKind.STRING, USER_ID_OR_ANONYMOUS_ID));

  @Override
  public String key() {
    return "deleteUser";
  }

  @Override
  public String presetName() {
    return "Delete User";
  }

  @Override
  public String presetTrigger() {
    return "type = \"delete\"";
  }

  @Override
  public List<FieldSpec> fields() {
    return FIELDS;
  }

  @Override
  public UserpilotRequest perform(Payload p) {
    ObjectNode body = Json.object();
    body.putArray("users").add(p.text("userId"));
    return new UserpilotRequest(key(), "DELETE", "v1/users", body);
  }
}
