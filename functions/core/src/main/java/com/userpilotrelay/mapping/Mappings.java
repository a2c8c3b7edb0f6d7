package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** Placeholder until the mapping engine lands (branch mapping); same public surface. */
public final class Mappings {
  private Mappings() {}

  public static Mappings presets() {
    return new Mappings();
  }

  public static Mappings parse(String json) {
    throw new UnsupportedOperationException("mapping engine not merged yet");
  }

  public static Mappings load(java.nio.file.Path file) {
    throw new UnsupportedOperationException("mapping engine not merged yet");
  }

  public List<MappedRequest> map(JsonNode event) {
    throw new UnsupportedOperationException("mapping engine not merged yet");
  }

  public int size() {
    return 0;
  }
}
