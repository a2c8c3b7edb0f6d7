package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"@template": "Viewed {{name}}"}}: text with {@code {{path}}} (or {@code {{{path}}}})
 * placeholders; a placeholder whose path is missing or null becomes the empty string. Always
 * resolves to a string, never to nothing.
 */
final class TemplateDirective implements Value {
  /** A compiled template: literal text and paths, in order. */
  private final List<Object> parts;
  private final Value dynamicTemplate;
  private final String at;

  private TemplateDirective(List<Object> parts, Value dynamicTemplate, String at) {
    this.parts = parts;
    this.dynamicTemplate = dynamicTemplate;
    this.at = at;
  }

  static Value compile(DirectiveCompiler c, JsonNode option, String at) {
    if (option.isTextual()) {
      return new TemplateDirective(parse(option.textValue()), null, at);
    }
    if (DirectiveCompiler.isDirective(option)) {
      return new TemplateDirective(null, c.compile(option, at), at);
    }
    throw c.context().fieldError(at, "@template takes a string, got " + JsText.describe(option),
        "write it like {\"@template\": \"Viewed {{properties.title}}\"}");
  }

  @Override
  public JsonNode resolve(JsonNode event) {
    List<Object> p = parts;
    if (p == null) {
      JsonNode t = dynamicTemplate.resolve(event);
      if (t == null || !t.isTextual()) {
        throw new MappingFailure(at, "the template resolved to " + JsText.describe(t) + ", not a string");
      }
      p = parse(t.textValue());
    }
    StringBuilder out = new StringBuilder();
    for (Object part : p) {
      if (part instanceof FieldPath path) {
        out.append(JsText.forTemplate(path.resolve(event)));
      } else {
        out.append((String) part);
      }
    }
    return TextNode.valueOf(out.toString());
  }

  /**
   * Mirrors mapping-kit's two regular expressions ({@code \{\{\{([^}]+)\}\}\}} then
   * {@code \{\{([^}]+)\}\}}), leftmost first; unmatched braces stay literal text.
   */
  static List<Object> parse(String template) {
    List<Object> parts = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      int end = placeholderEnd(template, i, 3);
      int braces = 3;
      if (end < 0) {
        end = placeholderEnd(template, i, 2);
        braces = 2;
      }
      if (end < 0) {
        text.append(template.charAt(i++));
        continue;
      }
      if (text.length() > 0) {
        parts.add(text.toString());
        text.setLength(0);
      }
      parts.add(FieldPath.parseMappingKit(template.substring(i + braces, end).trim()));
      i = end + braces;
    }
    if (text.length() > 0) {
      parts.add(text.toString());
    }
    return List.copyOf(parts);
  }

  /** Offset of the closing braces of a placeholder opening at {@code i}, or -1. */
  private static int placeholderEnd(String s, int i, int braces) {
    String open = "{".repeat(braces);
    if (!s.startsWith(open, i)) {
      return -1;
    }
    int j = i + braces;
    int contentStart = j;
    while (j < s.length() && s.charAt(j) != '}') {
      j++;
    }
    if (j == contentStart || !s.startsWith("}".repeat(braces), j)) {
      return -1;
    }
    return j;
  }
}
