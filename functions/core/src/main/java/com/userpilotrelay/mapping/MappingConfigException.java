package com.userpilotrelay.mapping;

/**
 * A mappings file (or one of its triggers) that cannot work. Thrown at start-up, never per event: a
 * broken configuration must stop the relay instead of silently skipping or mangling events. The
 * message names the mapping (index and name), the field, the problem and what to change.
 */
public final class MappingConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MappingConfigException(String message) {
    super(message);
  }

  public MappingConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
