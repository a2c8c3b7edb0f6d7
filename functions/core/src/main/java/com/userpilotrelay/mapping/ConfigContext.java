package com.userpilotrelay.mapping;

/**
 * Where in the mappings file something is being compiled, so every start-up error names the file,
 * the mapping (index and name) and the field.
 */
final class ConfigContext {
  private final String prefix;

  private ConfigContext(String prefix) {
    this.prefix = prefix;
  }

  /** For the file as a whole (before any mapping is known). */
  static ConfigContext file(String source) {
    return new ConfigContext(source == null ? "mappings file" : source);
  }

  /** For one entry of the {@code mappings} array. */
  ConfigContext mapping(int index, String name) {
    String label = "mappings[" + index + "]" + (name == null ? " (unnamed)" : " \"" + name + "\"");
    return new ConfigContext(prefix.equals("mappings file") ? label : prefix + ": " + label);
  }

  /** The built-in presets: an error here is a bug in the relay, not in anyone's file. */
  static ConfigContext preset(String name) {
    return new ConfigContext("preset \"" + name + "\"");
  }

  MappingConfigException error(String problem, String fix) {
    return new MappingConfigException(prefix + ": " + problem + fixSuffix(fix));
  }

  /** An entry key such as {@code action} or {@code subscribe}. */
  MappingConfigException error(String key, String problem, String fix) {
    return new MappingConfigException(prefix + ", " + key + ": " + problem + fixSuffix(fix));
  }

  /** A field of the action, {@code at} being its path inside {@code mapping} (traits.email.@replace). */
  MappingConfigException fieldError(String at, String problem, String fix) {
    return error("mapping." + at, problem, fix);
  }

  private static String fixSuffix(String fix) {
    return fix == null || fix.isEmpty() ? "" : " — " + fix;
  }
}
