package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code {"@replace": {"pattern", "replacement"?, "pattern2"?, "replacement2"?, "ignorecase"?,
 * "global"?, "value"}}}: replaces literal text (never a regular expression, in the pattern or the
 * replacement). Every occurrence unless {@code global} is false; case-sensitive unless
 * {@code ignorecase}. Numbers and booleans are replaced in their text form, as in mapping-kit.
 */
final class ReplaceDirective implements Value {
  private final Pattern pattern;
  private final String replacement;
  private final Pattern pattern2;
  private final String replacement2;
  private final boolean global;
  private final Value value;

  private ReplaceDirective(Pattern pattern, String replacement, Pattern pattern2, String replacement2,
      boolean global, Value value) {
    this.pattern = pattern;
    this.replacement = replacement;
    this.pattern2 = pattern2;
    this.replacement2 = replacement2;
    this.global = global;
    this.value = value;
  }

  static Value compile(DirectiveCompiler c, JsonNode raw, String at) {
    Options o = Options.of(c.context(), "@replace", at, raw,
        "pattern", "replacement", "pattern2", "replacement2", "ignorecase", "global", "value");
    String pattern = o.requireString("pattern", "add the text to look for, e.g. \"pattern\": \"@\"");
    if (pattern.isEmpty()) {
      throw o.error("\"pattern\" is empty", "give the text to look for");
    }
    String pattern2 = o.optionalString("pattern2", null);
    if (pattern2 != null && pattern2.isEmpty()) {
      throw o.error("\"pattern2\" is empty", "remove it or give a second text to look for");
    }
    if (pattern2 == null && o.has("replacement2")) {
      throw o.error("\"replacement2\" is given without \"pattern2\"", "add \"pattern2\" or remove \"replacement2\"");
    }
    JsonNode value = o.require("value", "add the value to change, e.g. \"value\": {\"@path\": \"$.traits.email\"}");
    boolean ignoreCase = o.optionalBoolean("ignorecase", false);
    return new ReplaceDirective(
        literal(pattern, ignoreCase),
        Matcher.quoteReplacement(o.optionalString("replacement", "")),
        pattern2 == null ? null : literal(pattern2, ignoreCase),
        Matcher.quoteReplacement(o.optionalString("replacement2", "")),
        o.optionalBoolean("global", true),
        c.compile(value, o.at("value")));
  }

  @Override
  public JsonNode resolve(JsonNode event) {
    JsonNode v = value.resolve(event);
    if (v == null || v.isNull() || v.isContainerNode()) {
      return v;
    }
    String s = v.isTextual() ? v.textValue() : JsText.forTemplate(v);
    s = replace(pattern, s, replacement);
    if (pattern2 != null) {
      s = replace(pattern2, s, replacement2);
    }
    return TextNode.valueOf(s);
  }

  private String replace(Pattern p, String s, String with) {
    Matcher m = p.matcher(s);
    return global ? m.replaceAll(with) : m.replaceFirst(with);
  }

  private static Pattern literal(String text, boolean ignoreCase) {
    return Pattern.compile(Pattern.quote(text), ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0);
  }
}
