package com.userpilotrelay.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.queue.QueueMessage;
import com.userpilotrelay.segment.SegmentLimits;
import com.userpilotrelay.testing.RecordingQueue;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IngestServiceTest {
  private static final String SECRET = "local-secret";
  private final RecordingQueue queue = new RecordingQueue();
  private final AtomicInteger ids = new AtomicInteger();
  private final IngestService service = new IngestService(
      new RequestAuthenticator(Optional.of(SECRET), Optional.empty()), queue, () -> "gen-" + ids.incrementAndGet());

  private IngestResponse post(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    byte[] signed = com.userpilotrelay.segment.SegmentBody.signedBytesOf(bytes);
    return service.handle(new IngestRequest(Map.of("Content-Type", "application/json; charset=utf-8",
        "X-Signature", RequestAuthenticator.sign(SECRET, signed == null ? bytes : signed)), bytes));
  }

  private static JsonNode json(IngestResponse r) {
    return Json.parse(r.body());
  }

  @Test
  void validEventsAreEnqueuedWithAttributesAndAnswered200() {
    IngestResponse r = post("[{\"type\":\"identify\",\"userId\":12345,\"messageId\":\"m1\"},"
        + "{\"type\":\"track\",\"anonymousId\":\"a\",\"event\":\"Ünïcode ✓\",\"messageId\":\"m2\"}]");
    assertEquals(200, r.status());
    assertEquals(2, json(r).get("accepted").asInt());
    assertEquals("[\"m1\",\"m2\"]", json(r).get("messageIds").toString());
    assertEquals(2, queue.enqueued.size());
    QueueMessage first = queue.enqueued.get(0);
    assertEquals("identify", first.attributes().get("type"));
    assertEquals("m1", first.attributes().get("messageId"));
    assertEquals("12345", first.attributes().get("userId"));
    // FIFO: one message group per user, deduplicated per Segment messageId within the group.
    assertEquals(com.userpilotrelay.queue.MessageGroups.groupId("user:12345"), first.groupId());
    assertEquals(com.userpilotrelay.queue.MessageGroups.groupId("user:a"), queue.enqueued.get(1).groupId());
    assertEquals(com.userpilotrelay.queue.MessageGroups.deduplicationId("user:12345", "m1"), first.deduplicationId());
    assertTrue(first.groupId().matches("[A-Za-z0-9-]{1,128}") && first.deduplicationId().matches("[A-Za-z0-9-]{1,128}"));
    assertTrue(IngestStamp.marker().verify(first.body(), first.attributes().get(IngestStamp.ATTRIBUTE)),
        "stamped as accepted by ingest");
    assertTrue(Long.parseLong(first.attributes().get(IngestService.ACCEPTED_AT_ATTRIBUTE)) > 0);
    QueueMessage second = queue.enqueued.get(1);
    assertTrue(second.body().chars().allMatch(c -> c < 128), "queue bodies are ASCII-escaped");
    assertEquals("Ünïcode ✓", Json.parse(second.body()).get("event").asText());
    assertTrue(queue.rejected.isEmpty());
  }

  @Test
  void aBadNeighbourDoesNotLoseGoodEventsAndIsQuarantinedWithItsReason() {
    IngestResponse r = post("[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"messageId\":\"ok\"},"
        + "{\"type\":\"track\",\"userId\":\"u\",\"messageId\":\"bad\"}]");
    assertEquals(200, r.status());
    JsonNode answer = json(r);
    assertEquals(1, answer.get("accepted").asInt());
    JsonNode rejected = answer.get("rejected").get(0);
    assertEquals(1, rejected.get("index").asInt());
    assertEquals("bad", rejected.get("messageId").asText());
    assertTrue(rejected.get("errors").get(0).asText().startsWith("event: is required"));
    assertEquals(1, queue.enqueued.size());
    QueueMessage quarantined = queue.rejected.get(0);
    assertEquals("ingest", quarantined.attributes().get("stage"));
    assertTrue(quarantined.attributes().get("reason").startsWith("event 1: event: is required"));
    assertEquals("bad", Json.parse(quarantined.body()).get("messageId").asText());
  }

  @Test
  void allInvalidIs400WithTheRejectedList() {
    IngestResponse r = post("{\"type\":\"group\",\"userId\":\"u\",\"messageId\":\"g\"}");
    assertEquals(400, r.status());
    assertEquals(0, json(r).get("accepted").asInt());
    assertTrue(json(r).get("rejected").get(0).get("errors").get(0).asText().startsWith("groupId:"));
    assertTrue(queue.enqueued.isEmpty());
    assertEquals(1, queue.rejected.size());
  }

  @Test
  void missingMessageIdsAreAssignedAndSaidSo() {
    IngestResponse r = post("{\"type\":\"identify\",\"userId\":\"u\"}");
    assertEquals(200, r.status());
    assertEquals("gen-1", json(r).at("/assigned/0/messageId").asText());
    assertEquals(0, json(r).at("/assigned/0/index").asInt());
    assertEquals("gen-1", Json.parse(queue.enqueued.get(0).body()).get("messageId").asText());
  }

  @Test
  void duplicateMessageIdsInOneRequestAreEnqueuedOnce() {
    IngestResponse r = post("{\"batch\":[{\"type\":\"identify\",\"userId\":\"u\",\"messageId\":\"same\"},"
        + "{\"type\":\"identify\",\"userId\":\"u\",\"messageId\":\"same\"}]}");
    assertEquals(200, r.status());
    assertEquals(1, json(r).get("accepted").asInt());
    assertEquals(1, json(r).at("/duplicates/0/index").asInt());
    assertEquals(1, queue.enqueued.size());
  }

  @Test
  void aQueueThatRefusesMeans503NeverA200() {
    queue.refuseWhen(m -> m.id().equals("m2"));
    IngestResponse r = post("[{\"type\":\"identify\",\"userId\":\"u\",\"messageId\":\"m1\"},"
        + "{\"type\":\"identify\",\"userId\":\"u\",\"messageId\":\"m2\"}]");
    assertEquals(503, r.status());
    assertTrue(json(r).get("error").asText().startsWith("queue:"));
  }

  @Test
  void badCredentialsAre401AndNothingIsStored() {
    byte[] body = "{\"type\":\"identify\",\"userId\":\"u\"}".getBytes(StandardCharsets.UTF_8);
    IngestResponse r = service.handle(new IngestRequest(Map.of("content-type", "application/json",
        "x-signature", RequestAuthenticator.sign("wrong", body)), body));
    assertEquals(401, r.status());
    assertFalse(r.body().contains("signature"), "no hint which part was wrong");
    assertTrue(queue.enqueued.isEmpty() && queue.rejected.isEmpty());
  }

  @Test
  void contentTypeSizeAndSyntaxAreCheckedWithTheirOwnStatus() {
    byte[] body = "{\"type\":\"identify\",\"userId\":\"u\"}".getBytes(StandardCharsets.UTF_8);
    assertEquals(415, service.handle(new IngestRequest(Map.of("content-type", "text/plain"), body)).status());
    assertEquals(415, service.handle(new IngestRequest(Map.of(), body)).status());
    assertEquals(415, service.handle(new IngestRequest(Map.of("content-type", "application/json; charset=latin1"), body)).status());
    byte[] huge = new byte[SegmentLimits.MAX_REQUEST_BYTES + 1];
    assertEquals(413, service.handle(new IngestRequest(Map.of("content-type", "application/json"), huge)).status());
    IngestResponse malformed = post("{\"type\":");
    assertEquals(400, malformed.status());
    assertTrue(json(malformed).get("error").asText().startsWith("body: malformed JSON at line 1"));
  }

  @Test
  void aSingleOversizedEventIs413() {
    String big = "x".repeat(SegmentLimits.MAX_EVENT_BYTES);
    IngestResponse r = post("{\"type\":\"identify\",\"userId\":\"u\",\"traits\":{\"blob\":\"" + big + "\"}}");
    assertEquals(413, r.status());
    assertTrue(queue.enqueued.isEmpty());
  }

  @Test
  void aQuarantinedEventTooBigForTheQueueIsKeptAsItsHead() {
    // 120,000 emoji: a 480 KB event, 1.44 MB once ASCII-escaped for the queue. Stored whole, the dead-letter
    // send failed and ingest answered 503, so Segment would retry a hopeless request for hours.
    String emoji = "\uD83D\uDE00".repeat(120_000);
    IngestResponse r = post("{\"type\":\"identify\",\"userId\":\"u\",\"traits\":{\"e\":\"" + emoji + "\"}}");
    assertEquals(413, r.status());
    QueueMessage kept = queue.rejected.get(0);
    assertTrue(kept.body().length() < 256 * 1024 - 2048, "fits SQS with its attributes: " + kept.body().length());
    JsonNode stub = Json.parse(kept.body());
    assertTrue(stub.get("relayTruncated").asBoolean());
    assertEquals(IngestService.QUARANTINE_HEAD_CHARS, stub.get("head").asText().length());
    assertTrue(stub.get("head").asText().startsWith("{\"type\":\"identify\",\"userId\":\"u\""));
    assertTrue(kept.attributes().get("truncated").startsWith("kept the first 100000 of "));
    assertTrue(kept.attributes().get("reason").contains("over the 32768-byte limit"));
  }

  @Test
  void aBodyThatIsNotUtf8IsA400BeforeCredentialsAreLookedAt() {
    // A UTF-16LE array has no well-defined "first element" to verify a signature over: it was a 401
    // or a 400 depending on how the bytes happened to scan. The encoding is checked like the size.
    byte[] utf16 = "[{\"type\":\"identify\",\"userId\":\"u\"}]".getBytes(StandardCharsets.UTF_16LE);
    IngestResponse r = service.handle(new IngestRequest(Map.of("Content-Type", "application/json"), utf16));
    assertEquals(400, r.status());
    assertTrue(json(r).get("error").asText().startsWith("body: a NUL byte at byte 1;"), r.body());
    assertTrue(queue.enqueued.isEmpty() && queue.rejected.isEmpty());
  }

  private IngestResponse postRaw(byte[] body, Map<String, String> headers) {
    Map<String, String> all = new java.util.HashMap<>(headers);
    all.putIfAbsent("Content-Type", "application/json");
    return service.handle(new IngestRequest(all, body));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anArraySignedOverTheWholeBodyIsAcceptedLikeOneSignedOverItsFirstElement() {
    byte[] body = utf8("[{\"type\":\"identify\",\"userId\":\"u\",\"messageId\":\"w1\"},"
        + "{\"type\":\"identify\",\"userId\":\"v\",\"messageId\":\"w2\"}]");
    IngestResponse whole = postRaw(body, Map.of("X-Signature", RequestAuthenticator.sign(SECRET, body)));
    assertEquals(200, whole.status(), whole.body());
    assertEquals(2, json(whole).get("accepted").asInt());
    IngestResponse second = postRaw(body, Map.of("X-Signature", RequestAuthenticator.sign(SECRET,
        utf8("{\"type\":\"identify\",\"userId\":\"v\",\"messageId\":\"w2\"}"))));
    assertEquals(401, second.status());
    assertEquals(2, queue.enqueued.size());
  }

  @Test
  void aGzipBodyIsDecodedAndItsSignatureCheckedOnTheDecodedJson() throws Exception {
    byte[] json = utf8("[{\"type\":\"identify\",\"userId\":\"gz\",\"messageId\":\"g1\"}]");
    byte[] gz = com.userpilotrelay.testing.Compress.gzip(json);
    String overJson = RequestAuthenticator.sign(SECRET, com.userpilotrelay.segment.SegmentBody.signedBytesOf(json));
    IngestResponse ok = postRaw(gz, Map.of("Content-Encoding", "gzip", "X-Signature", overJson));
    assertEquals(200, ok.status(), ok.body());
    assertEquals("g1", queue.enqueued.get(0).id());
    IngestResponse overCompressed = postRaw(gz, Map.of("Content-Encoding", "gzip",
        "X-Signature", RequestAuthenticator.sign(SECRET, gz)));
    assertEquals(401, overCompressed.status(), "Segment signs the JSON, not its compressed form");
    IngestResponse plainLabelledGzip = postRaw(json, Map.of("Content-Encoding", "gzip", "X-Signature", overJson));
    assertEquals(400, plainLabelledGzip.status());
    IngestResponse brotli = postRaw(gz, Map.of("Content-Encoding", "br", "X-Signature", overJson));
    assertEquals(415, brotli.status());
    assertTrue(json(brotli).get("error").asText().startsWith("content-encoding: \"br\" is not supported"));
    assertEquals(1, queue.enqueued.size());
  }

  @Test
  void aCompressedBodyOverTheLimitOnceDecodedIs413() {
    byte[] spaces = new byte[SegmentLimits.MAX_REQUEST_BYTES + 1];
    java.util.Arrays.fill(spaces, (byte) ' ');
    spaces[0] = '[';
    byte[] gz = com.userpilotrelay.testing.Compress.gzip(spaces);
    assertTrue(gz.length < 100_000);
    IngestResponse r = postRaw(gz, Map.of("Content-Encoding", "gzip"));
    assertEquals(413, r.status());
    assertTrue(json(r).get("error").asText().contains("once decompressed"), r.body());
  }

  @Test
  void aBodyOverTheCeilingIs413NamingSegmentsBatchSizeAndTheSizeThatFits() {
    IngestResponse r = postRaw(new byte[SegmentLimits.MAX_REQUEST_BYTES + 1], Map.of());
    assertEquals(413, r.status());
    String error = json(r).get("error").asText();
    assertTrue(error.startsWith("body: " + (SegmentLimits.MAX_REQUEST_BYTES + 1) + " bytes need "), error);
    assertTrue(error.contains("over its 6291456-byte limit"), error);
    assertTrue(error.contains("Batch Size (batch_size)") && error.contains("within about 5 MB"), error);
    // Content decides, not length alone: 3 MB of quotes cannot ride in a Lambda invocation, 3 MB of letters can.
    byte[] quotes = ("[\"" + "\\\"".repeat(1_600_000) + "\"]").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(413, postRaw(quotes, Map.of()).status());
    assertTrue(SegmentLimits.fitsInvocation("a".repeat(3_200_000).getBytes(java.nio.charset.StandardCharsets.UTF_8),
        false));
  }

  @Test
  void aBatchWithBothBatchAndTypeIs400AndStoresNothing() {
    IngestResponse r = post("{\"batch\":[{\"type\":\"identify\",\"userId\":\"b\"}],\"type\":\"identify\",\"userId\":\"u\"}");
    assertEquals(400, r.status());
    assertTrue(json(r).get("error").asText().contains("both \"batch\" and a top-level \"type\""), r.body());
    assertTrue(queue.enqueued.isEmpty() && queue.rejected.isEmpty());
  }

  @Test
  void a300KbSharedContextRejectsEachMergedEventAloneAndQuarantinesIt() {
    StringBuilder body = new StringBuilder("{\"batch\":[");
    for (int i = 0; i < 3; i++) {
      body.append(i == 0 ? "" : ",").append("{\"type\":\"identify\",\"userId\":\"u").append(i)
          .append("\",\"messageId\":\"c").append(i).append("\"}");
    }
    body.append("],\"context\":{\"blob\":\"").append("c".repeat(300_000)).append("\"}}");
    IngestResponse r = post(body.toString());
    assertEquals(413, r.status(), "every event over the limit, none stored as valid");
    JsonNode rejected = json(r).get("rejected");
    assertEquals(3, rejected.size());
    for (int i = 0; i < 3; i++) {
      assertEquals(i, rejected.get(i).get("index").asInt());
      assertTrue(rejected.get(i).get("errors").get(0).asText().contains("over the 32768-byte limit for one event"));
    }
    assertTrue(queue.enqueued.isEmpty());
    assertEquals(3, queue.rejected.size());
    for (QueueMessage kept : queue.rejected) {
      assertTrue(kept.body().length() < 1000, "the quarantined copy is the event as sent, without the shared context");
      assertTrue(kept.attributes().get("reason").contains("with a batch's shared context merged in"));
    }
  }

  @Test
  void anOversizedEventInABatchObjectIsRejectedAloneAndItsNeighboursAccepted() {
    String big = "x".repeat(SegmentLimits.MAX_EVENT_BYTES);
    IngestResponse r = post("{\"batch\":[{\"type\":\"identify\",\"userId\":\"a\",\"messageId\":\"n1\"},"
        + "{\"type\":\"identify\",\"userId\":\"b\",\"messageId\":\"n2\",\"traits\":{\"blob\":\"" + big + "\"}},"
        + "{\"type\":\"identify\",\"userId\":\"c\",\"messageId\":\"n3\"}],\"context\":{\"library\":{\"name\":\"t\"}}}");
    assertEquals(200, r.status(), r.body());
    assertEquals(2, json(r).get("accepted").asInt());
    assertEquals(1, json(r).at("/rejected/0/index").asInt());
    assertEquals(List.of("n1", "n3"), queue.enqueued.stream().map(QueueMessage::id).toList());
    assertEquals("t", Json.parse(queue.enqueued.get(1).body()).at("/context/library/name").asText());
    assertEquals(1, queue.rejected.size());
  }

  @Test
  void withOnlyASharedSecretStartUpWarnsThatLaterBatchEventsAreNotSigned() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    com.userpilotrelay.observe.Log.redirect(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      IngestSetup.authenticator(com.userpilotrelay.config.Env.of(Map.of("SEGMENT_SHARED_SECRET", SECRET)),
          com.userpilotrelay.config.SecretSource.none());
      String warned = out.toString(StandardCharsets.UTF_8);
      assertTrue(warned.contains("\"level\":\"WARN\"") && warned.contains("not covered by the signature")
          && warned.contains("INGEST_TOKEN"), warned);
      assertFalse(warned.contains(SECRET));
      out.reset();
      IngestSetup.authenticator(com.userpilotrelay.config.Env.of(Map.of("SEGMENT_SHARED_SECRET", SECRET,
          "INGEST_TOKEN", "tok")), com.userpilotrelay.config.SecretSource.none());
      assertFalse(out.toString(StandardCharsets.UTF_8).contains("not covered"), "the token closes the hole");
    } finally {
      com.userpilotrelay.observe.Log.redirect(null);
    }
  }

  @Test
  void isJsonAcceptsOnlyJsonInUtf8() {
    assertTrue(IngestService.isJson("application/json"));
    assertTrue(IngestService.isJson("Application/JSON ; Charset=\"UTF-8\""));
    assertFalse(IngestService.isJson("application/json-patch+json"));
    assertFalse(IngestService.isJson("application/x-www-form-urlencoded"));
    // trim() used to strip these, so a content type with a NUL or CR/LF junk passed as JSON.
    assertFalse(IngestService.isJson("application/json\u0000"));
    assertFalse(IngestService.isJson("\u0000application/json"));
    assertFalse(IngestService.isJson("application/json\r\n"));
    assertFalse(IngestService.isJson("application/json; charset=utf-8\u0000"));
    assertTrue(IngestService.isJson("\tapplication/json ;\tcharset=utf-8 "));
  }
}
