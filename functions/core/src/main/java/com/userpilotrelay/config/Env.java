package com.userpilotrelay.config;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The one place settings are read. Values come from the process environment or, in tests, a map. */
public final class Env {
  private final Function<String, String> source;

  private Env(Function<String, String> source) {
    this.source = source;
  }

  public static Env system() {
    return new Env(System::getenv);
  }

  public static Env of(Map<String, String> values) {
    Map<String, String> copy = Map.copyOf(values);
    return new Env(copy::get);
  }

  /** True inside an AWS Lambda execution environment. */
  public boolean inLambda() {
    String name = source.apply("AWS_LAMBDA_FUNCTION_NAME");
    return name != null && !name.isBlank();
  }

  public Optional<String> optional(Setting setting) {
    String value = source.apply(setting.name());
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  public String required(Setting setting) {
    return optional(setting).orElseThrow(() -> new ConfigException(
        setting.name() + ": is required (" + setting.description() + "); set it in the environment"));
  }

  public int integer(Setting setting, int defaultValue, int min, int max) {
    Optional<String> value = optional(setting);
    if (value.isEmpty()) {
      return defaultValue;
    }
    try {
      int parsed = Integer.parseInt(value.get());
      if (parsed < min || parsed > max) {
        throw new ConfigException(setting.name() + ": " + parsed + " is out of range; use a whole number from "
            + min + " to " + max);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new ConfigException(setting.name() + ": \"" + value.get() + "\" is not a whole number; use one from "
          + min + " to " + max);
    }
  }

  public boolean flag(Setting setting) {
    Optional<String> value = optional(setting);
    if (value.isEmpty()) {
      return false;
    }
    return switch (value.get().toLowerCase()) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new ConfigException(setting.name() + ": \"" + value.get() + "\" is not true or false");
    };
  }

  /** An absolute http(s) URL, or a start-up error naming the setting. */
  public URI url(Setting setting, String defaultValue) {
    String value = optional(setting).orElse(defaultValue);
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getHost().isBlank()) {
        throw new ConfigException(setting.name() + ": \"" + value + "\" is not an absolute http(s) URL; use e.g. "
            + defaultValue);
      }
      if (uri.getQuery() != null || uri.getFragment() != null) {
        throw new ConfigException(setting.name() + ": \"" + value + "\" must not have a query or fragment");
      }
      return uri;
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(setting.name() + ": \"" + value + "\" is not a valid URL; use e.g. " + defaultValue);
    }
  }

  /**
   * A secret: from Secrets Manager when its ARN setting is set; from the plain variable only outside
   * Lambda (a plain environment variable is visible to anyone who can read the function's configuration).
   */
  public Optional<String> secret(Setting arnSetting, Setting plainSetting, SecretSource secrets) {
    Optional<String> arn = optional(arnSetting);
    Optional<String> plain = optional(plainSetting);
    if (plain.isPresent() && inLambda()) {
      throw new ConfigException(plainSetting.name() + ": plain secrets are refused in Lambda; store the value in "
          + "Secrets Manager and set " + arnSetting.name() + " to its ARN");
    }
    if (arn.isPresent()) {
      String value = secrets.read(arn.get());
      if (value == null || value.isBlank()) {
        throw new ConfigException(arnSetting.name() + ": the secret is empty; put its value with "
            + "aws secretsmanager put-secret-value");
      }
      return Optional.of(value.trim());
    }
    return plain;
  }
}
