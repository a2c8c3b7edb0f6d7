package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** A path into an event, compiled once: used by {@code @path}, {@code @template} and triggers. */
final class FieldPath {
  private static final FieldPath ROOT = new FieldPath(List.of());

  private final List<String> segments;

  private FieldPath(List<String> segments) {
    this.segments = List.copyOf(segments);
  }

  static FieldPath of(List<String> segments) {
    return segments.isEmpty() ? ROOT : new FieldPath(segments);
  }

  /**
   * mapping-kit's path syntax: an optional {@code $.} prefix, then names separated by dots or
   * brackets ({@code $.a.b}, {@code a[0].b}). {@code ""}, {@code "$"} and {@code "$."} are the whole
   * event. Quotes inside brackets are part of the name, as in mapping-kit.
   */
  static FieldPath parseMappingKit(String path) {
    String p = path;
    if (p.startsWith("$.")) {
      p = p.substring(2);
    } else if (p.equals("$")) {
      p = "";
    }
    List<String> segments = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c == '.' || c == '[' || c == ']') {
        if (current.length() > 0) {
          segments.add(current.toString());
          current.setLength(0);
        }
      } else {
        current.append(c);
      }
    }
    if (current.length() > 0) {
      segments.add(current.toString());
    }
    return of(segments);
  }

  /** The value at this path, or null when any step is missing (a JSON null is returned as such). */
  JsonNode resolve(JsonNode root) {
    JsonNode node = root;
    for (String segment : segments) {
      if (node == null) {
        return null;
      }
      if (node.isObject()) {
        node = node.get(segment);
      } else if (node.isArray()) {
        int index = arrayIndex(segment);
        node = index < 0 ? null : node.get(index);
      } else {
        // Unlike JavaScript, a string or number has no properties ("abc".length) worth exposing.
        return null;
      }
    }
    return node;
  }

  private static int arrayIndex(String segment) {
    if (segment.isEmpty() || segment.length() > 9) {
      return -1;
    }
    for (int i = 0; i < segment.length(); i++) {
      if (!Character.isDigit(segment.charAt(i))) {
        return -1;
      }
    }
    return Integer.parseInt(segment);
  }

  @Override
  public String toString() {
    return String.join(".", segments);
  }
}
