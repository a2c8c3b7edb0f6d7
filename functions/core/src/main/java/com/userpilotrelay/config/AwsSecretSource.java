package com.userpilotrelay.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.json.Json;
import java.io.IOException;

/** Secrets Manager (secrets) and SSM Parameter Store (the mappings JSON), read once at start-up. */
public final class AwsSecretSource implements SecretSource {
  private final AwsJsonApi api;

  public AwsSecretSource() {
    this(null);
  }

  AwsSecretSource(AwsJsonApi api) {
    this.api = api;
  }

  private AwsJsonApi api() {
    return api != null ? api : AwsJsonApi.fromEnvironment();
  }

  @Override
  public String read(String arn) {
    try {
      JsonNode answer = api().call("secretsmanager", "secretsmanager.GetSecretValue", Json.object().put("SecretId", arn));
      JsonNode value = answer.get("SecretString");
      if (value == null || !value.isTextual()) {
        throw new ConfigException("secret " + arn + " has no SecretString; store the value as text");
      }
      return value.asText();
    } catch (IOException | RuntimeException e) {
      if (e instanceof ConfigException c) {
        throw c;
      }
      throw new ConfigException("cannot read secret " + arn + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String parameter(String name) {
    try {
      JsonNode answer = api().call("ssm", "AmazonSSM.GetParameter",
          Json.object().put("Name", name).put("WithDecryption", true));
      return answer.path("Parameter").path("Value").asText();
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(Setting.MAPPINGS_PARAMETER.name() + ": cannot read parameter " + name + ": "
          + e.getMessage(), e);
    }
  }
}
