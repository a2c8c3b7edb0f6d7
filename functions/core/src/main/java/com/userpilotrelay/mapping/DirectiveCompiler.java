package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns mapping JSON into {@link Value}s once, at start-up, rejecting anything mapping-kit would
 * reject (and a little more: anything that could only ever fail or do nothing) with an error that
 * names the field. Plain JSON values are literals; objects and arrays are resolved recursively, so
 * directives may sit anywhere inside them.
 */
final class DirectiveCompiler {
  static final List<String> SUPPORTED =
      List.of("@path", "@template", "@if", "@literal", "@case", "@replace", "@merge", "@json", "@flatten");
  /** Segment directives a ported mapping may contain but the relay does not implement. */
  static final Set<String> UNSUPPORTED = Set.of("@arrayPath", "@transform", "@excludeWhenNull", "@liquid");
  /** mapping-kit lets the UI keep notes next to a directive; they do not change the value. */
  private static final String METADATA_KEY = "_metadata";

  private final ConfigContext ctx;

  DirectiveCompiler(ConfigContext ctx) {
    this.ctx = ctx;
  }

  ConfigContext context() {
    return ctx;
  }

  static boolean isDirective(JsonNode node) {
    if (node == null || !node.isObject()) {
      return false;
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      if (it.next().startsWith("@")) {
        return true;
      }
    }
    return false;
  }

  /** @param at where this value sits inside {@code mapping}, e.g. traits.email */
  Value compile(JsonNode node, String at) {
    if (node.isObject()) {
      return isDirective(node) ? directive(node, at) : object(node, at);
    }
    if (node.isArray()) {
      List<Value> items = new ArrayList<>();
      for (int i = 0; i < node.size(); i++) {
        items.add(compile(node.get(i), at + "[" + i + "]"));
      }
      return new Value.ArrayOf(List.copyOf(items));
    }
    return new Value.Literal(node);
  }

  private Value object(JsonNode node, String at) {
    Map<String, Value> entries = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      entries.put(e.getKey(), compile(e.getValue(), at + "." + e.getKey()));
    }
    return new Value.ObjectOf(entries);
  }

  private Value directive(JsonNode node, String at) {
    List<String> directives = new ArrayList<>();
    List<String> plain = new ArrayList<>();
    node.fieldNames().forEachRemaining(k -> {
      if (k.startsWith("@")) {
        directives.add(k);
      } else if (!k.equals(METADATA_KEY)) {
        plain.add(k);
      }
    });
    if (directives.size() > 1) {
      throw ctx.fieldError(at, "one object holds several directives " + directives,
          "a directive object has exactly one @-key; nest one directive inside another's options instead");
    }
    String name = directives.get(0);
    if (!plain.isEmpty()) {
      throw ctx.fieldError(at, "the directive " + name + " is mixed with plain keys " + plain,
          "move the plain keys into their own object, e.g. {\"key\": {\"" + name + "\": ...}}");
    }
    String where = at + "." + name;
    JsonNode options = node.get(name);
    return switch (name) {
      case "@path" -> PathDirective.compile(this, options, where);
      case "@template" -> TemplateDirective.compile(this, options, where);
      case "@literal" -> compile(options, where);
      case "@if" -> IfDirective.compile(this, options, where);
      case "@case" -> CaseDirective.compile(this, options, where);
      case "@replace" -> ReplaceDirective.compile(this, options, where);
      case "@merge" -> MergeDirective.compile(this, options, where);
      case "@json" -> JsonDirective.compile(this, options, where);
      case "@flatten" -> FlattenDirective.compile(this, options, where);
      default -> throw unknown(name, at);
    };
  }

  private MappingConfigException unknown(String name, String at) {
    if (UNSUPPORTED.contains(name)) {
      return ctx.fieldError(at, name + " is a Segment directive the relay does not support",
          "rewrite this field with " + SUPPORTED + " (see mappings/README.md, \"Differences from Segment\")");
    }
    return ctx.fieldError(at, "unknown directive " + name,
        "the relay understands " + SUPPORTED + "; a key starting with @ is always read as a directive");
  }
}
