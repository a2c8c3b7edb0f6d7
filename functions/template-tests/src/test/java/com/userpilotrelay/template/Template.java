package com.userpilotrelay.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.testing.SharedFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The project's template.yaml, read once, with the look-ups the tests share. */
final class Template {
  private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([A-Za-z0-9:._]+)}");
  private static Template loaded;

  final Path root;
  final JsonNode tree;

  private Template(Path root, JsonNode tree) {
    this.root = root;
    this.tree = tree;
  }

  static synchronized Template load() {
    if (loaded == null) {
      Path root = SharedFixtures.projectRoot();
      try {
        loaded = new Template(root, CloudFormationYaml.read(root.resolve("template.yaml")));
      } catch (IOException e) {
        throw new UncheckedIOException("template.yaml does not read as CloudFormation YAML", e);
      }
    }
    return loaded;
  }

  JsonNode resource(String logicalId) {
    JsonNode resource = tree.path("Resources").path(logicalId);
    if (resource.isMissingNode()) {
      throw new AssertionError("template.yaml has no resource " + logicalId);
    }
    return resource;
  }

  JsonNode properties(String logicalId) {
    return resource(logicalId).path("Properties");
  }

  Map<String, JsonNode> resourcesOfType(String type) {
    Map<String, JsonNode> found = new LinkedHashMap<>();
    tree.path("Resources").properties().forEach(e -> {
      if (type.equals(e.getValue().path("Type").asText())) {
        found.put(e.getKey(), e.getValue());
      }
    });
    return found;
  }

  /** A function's properties as SAM deploys them: Globals.Function merged under its own. */
  ObjectNode functionProperties(String logicalId) {
    JsonNode globals = tree.path("Globals").path("Function");
    ObjectNode merged = globals.isObject()
        ? ((ObjectNode) globals).deepCopy() : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    mergeInto(merged, properties(logicalId));
    return merged;
  }

  private static void mergeInto(ObjectNode target, JsonNode overrides) {
    overrides.properties().forEach(e -> {
      JsonNode existing = target.get(e.getKey());
      if (existing != null && existing.isObject() && e.getValue().isObject() && !isIntrinsic(e.getValue())) {
        mergeInto((ObjectNode) existing, e.getValue());
      } else {
        target.set(e.getKey(), e.getValue());
      }
    });
  }

  Map<String, JsonNode> environment(String functionId) {
    Map<String, JsonNode> variables = new LinkedHashMap<>();
    functionProperties(functionId).path("Environment").path("Variables").properties()
        .forEach(e -> variables.put(e.getKey(), e.getValue()));
    return variables;
  }

  JsonNode parameter(String name) {
    JsonNode parameter = tree.path("Parameters").path(name);
    if (parameter.isMissingNode()) {
      throw new AssertionError("template.yaml has no parameter " + name);
    }
    return parameter;
  }

  boolean isParameter(String name) {
    return tree.path("Parameters").has(name);
  }

  /** The name X of {@code {"Ref": "X"}}, or null for anything else. */
  static String refName(JsonNode node) {
    return node != null && node.isObject() && node.size() == 1 && node.path("Ref").isTextual()
        ? node.path("Ref").asText() : null;
  }

  /** The resource of {@code {"Fn::GetAtt": [resource, attribute]}}, or null. */
  static String getAttResource(JsonNode node, String attribute) {
    JsonNode args = node == null ? null : node.get("Fn::GetAtt");
    return args != null && args.size() == 2 && args.get(1).asText().equals(attribute) ? args.get(0).asText() : null;
  }

  static boolean isIntrinsic(JsonNode node) {
    if (node == null || !node.isObject() || node.size() != 1) {
      return false;
    }
    String key = node.fieldNames().next();
    return key.equals("Ref") || key.equals("Condition") || key.startsWith("Fn::");
  }

  /** A literal as it stands, or a parameter reference as the parameter's default; anything else fails. */
  JsonNode valueWithDefaults(JsonNode node) {
    String ref = refName(node);
    if (ref != null) {
      JsonNode value = parameter(ref).get("Default");
      if (value == null) {
        throw new AssertionError("parameter " + ref + " has no default");
      }
      return value;
    }
    if (isIntrinsic(node)) {
      throw new AssertionError("expected a literal or a parameter reference, found " + node);
    }
    return node;
  }

  long number(JsonNode node) {
    JsonNode value = valueWithDefaults(node);
    return value.isNumber() ? value.asLong() : Long.parseLong(value.asText().trim());
  }

  /** Every template parameter a value mentions: through Ref, or through ${Name} in a Fn::Sub string. */
  Set<String> parametersIn(JsonNode node) {
    Set<String> found = new LinkedHashSet<>();
    collectParameters(node, found);
    return found;
  }

  private void collectParameters(JsonNode node, Set<String> found) {
    if (node == null) {
      return;
    }
    String ref = refName(node);
    if (ref != null && isParameter(ref)) {
      found.add(ref);
    }
    JsonNode sub = node.isObject() ? node.get("Fn::Sub") : null;
    if (sub != null) {
      String text = sub.isArray() ? sub.path(0).asText() : sub.asText();
      Matcher m = SUB_VARIABLE.matcher(text);
      while (m.find()) {
        if (isParameter(m.group(1))) {
          found.add(m.group(1));
        }
      }
    }
    for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
      collectParameters(it.next(), found);
    }
  }

  /** The statements of a role's inline policies, with both branches of a conditional statement. */
  List<JsonNode> policyStatements(String roleId) {
    List<JsonNode> statements = new ArrayList<>();
    for (JsonNode policy : properties(roleId).path("Policies")) {
      for (JsonNode statement : policy.path("PolicyDocument").path("Statement")) {
        JsonNode conditional = statement.get("Fn::If");
        if (conditional != null) {
          for (int branch = 1; branch <= 2; branch++) {
            if (!"AWS::NoValue".equals(refName(conditional.get(branch)))) {
              statements.add(conditional.get(branch));
            }
          }
        } else {
          statements.add(statement);
        }
      }
    }
    return statements;
  }
}
