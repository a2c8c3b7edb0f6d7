package com.userpilotrelay.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * One SigV4-signed call to an AWS JSON-protocol API (Secrets Manager, SSM). The relay reads two values
 * at start-up; this keeps those services' SDK modules (7 MB together) out of the deployment zips while
 * using the SDK's own signer, credentials chain and HTTP client.
 */
final class AwsJsonApi {
  private final SdkHttpClient http;
  private final AwsCredentialsProvider credentials;
  private final String region;
  private final java.util.function.Function<String, URI> endpoints;

  AwsJsonApi(SdkHttpClient http, AwsCredentialsProvider credentials, String region,
      java.util.function.Function<String, URI> endpoints) {
    this.http = http;
    this.credentials = credentials;
    this.region = region;
    this.endpoints = endpoints;
  }

  /** In Lambda: the function's role credentials and region, the service's regional endpoint. */
  static AwsJsonApi fromEnvironment() {
    String region = System.getenv("AWS_REGION");
    if (region == null || region.isBlank()) {
      throw new ConfigException("AWS_REGION: is not set; Lambda sets it, elsewhere set it to the stack's region");
    }
    // Bounded like the SQS calls: a slow Secrets Manager or SSM must not hold a function past its time.
    return new AwsJsonApi(UrlConnectionHttpClient.builder().connectionTimeout(java.time.Duration.ofSeconds(2))
        .socketTimeout(java.time.Duration.ofSeconds(3)).build(), DefaultCredentialsProvider.builder().build(), region,
        service -> URI.create("https://" + service + "." + region + ".amazonaws.com/"));
  }

  /**
   * @param service the signing name and endpoint prefix ("secretsmanager", "ssm")
   * @param target the X-Amz-Target header ("secretsmanager.GetSecretValue", "AmazonSSM.GetParameter")
   */
  JsonNode call(String service, String target, ObjectNode body) throws IOException {
    byte[] payload = Json.writeBytes(body);
    SdkHttpRequest request = SdkHttpRequest.builder()
        .method(SdkHttpMethod.POST)
        .uri(endpoints.apply(service))
        .putHeader("Content-Type", "application/x-amz-json-1.1")
        .putHeader("X-Amz-Target", target)
        .build();
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(credentials.resolveCredentials())
        .request(request)
        .payload(ContentStreamProvider.fromByteArray(payload))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
        .putProperty(AwsV4HttpSigner.REGION_NAME, region));
    HttpExecuteResponse response = http.prepareRequest(HttpExecuteRequest.builder()
        .request(signed.request())
        .contentStreamProvider(signed.payload().orElse(null))
        .build()).call();
    int status = response.httpResponse().statusCode();
    JsonNode answer;
    try (InputStream in = response.responseBody().map(InputStream.class::cast).orElse(InputStream.nullInputStream())) {
      byte[] bytes = in.readNBytes(1024 * 1024);
      answer = bytes.length == 0 ? Json.object() : Json.MAPPER.readTree(bytes);
    }
    if (status / 100 != 2) {
      // AWS error bodies carry a type and a message, never the secret's value.
      String type = answer.path("__type").asText(answer.path("code").asText("error"));
      String message = answer.path("message").asText(answer.path("Message").asText(""));
      throw new IOException(target + " answered " + status + " " + type + (message.isEmpty() ? "" : ": " + message));
    }
    return answer;
  }
}
