package com.userpilotrelay.segment;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Segment Spec checks for one event (the "common", "identify", "track", "group", "page", "screen" and
 * "alias" spec pages, plus the classic Webhooks destination's {@code delete}). Each error reads
 * "field: reason; what to do", and the caller prefixes the event's index.
 */
public final class EventValidator {
  public static final Set<String> TYPES =
      Set.of("identify", "track", "group", "page", "screen", "alias", "delete");

  /** At most this many value problems (bad text, bad numbers) are reported for one event. */
  static final int MAX_VALUE_ERRORS = 5;

  private EventValidator() {}

  /** @param rawBytes the event's size as it will be queued (SegmentBody.RawEvent#rawBytes) */
  public static List<String> validate(JsonNode event, int rawBytes) {
    List<String> errors = new ArrayList<>();
    if (!event.isObject()) {
      errors.add("event: must be a JSON object, found " + kind(event));
      return errors;
    }
    if (rawBytes > SegmentLimits.MAX_EVENT_BYTES) {
      errors.add("event: " + rawBytes + " bytes is over the " + SegmentLimits.MAX_EVENT_BYTES
          + "-byte limit for one event (measured as queued: compact JSON, with a batch's shared context merged in);"
          + " trim its traits, properties or context");
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

    checkValues(event, errors);

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

  /**
   * Every key and value, at any depth: strings must be valid Unicode (JSON's {@code \\uD800} escape can
   * smuggle in half a surrogate pair, which no UTF-8 encoder can write and SQS refuses), and numbers must
   * fit a JavaScript number (Segment's own JSON never carries 1e999999; the mappings print numbers the
   * way JavaScript does). Reports at most {@link #MAX_VALUE_ERRORS} places.
   */
  private static void checkValues(JsonNode event, List<String> errors) {
    checkValue(event, Where.ROOT, errors, new int[1]);
  }

  /**
   * Depth first, in document order: an object's key problems, then its values one by one. Recursion is
   * bounded by the parser's nesting limit (Json.MAX_NESTING_DEPTH). Paths are built only for a problem
   * found, since nearly every event has none.
   */
  private static void checkValue(JsonNode node, Where where, List<String> errors, int[] found) {
    if (found[0] >= MAX_VALUE_ERRORS) {
      return;
    }
    String problem = null;
    if (node.isTextual()) {
      problem = unpairedSurrogate(node.textValue());
    } else if (node.isNumber() && !fitsAJavaScriptNumber(node)) {
      problem = shortNumber(node) + " is out of range for a number; send numbers a JavaScript number can hold"
          + " (about ±1.8e308, and not so small it rounds to 0)";
    } else if (node.isObject()) {
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        String keyProblem = unpairedSurrogate(field.getKey());
        if (keyProblem != null && found[0] < MAX_VALUE_ERRORS) {
          errors.add(new Where(where, field.getKey(), -1).path() + ": the key " + keyProblem);
          found[0]++;
        }
      }
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        checkValue(field.getValue(), new Where(where, field.getKey(), -1), errors, found);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        checkValue(node.get(i), new Where(where, null, i), errors, found);
      }
    }
    if (problem != null) {
      String path = where.path();
      errors.add((path.isEmpty() ? "event" : path) + ": " + problem);
      found[0]++;
    }
  }

  /** Where a value stands in the event (a key or an array index under its parent), as text only on demand. */
  private record Where(Where parent, String key, int index) {
    static final Where ROOT = new Where(null, null, -1);

    String path() {
      if (parent == null) {
        return "";
      }
      String up = parent.path();
      if (key != null) {
        return up.isEmpty() ? printable(key) : up + "." + printable(key);
      }
      return up + "[" + index + "]";
    }
  }

  /** Null when the text is valid UTF-16; otherwise what is wrong, naming the lone half as an escape. */
  private static String unpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
          continue;
        }
      } else if (!Character.isLowSurrogate(c)) {
        continue;
      }
      return String.format("contains an unpaired surrogate (\\u%04X) at character %d; send valid Unicode text",
          (int) c, i);
    }
    return null;
  }

  private static boolean fitsAJavaScriptNumber(JsonNode number) {
    if (number.isBigDecimal() || number.isBigInteger()) {
      BigDecimal value = number.decimalValue();
      double asDouble = value.doubleValue();
      return value.signum() == 0 || (!Double.isInfinite(asDouble) && asDouble != 0.0);
    }
    return true;
  }

  private static String shortNumber(JsonNode number) {
    String text = number.decimalValue().toString();
    return text.length() > 40 ? text.substring(0, 40) + "…" : text;
  }

  /** Sent text as it may appear in an error: control characters and unpaired surrogates escaped, cut at 40. */
  private static String printable(String key) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < key.length() && out.length() < 40; i++) {
      char c = key.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1));
      if (paired) {
        out.append(c).append(key.charAt(++i));
      } else if (Character.isSurrogate(c) || Character.isISOControl(c)) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.length() < key.length() && out.length() >= 40 ? out + "…" : out.toString();
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
    return "\"" + printable(node.asText()) + "\"";
  }

  private static List<String> sorted() {
    return TYPES.stream().sorted().toList();
  }
}
