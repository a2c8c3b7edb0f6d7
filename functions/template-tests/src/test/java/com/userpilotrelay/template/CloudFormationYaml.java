package com.userpilotrelay.template;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads a CloudFormation YAML template into the JSON tree CloudFormation itself works on: the short forms
 * of its functions ({@code !Ref X}, {@code !GetAtt A.B}, {@code !Sub …}) become their long forms
 * ({@code {"Ref": "X"}}, {@code {"Fn::GetAtt": ["A", "B"]}}, {@code {"Fn::Sub": …}}).
 *
 * <p>Jackson's YAML tree reader would drop the tags and keep only the tagged value, so {@code !Ref Queue}
 * would read as the string "Queue" and {@code !If [c, a, b]} as a plain list: a schema then sees a list
 * where an object or string belongs, and a test cannot tell a reference from a literal. Reading the tags
 * off the parser keeps both right.
 */
final class CloudFormationYaml {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** CloudFormation's short-form function tags (the "Fn::" ones; Ref and Condition have no prefix). */
  private static final Set<String> FUNCTIONS = Set.of("Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs",
      "ImportValue", "Join", "Select", "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or",
      "Length", "ToJsonString");

  private CloudFormationYaml() {}

  static JsonNode read(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(reader);
    }
  }

  static JsonNode read(String yaml) throws IOException {
    return read(new StringReader(yaml));
  }

  private static JsonNode read(Reader reader) throws IOException {
    try (YAMLParser parser = new YAMLFactory().createParser(reader)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new IOException("empty YAML document");
      }
      JsonNode root = value(parser, first);
      if (parser.nextToken() != null) {
        throw new IOException("more than one YAML document");
      }
      return root;
    }
  }

  private static JsonNode value(YAMLParser parser, JsonToken token) throws IOException {
    // The tag belongs to the event that starts this value: read it before descending.
    String tag = parser.getTypeId();
    int line = parser.currentLocation().getLineNr();
    JsonNode node = switch (token) {
      case START_OBJECT -> {
        ObjectNode object = NODES.objectNode();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
          String name = parser.currentName();
          if (object.has(name)) {
            throw new IOException("duplicate key \"" + name + "\" at line " + parser.currentLocation().getLineNr());
          }
          object.set(name, value(parser, parser.nextToken()));
        }
        yield object;
      }
      case START_ARRAY -> {
        ArrayNode array = NODES.arrayNode();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
          array.add(value(parser, t));
        }
        yield array;
      }
      case VALUE_STRING -> NODES.textNode(parser.getText());
      case VALUE_NUMBER_INT -> intOrLong(parser);
      case VALUE_NUMBER_FLOAT -> NODES.numberNode(parser.getDecimalValue());
      case VALUE_TRUE -> NODES.booleanNode(true);
      case VALUE_FALSE -> NODES.booleanNode(false);
      case VALUE_NULL -> NODES.nullNode();
      default -> throw new IOException("unexpected " + token + " at line " + line);
    };
    return tag == null ? node : intrinsic(tag, node, line);
  }

  private static JsonNode intOrLong(YAMLParser parser) throws IOException {
    return switch (parser.getNumberType()) {
      case INT -> NODES.numberNode(parser.getIntValue());
      case LONG -> NODES.numberNode(parser.getLongValue());
      default -> NODES.numberNode(parser.getBigIntegerValue());
    };
  }

  private static JsonNode intrinsic(String tag, JsonNode node, int line) throws IOException {
    if (tag.startsWith("tag:yaml.org,2002:")) {
      return node; // a YAML core tag such as !!str: the value as it is
    }
    return switch (tag) {
      case "Ref", "Condition" -> NODES.objectNode().set(tag, node);
      case "GetAtt" -> NODES.objectNode().set("Fn::GetAtt", node.isTextual() ? getAttList(node.asText(), line) : node);
      default -> {
        if (!FUNCTIONS.contains(tag)) {
          throw new IOException("unknown tag !" + tag + " at line " + line + " (not a CloudFormation function)");
        }
        yield NODES.objectNode().set("Fn::" + tag, node);
      }
    };
  }

  /** {@code !GetAtt Resource.Attribute.Part} is {@code ["Resource", "Attribute.Part"]}. */
  private static ArrayNode getAttList(String text, int line) throws IOException {
    int dot = text.indexOf('.');
    if (dot <= 0 || dot == text.length() - 1) {
      throw new IOException("!GetAtt " + text + " at line " + line + " is not Resource.Attribute");
    }
    return NODES.arrayNode().add(text.substring(0, dot)).add(text.substring(dot + 1));
  }
}
