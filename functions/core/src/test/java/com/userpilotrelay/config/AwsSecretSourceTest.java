package com.userpilotrelay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * The signed JSON calls to Secrets Manager and SSM, against a local HTTP server standing in for the
 * AWS endpoint: what is sent (target, SigV4 authorization, body) and what comes back.
 */
class AwsSecretSourceTest {
  private record Seen(String path, Map<String, List<String>> headers, JsonNode body) {
    String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
          .map(e -> e.getValue().get(0)).orElse(null);
    }
  }

  private HttpServer server;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private volatile int status = 200;
  private volatile String answer = "{}";

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
    server.createContext("/", exchange -> {
      byte[] raw = exchange.getRequestBody().readAllBytes();
      seen.add(new Seen(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()), Json.parse(raw)));
      byte[] out = answer.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, out.length);
      try (OutputStream o = exchange.getResponseBody()) {
        o.write(out);
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private AwsSecretSource source() {
    URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    return new AwsSecretSource(new AwsJsonApi(UrlConnectionHttpClient.create(),
        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret-access-key")),
        "eu-west-1", service -> endpoint));
  }

  @Test
  void readsASecretWithASignedGetSecretValue() {
    answer = "{\"ARN\":\"arn:x\",\"SecretString\":\"the-value\"}";
    assertEquals("the-value", source().read("arn:aws:secretsmanager:eu-west-1:123456789012:secret:relay-AbCdEf"));
    Seen call = seen.get(0);
    assertEquals("secretsmanager.GetSecretValue", call.header("X-Amz-Target"));
    assertEquals("application/x-amz-json-1.1", call.header("Content-Type"));
    String authorization = call.header("Authorization");
    assertTrue(authorization.startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), authorization);
    assertTrue(authorization.contains("/eu-west-1/secretsmanager/aws4_request"), authorization);
    assertTrue(authorization.contains("SignedHeaders=") && authorization.contains("x-amz-target"), authorization);
    assertEquals("arn:aws:secretsmanager:eu-west-1:123456789012:secret:relay-AbCdEf", call.body().get("SecretId").asText());
  }

  @Test
  void readsTheMappingsParameterWithDecryption() {
    answer = "{\"Parameter\":{\"Name\":\"/relay/mappings\",\"Value\":\"{\\\"mappings\\\":[]}\"}}";
    assertEquals("{\"mappings\":[]}", source().parameter("/relay/mappings"));
    Seen call = seen.get(0);
    assertEquals("AmazonSSM.GetParameter", call.header("X-Amz-Target"));
    assertTrue(call.header("Authorization").contains("/eu-west-1/ssm/aws4_request"));
    assertTrue(call.body().get("WithDecryption").asBoolean());
  }

  @Test
  void anAwsErrorNamesTheArnAndTheCauseButNoValue() {
    status = 400;
    answer = "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Secrets Manager can't find the specified secret.\"}";
    ConfigException e = assertThrows(ConfigException.class, () -> source().read("arn:aws:secretsmanager:eu-west-1:1:secret:gone"));
    assertTrue(e.getMessage().contains("arn:aws:secretsmanager:eu-west-1:1:secret:gone"), e.getMessage());
    assertTrue(e.getMessage().contains("400 ResourceNotFoundException"), e.getMessage());
    assertFalse(e.getMessage().contains("secret-access-key"));
  }

  @Test
  void aBinarySecretIsRefusedWithWhatToDo() {
    answer = "{\"SecretBinary\":\"AAEC\"}";
    ConfigException e = assertThrows(ConfigException.class, () -> source().read("arn:bin"));
    assertTrue(e.getMessage().contains("store the value as text"), e.getMessage());
  }

  @Test
  void plainSecretsAreRefusedInLambdaAndArnsWinElsewhere() {
    Env lambda = Env.of(Map.of("AWS_LAMBDA_FUNCTION_NAME", "f", "USERPILOT_API_KEY", "k"));
    ConfigException e = assertThrows(ConfigException.class,
        () -> lambda.secret(Setting.USERPILOT_API_KEY_ARN, Setting.USERPILOT_API_KEY, arn -> "x"));
    assertTrue(e.getMessage().startsWith("USERPILOT_API_KEY: plain secrets are refused in Lambda"), e.getMessage());
    assertFalse(e.getMessage().contains("=k"));
    Env local = Env.of(Map.of("USERPILOT_API_KEY_ARN", "arn:k"));
    assertEquals("from-arn", local.secret(Setting.USERPILOT_API_KEY_ARN, Setting.USERPILOT_API_KEY, arn -> "from-arn").orElseThrow());
  }
}
