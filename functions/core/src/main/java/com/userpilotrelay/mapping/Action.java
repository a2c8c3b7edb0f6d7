package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.List;

/**
 * One Userpilot action, shaped like an action of Segment's action-destinations: named fields with
 * preset defaults, then {@code perform}, which turns the checked fields into a request.
 */
interface Action {
  /**
   * userId if present and non-blank, else anonymousId. Segment's preset tests "exists", so a userId
   * of "" is kept (and the event then fails); "blank" falls back as intended.
   */
  String USER_ID_OR_ANONYMOUS_ID =
      "{\"@if\": {\"blank\": {\"@path\": \"$.userId\"}, \"then\": {\"@path\": \"$.userId\"},"
          + " \"else\": {\"@path\": \"$.anonymousId\"}}}";

  /** The action's key, as in a mappings file ("identifyUser"). */
  String key();

  /** Name and trigger of the preset mapping that uses this action with its defaults. */
  String presetName();

  String presetTrigger();

  /** The fields, in the order they are resolved. */
  List<FieldSpec> fields();

  /** Rewrites a user mapping written for Segment's version of this action; most actions need nothing. */
  default ObjectNode adapt(ObjectNode mapping) {
    return mapping;
  }

  /** Field names a mapping may set beyond {@link #fields()} (accepted for Segment compatibility). */
  default List<String> compatibilityFields() {
    return List.of();
  }

  /** @throws MappingFailure when the fields cannot make a valid request */
  UserpilotRequest perform(Payload payload);
}
