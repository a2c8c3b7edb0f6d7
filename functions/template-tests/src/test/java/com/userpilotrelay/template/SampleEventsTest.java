package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.userpilotrelay.testing.SharedFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The sample events in events/: complete HTTP API (payload 2.0) and SQS events, as `sam local invoke`
 * and the handler tests use them, with credentials that match the local-dev secret and token.
 */
class SampleEventsTest {
  static final String LOCAL_SECRET = "local-dev-secret";
  static final String LOCAL_TOKEN = "local-dev-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> SEGMENT_TYPES = Set.of("identify", "track", "group", "page", "screen", "alias", "delete");

  static Path eventsDir() {
    return SharedFixtures.projectRoot().resolve("events");
  }

  static List<Path> httpEvents() throws IOException {
    return list("apigw-");
  }

  static List<Path> sqsEvents() throws IOException {
    return list("sqs-");
  }

  private static List<Path> list(String prefix) throws IOException {
    try (Stream<Path> files = Files.list(eventsDir())) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".json"))
          .sorted().toList();
    }
  }

  @Test
  void everyJsonFileIsASampleEventOfAKnownKind() throws IOException {
    try (Stream<Path> files = Files.list(eventsDir())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        String name = file.getFileName().toString();
        assertTrue(name.startsWith("apigw-") || name.startsWith("sqs-"), name + " is neither apigw-* nor sqs-*");
        JSON.readTree(file.toFile());
      }
    }
    assertTrue(httpEvents().size() >= 8 && sqsEvents().size() >= 1);
  }

  /** Covers what the brief asks for: each event type, each body shape, each credential, base64. */
  @Test
  void theSamplesCoverEveryShapeAndCredential() throws IOException {
    for (String name : List.of("apigw-identify.json", "apigw-track.json", "apigw-group.json", "apigw-batch-array.json",
        "apigw-batch-object.json", "apigw-signed.json", "apigw-bearer-token.json", "apigw-base64-body.json",
        "sqs-identify-track.json")) {
      assertTrue(Files.isRegularFile(eventsDir().resolve(name)), "events/" + name);
    }
    JsonNode signed = JSON.readTree(eventsDir().resolve("apigw-signed.json").toFile()).path("headers");
    assertTrue(signed.has("x-signature") && !signed.has("authorization"), "apigw-signed.json carries the signature alone");
    JsonNode bearer = JSON.readTree(eventsDir().resolve("apigw-bearer-token.json").toFile()).path("headers");
    assertTrue(bearer.has("authorization") && !bearer.has("x-signature"), "apigw-bearer-token.json carries the token alone");
    assertTrue(JSON.readTree(eventsDir().resolve("apigw-base64-body.json").toFile()).path("isBase64Encoded").asBoolean());
  }

  @ParameterizedTest
  @MethodSource("httpEvents")
  void httpEventsAreWhatTheHttpApiDelivers(Path file) throws IOException {
    JsonNode event = JSON.readTree(file.toFile());
    String name = file.getFileName().toString();
    assertEquals("2.0", event.path("version").asText(), name);
    assertEquals("POST /segment", event.path("routeKey").asText(), name);
    assertEquals("/segment", event.path("rawPath").asText(), name);
    assertTrue(event.has("rawQueryString"), name);
    JsonNode context = event.path("requestContext");
    assertEquals("POST /segment", context.path("routeKey").asText(), name);
    assertEquals("$default", context.path("stage").asText(), name);
    assertEquals("POST", context.path("http").path("method").asText(), name);
    assertEquals("/segment", context.path("http").path("path").asText(), name);
    for (String field : List.of("accountId", "apiId", "domainName", "requestId", "time", "timeEpoch")) {
      assertTrue(context.has(field), name + " requestContext." + field);
    }
    event.path("headers").fieldNames().forEachRemaining(h -> assertEquals(h.toLowerCase(), h, name + ": header " + h
        + " is not lower-case, as HTTP API delivers headers"));
    assertEquals("application/json", event.path("headers").path("content-type").asText(), name);
    assertTrue(event.path("body").isTextual() && event.path("isBase64Encoded").isBoolean(), name);

    byte[] body = rawBody(event);
    assertEquals(Integer.toString(body.length), event.path("headers").path("content-length").asText(),
        name + ": content-length is not the body's length in bytes");
    JsonNode parsed = JSON.readTree(body);
    for (JsonNode segmentEvent : eventsOf(parsed)) {
      assertTrue(SEGMENT_TYPES.contains(segmentEvent.path("type").asText()), name + ": type " + segmentEvent.path("type"));
      assertFalse(segmentEvent.path("messageId").asText().isBlank(), name + ": every sample event has a messageId");
    }

    // The runtime's own deserialization, as sam local invoke and Lambda do it.
    APIGatewayV2HTTPEvent loaded = EventLoader.loadApiGatewayHttpEvent(file.toString());
    assertEquals("POST /segment", loaded.getRouteKey());
    assertEquals(event.path("body").asText(), loaded.getBody());
    assertEquals(event.path("isBase64Encoded").asBoolean(), loaded.getIsBase64Encoded());
    assertEquals("POST", loaded.getRequestContext().getHttp().getMethod());
  }

  /** X-Signature = lowercase hex HMAC-SHA1(local-dev-secret) over the raw body (an array: its first element). */
  @ParameterizedTest
  @MethodSource("httpEvents")
  void credentialsMatchTheLocalDevSecretAndToken(Path file) throws IOException, GeneralSecurityException {
    JsonNode event = JSON.readTree(file.toFile());
    JsonNode headers = event.path("headers");
    assertTrue(headers.has("x-signature") || headers.has("authorization"), file + " carries no credential");
    if (headers.has("x-signature")) {
      byte[] body = rawBody(event);
      byte[] signed = body.length > 0 && body[0] == '[' ? firstElementBytes(body) : body;
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(LOCAL_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      assertEquals(HexFormat.of().formatHex(mac.doFinal(signed)), headers.path("x-signature").asText(),
          file + ": x-signature does not match (recompute it as events/README.md says)");
    }
    if (headers.has("authorization")) {
      assertEquals("Bearer " + LOCAL_TOKEN, headers.path("authorization").asText(), file.toString());
    }
  }

  @ParameterizedTest
  @MethodSource("sqsEvents")
  void sqsEventsAreWhatTheEventSourceDelivers(Path file) throws Exception {
    JsonNode records = JSON.readTree(file.toFile()).path("Records");
    String name = file.getFileName().toString();
    assertTrue(records.isArray() && !records.isEmpty(), name);
    for (JsonNode record : records) {
      for (String field : List.of("messageId", "receiptHandle", "body", "md5OfBody", "eventSourceARN", "awsRegion")) {
        assertFalse(record.path(field).asText().isBlank(), name + " record." + field);
      }
      assertEquals("aws:sqs", record.path("eventSource").asText(), name);
      JsonNode attributes = record.path("attributes");
      int receiveCount = Integer.parseInt(attributes.path("ApproximateReceiveCount").asText());
      assertTrue(receiveCount >= 1, name);
      for (String field : List.of("SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")) {
        assertFalse(attributes.path(field).asText().isBlank(), name + " attributes." + field);
      }
      String body = record.path("body").asText();
      assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body.getBytes(StandardCharsets.UTF_8))),
          record.path("md5OfBody").asText(), name + ": md5OfBody");
      JsonNode segmentEvent = JSON.readTree(body);
      assertTrue(SEGMENT_TYPES.contains(segmentEvent.path("type").asText()), name);
      JsonNode messageAttributes = record.path("messageAttributes");
      assertFalse(messageAttributes.isEmpty(), name + " has message attributes");
      messageAttributes.properties().forEach(a -> {
        assertEquals("String", a.getValue().path("dataType").asText(), name + " " + a.getKey());
        assertTrue(a.getValue().path("stringValue").isTextual(), name + " " + a.getKey());
      });
      assertEquals(segmentEvent.path("messageId").asText(), messageAttributes.path("messageId").path("stringValue").asText());
      assertEquals(segmentEvent.path("type").asText(), messageAttributes.path("type").path("stringValue").asText());
    }

    SQSEvent loaded = EventLoader.loadSQSEvent(file.toString());
    assertEquals(records.size(), loaded.getRecords().size());
    SQSEvent.SQSMessage first = loaded.getRecords().get(0);
    assertNotNull(first.getAttributes().get("ApproximateReceiveCount"), name);
    assertEquals(records.get(0).path("body").asText(), first.getBody());
    assertFalse(first.getMessageAttributes().isEmpty(), name);
  }

  /** The past-horizon sample was first received longer ago than the template's default retry horizon. */
  @Test
  void thePastHorizonSampleIsOlderThanTheDefaultHorizon() throws IOException {
    JsonNode record = JSON.readTree(eventsDir().resolve("sqs-past-horizon.json").toFile()).path("Records").path(0);
    long first = record.path("attributes").path("ApproximateFirstReceiveTimestamp").asLong();
    long horizonHours = Template.load().parameter("RetryHorizonHours").path("Default").asLong();
    assertTrue(System.currentTimeMillis() - first > java.time.Duration.ofHours(horizonHours).toMillis());
  }

  /** Every SQS sample record is what the FIFO events queue hands out: a group and ingest's stamp. */
  @Test
  void sqsSamplesComeFromTheFifoQueueAndCarryIngestsStamp() throws IOException {
    for (String name : List.of("sqs-identify-track.json", "sqs-past-horizon.json")) {
      for (JsonNode record : JSON.readTree(eventsDir().resolve(name).toFile()).path("Records")) {
        assertTrue(record.path("attributes").path("MessageGroupId").asText().startsWith("g-"), name);
        assertEquals("ingest-v1", record.path("messageAttributes").path("relayStamp").path("stringValue").asText(), name);
        assertTrue(record.path("eventSourceARN").asText().endsWith(".fifo"), name);
      }
    }
  }

  private static byte[] rawBody(JsonNode event) {
    String body = event.path("body").asText();
    return event.path("isBase64Encoded").asBoolean()
        ? Base64.getDecoder().decode(body) : body.getBytes(StandardCharsets.UTF_8);
  }

  private static List<JsonNode> eventsOf(JsonNode body) {
    JsonNode events = body.isArray() ? body : body.has("batch") ? body.path("batch") : null;
    return events == null ? List.of(body) : java.util.stream.StreamSupport.stream(events.spliterator(), false).toList();
  }

  /** The raw bytes of an array's first element as they stand in the body (what Segment signs). */
  private static byte[] firstElementBytes(byte[] body) throws IOException {
    try (var parser = JSON.getFactory().createParser(body)) {
      parser.nextToken(); // [
      parser.nextToken(); // first element's start
      long start = parser.currentTokenLocation().getByteOffset();
      parser.skipChildren();
      long end = parser.currentLocation().getByteOffset();
      return java.util.Arrays.copyOfRange(body, (int) start, (int) end);
    }
  }
}
