package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One mapping, compiled: its trigger, its action and a {@link Value} per action field. */
final class CompiledMapping {
  private record BoundField(FieldSpec spec, Value value) {}

  private final String name;
  private final boolean enabled;
  private final Trigger trigger;
  private final Action action;
  private final List<BoundField> fields;

  private CompiledMapping(String name, boolean enabled, Trigger trigger, Action action, List<BoundField> fields) {
    this.name = name;
    this.enabled = enabled;
    this.trigger = trigger;
    this.action = action;
    this.fields = fields;
  }

  /**
   * @param userMapping the {@code mapping} object; fields it leaves out take the action's defaults
   * @throws MappingConfigException naming the mapping and field when anything cannot work
   */
  static CompiledMapping compile(ConfigContext ctx, String name, boolean enabled, Trigger trigger, Action action,
      ObjectNode userMapping) {
    ObjectNode mapping = action.adapt(userMapping);
    rejectUnknownFields(ctx, action, mapping);
    DirectiveCompiler compiler = new DirectiveCompiler(ctx);
    List<BoundField> bound = new ArrayList<>();
    for (FieldSpec spec : action.fields()) {
      JsonNode source = mapping.has(spec.name()) ? mapping.get(spec.name()) : spec.defaultMapping();
      Value value = compiler.compile(source, spec.name());
      checkConstant(ctx, action, spec, value);
      bound.add(new BoundField(spec, value));
    }
    return new CompiledMapping(name, enabled, trigger, action, List.copyOf(bound));
  }

  boolean matches(JsonNode event) {
    return enabled && trigger.matches(event);
  }

  /** The request for this event, or the reason it cannot be made. Never throws a MappingFailure. */
  MappedRequest apply(JsonNode event) {
    try {
      Map<String, JsonNode> values = new LinkedHashMap<>();
      for (BoundField f : fields) {
        JsonNode v = coerce(f.spec(), f.value().resolve(event));
        if (v != null) {
          values.put(f.spec().name(), v);
        }
      }
      UserpilotRequest request = action.perform(new Payload(values));
      // Detach from the event: bodies must not change if someone later touches the event, or vice versa.
      UserpilotRequest detached =
          new UserpilotRequest(request.action(), request.method(), request.path(), request.body().deepCopy());
      return new MappedRequest(name, detached, null);
    } catch (MappingFailure e) {
      return new MappedRequest(name, null, action.key() + " '" + name + "': " + e.where() + ": " + e.problem());
    }
  }

  private static JsonNode coerce(FieldSpec spec, JsonNode raw) {
    JsonNode v;
    try {
      v = spec.kind().coerce(raw);
    } catch (MappingFailure e) {
      throw e.at(spec.name());
    }
    if (v == null && spec.required()) {
      throw new MappingFailure(spec.name(), "required, but the mapping gave "
          + (raw == null ? "nothing" : "the blank value " + JsText.describe(raw)));
    }
    return v;
  }

  /** A field that never depends on the event either always works or never does: find out now. */
  private static void checkConstant(ConfigContext ctx, Action action, FieldSpec spec, Value value) {
    if (value.constant().isEmpty()) {
      return;
    }
    JsonNode constant = value.constant().get();
    try {
      coerce(spec, constant);
    } catch (MappingFailure e) {
      String problem = spec.required() && FieldKind.STRING.equals(spec.kind()) && JsText.isBlank(constant)
          ? action.key() + " needs " + spec.name() + ", but it is mapped to the constant " + JsText.describe(constant)
              + ", so it can never be filled"
          : "the constant " + JsText.describe(constant) + " can never be used: " + e.problem();
      throw ctx.fieldError(spec.name(), problem,
          "map it from the event, e.g. {\"@path\": \"$.…\"}, or leave it out to use the default");
    }
  }

  private static void rejectUnknownFields(ConfigContext ctx, Action action, ObjectNode mapping) {
    List<String> known = new ArrayList<>();
    action.fields().forEach(f -> known.add(f.name()));
    for (Iterator<String> it = mapping.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!known.contains(field)) {
        String hint = field.equals("__segment_internal_directive")
            ? "Segment's root-level directives (@transform) are not supported; remove this key"
            : "the fields of " + action.key() + " are " + known
                + (action.compatibilityFields().isEmpty() ? "" : " (and " + action.compatibilityFields() + ")");
        throw ctx.fieldError(field, "is not a field of " + action.key(), hint);
      }
    }
  }
}
