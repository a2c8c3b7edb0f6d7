package com.userpilotrelay.config;

/** Where secret values and parameters are read from at start-up. */
public interface SecretSource {
  /** The secret's string value. Errors name the ARN, never the value. */
  String read(String arn);

  /** The named parameter's value (used for the mappings JSON). */
  default String parameter(String name) {
    throw new ConfigException("MAPPINGS_PARAMETER: this runtime cannot read parameters");
  }

  /** For runs outside AWS: any ARN setting is an error. */
  static SecretSource none() {
    return arn -> {
      throw new ConfigException("a Secrets Manager ARN is set but this runtime cannot reach AWS; use the plain setting");
    };
  }
}
