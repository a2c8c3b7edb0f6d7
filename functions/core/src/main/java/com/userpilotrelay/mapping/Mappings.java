package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The mappings in force: which Userpilot requests an event becomes. Either the presets (identify,
 * group, track and delete with Segment's defaults) or a user's mappings file in Segment's export
 * format. Compiled once; immutable and safe to share between threads.
 */
public final class Mappings {
  /** Segment allows 50 mappings per destination instance; so does the relay. */
  public static final int MAX_MAPPINGS = 50;

  private static final Mappings PRESETS = buildPresets();

  private final List<CompiledMapping> mappings;

  private Mappings(List<CompiledMapping> mappings) {
    this.mappings = mappings;
  }

  /** identifyUser (type = "identify"), identifyCompany ("group"), trackEvent ("track"), deleteUser ("delete"). */
  public static Mappings presets() {
    return PRESETS;
  }

  /** @throws MappingConfigException naming the mapping, the field and the fix when the file cannot work */
  public static Mappings parse(String json) {
    return new Mappings(MappingFileParser.parse(json, null));
  }

  /** {@link #parse} a file; errors name the file too. */
  public static Mappings load(Path file) {
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MappingConfigException("cannot read the mappings file " + file + ": " + e, e);
    }
    return new Mappings(MappingFileParser.parse(json, file.toString()));
  }

  /**
   * One result per enabled mapping whose trigger matches, in file order; an empty list means the
   * event is skipped. A mapping that cannot turn this event into a valid request yields a result
   * with {@link MappedRequest#error()} set (the caller dead-letters it) instead of throwing.
   */
  public List<MappedRequest> map(JsonNode event) {
    Objects.requireNonNull(event, "event");
    if (!event.isObject()) {
      throw new IllegalArgumentException("an event is a JSON object, got " + event.getNodeType());
    }
    List<MappedRequest> out = new ArrayList<>(2);
    for (CompiledMapping m : mappings) {
      if (m.matches(event)) {
        out.add(m.apply(event));
      }
    }
    return List.copyOf(out);
  }

  /** How many mappings the file defines, disabled ones included. */
  public int size() {
    return mappings.size();
  }

  private static Mappings buildPresets() {
    List<CompiledMapping> presets = new ArrayList<>();
    for (Action a : Actions.ALL) {
      presets.add(CompiledMapping.compile(ConfigContext.preset(a.presetName()), a.presetName(), true,
          Trigger.parse(a.presetTrigger()), a, Json.object()));
    }
    return new Mappings(List.copyOf(presets));
  }
}
