package com.userpilotrelay.config;

/** A setting is missing or wrong: the relay refuses to start, naming the setting and what to do. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
