package com.userpilotrelay.segment;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Segment Spec checks for one event (the "common", "identify", "track", "group", "page", "screen" and
 * "alias" spec pages, plus the classic Webhooks destination's {@code delete}). Each error reads
 * "field: reason; what to do", and the caller prefixes the event's index.
 */
public final class EventValidator {
  public static final Set<String> TYPES =
      Set.of("identify", "track", "group", "page", "screen", "alias", "delete");

  private EventValidator() {}

  public static List<String> validate(JsonNode event, int rawBytes) {
    List<String> errors = new ArrayList<>();
    if (!event.isObject()) {
      errors.add("event: must be a JSON object, found " + kind(event));
      return errors;
    }
    if (rawBytes > SegmentLimits.MAX_EVENT_BYTES) {
      errors.add("event: " + rawBytes + " bytes is over the " + SegmentLimits.MAX_EVENT_BYTES
          + "-byte limit for one event; trim its traits or properties");
    }
    JsonNode type = event.get("type");
    String typeName = null;
    if (type == null || type.isNull()) {
      errors.add("type: is required; one of " + String.join(", ", sorted()));
    } else if (!type.isTextual() || !TYPES.contains(type.asText())) {
      errors.add("type: " + shortValue(type) + " is not a Segment event type; use one of " + String.join(", ", sorted()));
    } else {
      typeName = type.asText();
    }

    checkId(event, "userId", errors);
    checkId(event, "anonymousId", errors);
    if (isBlankId(event.get("userId")) && isBlankId(event.get("anonymousId"))
        && validIdType(event.get("userId")) && validIdType(event.get("anonymousId"))) {
      errors.add("userId: userId or anonymousId is required and must not be blank; set at least one");
    }

    JsonNode messageId = event.get("messageId");
    if (messageId != null && !messageId.isNull()) {
      if (!messageId.isTextual() && !messageId.isIntegralNumber()) {
        errors.add("messageId: must be a string, found " + kind(messageId));
      } else if (messageId.asText().length() > SegmentLimits.MAX_MESSAGE_ID_CHARS) {
        errors.add("messageId: " + messageId.asText().length() + " characters is over the "
            + SegmentLimits.MAX_MESSAGE_ID_CHARS + "-character limit");
      }
    }

    if (typeName != null) {
      switch (typeName) {
        case "track" -> {
          requireNonBlank(event, "event", "track", errors);
          objectOrNull(event, "properties", errors);
        }
        case "group" -> {
          requireNonBlank(event, "groupId", "group", errors);
          objectOrNull(event, "traits", errors);
        }
        case "identify" -> objectOrNull(event, "traits", errors);
        case "page", "screen" -> objectOrNull(event, "properties", errors);
        default -> { }
      }
    }
    return errors;
  }

  /** The id Segment would use for this user: a non-blank userId, else anonymousId; numbers as text. */
  public static String userKey(JsonNode event) {
    JsonNode userId = event.get("userId");
    if (!isBlankId(userId)) {
      return userId.asText();
    }
    JsonNode anonymousId = event.get("anonymousId");
    return isBlankId(anonymousId) ? null : anonymousId.asText();
  }

  private static void checkId(JsonNode event, String field, List<String> errors) {
    if (!validIdType(event.get(field))) {
      errors.add(field + ": must be a string or a number, found " + kind(event.get(field)));
    }
  }

  private static boolean validIdType(JsonNode id) {
    return id == null || id.isNull() || id.isTextual() || id.isNumber();
  }

  private static boolean isBlankId(JsonNode id) {
    return id == null || id.isNull() || !(id.isTextual() || id.isNumber()) || id.asText().isBlank();
  }

  private static void requireNonBlank(JsonNode event, String field, String type, List<String> errors) {
    JsonNode value = event.get(field);
    if (value == null || value.isNull()) {
      errors.add(field + ": is required for a " + type + " event");
    } else if (!value.isTextual() && !value.isNumber()) {
      errors.add(field + ": must be a string, found " + kind(value));
    } else if (value.asText().isBlank()) {
      errors.add(field + ": must not be blank for a " + type + " event");
    }
  }

  private static void objectOrNull(JsonNode event, String field, List<String> errors) {
    JsonNode value = event.get(field);
    if (value != null && !value.isNull() && !value.isObject()) {
      errors.add(field + ": must be an object, found " + kind(value));
    }
  }

  static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return switch (node.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase();
    };
  }

  private static String shortValue(JsonNode node) {
    if (!node.isTextual()) {
      return kind(node);
    }
    String text = node.asText();
    return "\"" + (text.length() > 40 ? text.substring(0, 40) + "…" : text) + "\"";
  }

  private static List<String> sorted() {
    return TYPES.stream().sorted().toList();
  }
}
