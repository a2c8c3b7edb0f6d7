package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/** The option object of one directive ({@code {"@replace": {...}}}), checked at start-up. */
final class Options {
  private final ConfigContext ctx;
  private final String directive;
  private final String at;
  private final JsonNode node;

  private Options(ConfigContext ctx, String directive, String at, JsonNode node) {
    this.ctx = ctx;
    this.directive = directive;
    this.at = at;
    this.node = node;
  }

  /** @param at the directive's own path, e.g. traits.email.@replace */
  static Options of(ConfigContext ctx, String directive, String at, JsonNode node, String... allowed) {
    List<String> keys = Arrays.asList(allowed);
    if (node == null || !node.isObject() || DirectiveCompiler.isDirective(node)) {
      throw ctx.fieldError(at, directive + " takes an object with the options " + keys + ", got "
          + JsText.describe(node), "see " + directive + " in mappings/README.md");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!keys.contains(key)) {
        throw ctx.fieldError(at, "unknown option \"" + key + "\" for " + directive, "its options are " + keys);
      }
    }
    return new Options(ctx, directive, at, node);
  }

  boolean has(String key) {
    return node.has(key);
  }

  JsonNode get(String key) {
    return node.get(key);
  }

  JsonNode require(String key, String fix) {
    JsonNode v = node.get(key);
    if (v == null) {
      throw ctx.fieldError(at, directive + " needs \"" + key + "\"", fix);
    }
    return v;
  }

  /** A literal string option, one of {@code choices} when given. */
  String requireString(String key, String fix, String... choices) {
    JsonNode v = require(key, fix);
    if (!v.isTextual() || (choices.length > 0 && !Arrays.asList(choices).contains(v.textValue()))) {
      String expected = choices.length > 0 ? "one of " + Arrays.toString(choices) : "a string";
      throw ctx.fieldError(at, directive + " \"" + key + "\" must be " + expected + ", got " + JsText.describe(v),
          fix);
    }
    return v.textValue();
  }

  String optionalString(String key, String fallback) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isTextual()) {
      throw ctx.fieldError(at, directive + " \"" + key + "\" must be a string, got " + JsText.describe(v), null);
    }
    return v.textValue();
  }

  boolean optionalBoolean(String key, boolean fallback) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw ctx.fieldError(at, directive + " \"" + key + "\" must be true or false, got " + JsText.describe(v), null);
    }
    return v.booleanValue();
  }

  /** Path of one option, for nested directives and their errors. */
  String at(String key) {
    return at + "." + key;
  }

  MappingConfigException error(String problem, String fix) {
    return ctx.fieldError(at, directive + ": " + problem, fix);
  }
}
