package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** {@code {"@path": "$.traits.email"}}: the value at a path in the event; a missing path is nothing. */
final class PathDirective implements Value {
  private final FieldPath path;
  private final Value dynamicPath;
  private final String at;

  private PathDirective(FieldPath path, Value dynamicPath, String at) {
    this.path = path;
    this.dynamicPath = dynamicPath;
    this.at = at;
  }

  static Value compile(DirectiveCompiler c, JsonNode option, String at) {
    if (option.isTextual()) {
      return new PathDirective(FieldPath.parseMappingKit(option.textValue()), null, at);
    }
    if (option.isArray() && allText(option)) {
      // mapping-kit also takes the names as a list, for keys that contain dots.
      List<String> segments = new ArrayList<>();
      option.forEach(s -> segments.add(s.textValue()));
      return new PathDirective(FieldPath.of(segments), null, at);
    }
    if (DirectiveCompiler.isDirective(option)) {
      return new PathDirective(null, c.compile(option, at), at);
    }
    throw c.context().fieldError(at, "@path takes a path string, got " + JsText.describe(option),
        "write it like {\"@path\": \"$.traits.email\"}");
  }

  @Override
  public JsonNode resolve(JsonNode event) {
    if (path != null) {
      return path.resolve(event);
    }
    JsonNode p = dynamicPath.resolve(event);
    if (p == null || !p.isTextual()) {
      throw new MappingFailure(at, "the path resolved to " + JsText.describe(p) + ", not a string");
    }
    return FieldPath.parseMappingKit(p.textValue()).resolve(event);
  }

  private static boolean allText(JsonNode array) {
    for (JsonNode item : array) {
      if (!item.isTextual()) {
        return false;
      }
    }
    return true;
  }
}
