package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.await;
import static com.userpilotrelay.local.RelayHttp.deliveredFor;
import static com.userpilotrelay.local.RelayHttp.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.queue.SqsClients;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Call;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The runner in this JVM, driven over real HTTP: the real ingest and dispatch handlers, embedded ElasticMQ
 * kept in a temporary DATA_DIR, and the stand-in Userpilot as the far end (configured without its trailing
 * slash). Tests that look at what reached the stand-in need the mapping engine (branch mapping).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalRelayTest {
  static final String SECRET = "local-relay-test-secret";
  static final Duration DELIVERY = Duration.ofSeconds(20);

  @TempDir
  static Path dataDir;

  private StandInUserpilot standIn;
  private LocalRelay.Running relay;
  private RelayHttp http;
  /** Subjects the stand-in answers 503 a number of times before it accepts. */
  private final Map<String, AtomicInteger> unavailable = new ConcurrentHashMap<>();
  /** Subjects the stand-in refuses with 400 (a permanent failure). */
  private final Set<String> refused = ConcurrentHashMap.newKeySet();

  @BeforeAll
  void start() {
    standIn = new StandInUserpilot();
    standIn.answer(this::reply);
    Map<String, String> env = RelayHttp.settings(standIn, dataDir);
    env.put("SEGMENT_SHARED_SECRET", SECRET);
    env.put("RETRY_BASE_SECONDS", "1");
    relay = LocalRelay.start(Env.of(env));
    http = new RelayHttp(relay.url());
  }

  @AfterAll
  void stop() {
    if (relay != null) {
      relay.stop();
    }
    if (standIn != null) {
      standIn.close();
    }
  }

  private Reply reply(Call call) {
    String subject = call.subject();
    if (subject != null && refused.contains(subject)) {
      return Reply.status(400);
    }
    AtomicInteger left = subject == null ? null : unavailable.get(subject);
    if (left != null && left.getAndDecrement() > 0) {
      return Reply.status(503);
    }
    return Reply.accepted();
  }

  private RelayHttp.Answer postSigned(String body) {
    return http.postJson(body, signed(SECRET, body));
  }

  private List<JsonNode> deadLettersFor(String messageId) {
    return http.deadLetters().stream()
        .filter(e -> messageId.equals(e.path("messageId").asText(null))).toList();
  }

  private Call deliveredOnce(String subject) {
    await("delivery for " + subject, DELIVERY, () -> !deliveredFor(standIn, subject).isEmpty());
    List<Call> calls = deliveredFor(standIn, subject);
    assertEquals(1, calls.size(), "delivered exactly once: " + subject);
    return calls.get(0);
  }

  @Test
  @Order(1)
  void healthSaysOkOnceStarted() {
    RelayHttp.Answer health = http.get("/health");
    assertEquals(200, health.status());
    assertEquals("ok", health.json().get("status").asText());
    assertTrue(relay.startupTime().toMillis() > 0);
    assertTrue(relay.banner().contains(relay.url() + "/segment"), relay.banner());
    assertFalse(relay.banner().contains(SECRET), "the banner never shows a secret");
    assertFalse(relay.banner().contains(StandInUserpilot.API_KEY), "the banner never shows the API key");
  }

  @Test
  @Order(1)
  void theEventsQueueHasTheTemplatesRedrivePolicyAndA30SecondVisibilityTimeout() {
    try (SqsClient sqs = SqsClients.local(relay.sqsEndpoint())) {
      String events = sqs.getQueueUrl(b -> b.queueName(LocalSqs.EVENTS_QUEUE)).queueUrl();
      String dead = sqs.getQueueUrl(b -> b.queueName(LocalSqs.DEAD_LETTER_QUEUE)).queueUrl();
      Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(b -> b.queueUrl(events)
          .attributeNames(QueueAttributeName.ALL)).attributes();
      assertEquals("30", attributes.get(QueueAttributeName.VISIBILITY_TIMEOUT));
      JsonNode redrive = com.userpilotrelay.json.Json.parse(attributes.get(QueueAttributeName.REDRIVE_POLICY));
      assertEquals(1000, redrive.get("maxReceiveCount").asInt(), "template.yaml's safety net");
      assertEquals("true", attributes.get(QueueAttributeName.FIFO_QUEUE), "FIFO, as in template.yaml");
      String deadArn = sqs.getQueueAttributes(b -> b.queueUrl(dead).attributeNames(QueueAttributeName.QUEUE_ARN))
          .attributes().get(QueueAttributeName.QUEUE_ARN);
      assertEquals(deadArn, redrive.get("deadLetterTargetArn").asText());
    }
  }

  @Test
  @Order(2)
  void aSignedSingleEventIsAcceptedAndDeliveredOnceWithItsExactBytesSigned() {
    String user = RelayHttp.unique("single");
    // Odd spacing and non-ASCII: the signature covers the raw bytes, which must reach the handler unchanged.
    String body = "{ \"type\" : \"identify\",\n \"userId\": \"" + user + "\", \"messageId\": \"" + user
        + "\", \"traits\": {\"name\": \"Zoë ✓\", \"plan\": \"pro\"} }";
    RelayHttp.Answer answer = postSigned(body);
    assertEquals(200, answer.status(), answer.body());
    assertEquals(1, answer.json().get("accepted").asInt());
    assertEquals(user, answer.json().at("/messageIds/0").asText());

    Call call = deliveredOnce(user);
    assertEquals("POST", call.method());
    assertEquals("/v1/identify", call.path());
    assertEquals(user, call.body().get("user_id").asText());
    assertEquals("Zoë ✓", call.body().at("/metadata/name").asText());
    assertEquals("pro", call.body().at("/metadata/plan").asText());
  }

  @Test
  @Order(3)
  void aBatchObjectMergesItsContextAndEveryEventIsDelivered() {
    String user = RelayHttp.unique("batch");
    String company = RelayHttp.unique("company");
    String body = "{\"batch\": ["
        + "{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"Signed Up\",\"messageId\":\"" + user + "-t\","
        + "\"properties\":{\"plan\":\"pro\"}},"
        + "{\"type\":\"group\",\"userId\":\"" + user + "\",\"groupId\":\"" + company + "\",\"messageId\":\"" + company
        + "\",\"traits\":{\"name\":\"Acme\"}}],"
        + "\"context\":{\"library\":{\"name\":\"local-test\"}}}";
    RelayHttp.Answer answer = postSigned(body);
    assertEquals(200, answer.status(), answer.body());
    assertEquals(2, answer.json().get("accepted").asInt());

    Call track = deliveredOnce(user);
    assertEquals("/v1/track", track.path());
    assertEquals("Signed Up", track.body().get("event_name").asText());
    assertEquals("pro", track.body().at("/metadata/plan").asText());
    Call group = deliveredOnce(company);
    assertEquals("/v1/companies/identify", group.path());
    assertEquals("Acme", group.body().at("/metadata/name").asText());
  }

  @Test
  @Order(4)
  void anEmptyBatchObjectIsRefusedAs400() {
    RelayHttp.Answer answer = postSigned("{\"batch\":[]}");
    assertEquals(400, answer.status(), answer.body());
    assertTrue(answer.json().get("error").asText().contains("no events"), answer.body());
  }

  @Test
  @Order(5)
  void aMixedBatchIsAnswered200WithTheRejectedListAndTheBadEventIsQuarantined() {
    String good = RelayHttp.unique("mixed-good");
    String bad = RelayHttp.unique("mixed-bad");
    String body = "[{\"type\":\"identify\",\"userId\":\"" + good + "\",\"messageId\":\"" + good + "\"},"
        + "{\"type\":\"track\",\"userId\":\"" + bad + "\",\"messageId\":\"" + bad + "\"}]";
    JsonNode before = http.get("/stats").json();
    RelayHttp.Answer answer = postSigned(body);
    assertEquals(200, answer.status(), answer.body());
    JsonNode json = answer.json();
    assertEquals(1, json.get("accepted").asInt());
    assertEquals(1, json.at("/rejected/0/index").asInt());
    assertEquals(bad, json.at("/rejected/0/messageId").asText());
    assertTrue(json.at("/rejected/0/errors/0").asText().startsWith("event"), json.toString());

    List<JsonNode> quarantined = http.rejected().stream()
        .filter(e -> bad.equals(e.path("messageId").asText(null))).toList();
    assertEquals(1, quarantined.size(), "quarantined once, in the rejected queue");
    assertTrue(deadLettersFor(bad).isEmpty(), "never among the dead letters a redrive would send");
    JsonNode entry = quarantined.get(0);
    assertEquals("ingest", entry.get("stage").asText());
    assertTrue(entry.get("reason").asText().contains("event"), entry.toString());
    assertTrue(entry.get("status").isNull());
    assertEquals(bad, entry.at("/event/userId").asText());
    // A peek removes nothing.
    assertEquals(1, http.rejected().stream().filter(e -> bad.equals(e.path("messageId").asText(null))).count());

    JsonNode after = http.get("/stats").json();
    assertEquals(before.get("received").asLong() + 1, after.get("received").asLong());
    assertEquals(before.get("accepted").asLong() + 1, after.get("accepted").asLong());
    assertEquals(before.get("rejected").asLong() + 1, after.get("rejected").asLong());
    assertTrue(after.get("rejectedDepth").asInt() >= 1, after.toString());

    deliveredOnce(good);
  }

  @Test
  @Order(6)
  void wrongOrMissingCredentialsAre401AndStoreNothing() {
    String user = RelayHttp.unique("unsigned");
    String body = "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"" + user + "\"}";
    JsonNode before = http.get("/stats").json();
    RelayHttp.Answer missing = http.postJson(body, Map.of());
    assertEquals(401, missing.status());
    RelayHttp.Answer wrong = http.postJson(body, signed("not-the-secret", body));
    assertEquals(401, wrong.status());
    assertEquals("unauthorized: credentials are missing or wrong", wrong.json().get("error").asText());
    // Signed over other bytes than were sent.
    RelayHttp.Answer tampered = http.postJson(body.replace(user, user + "x"), signed(SECRET, body));
    assertEquals(401, tampered.status());

    JsonNode after = http.get("/stats").json();
    assertEquals(before.get("accepted").asLong(), after.get("accepted").asLong());
    assertEquals(before.get("rejected").asLong(), after.get("rejected").asLong());
    assertTrue(deadLettersFor(user).isEmpty());
  }

  @Test
  @Order(7)
  void malformedJsonIs400NamingThePosition() {
    String body = "{\"type\":\"identify\",\"userId\": }";
    RelayHttp.Answer answer = postSigned(body);
    assertEquals(400, answer.status(), answer.body());
    String error = answer.json().get("error").asText();
    assertTrue(error.contains("line") || error.contains("column") || error.contains("position"), error);
  }

  @Test
  @Order(8)
  void aBodyOverTheRunnersLimitIsRefusedWith413BeforeItIsRead() throws Exception {
    // Over API Gateway's 10 MB as well: nothing of it is read (a body up to 10 MB is read and dropped first).
    int declared = HttpFront.DRAINED_BYTES + 1;
    try (Socket socket = new Socket("127.0.0.1", relay.url().getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /segment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
          + declared + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write("[{\"type\":\"identify\"".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // Only a few bytes of the 10 MB were sent: the answer comes without the rest.
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      String status = in.readLine();
      assertNotNull(status);
      assertTrue(status.startsWith("HTTP/1.1 413"), status);
    }
  }

  @Test
  @Order(9)
  void aChunkedBodyOverTheLimitIs413Too() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", relay.url().getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /segment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      java.util.Arrays.fill(chunk, (byte) ' ');
      for (int i = 0; i < 100; i++) { // 6.25 MiB, over the 6,258,688-byte limit
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      String status = in.readLine();
      assertNotNull(status);
      assertTrue(status.startsWith("HTTP/1.1 413"), status);
    }
  }

  @Test
  @Order(10)
  void anEventOverThePerEventLimitIs413FromIngestNamingIt() {
    String body = "{\"type\":\"track\",\"userId\":\"big\",\"event\":\"E\",\"properties\":{\"pad\":\""
        + "x".repeat(600 * 1024) + "\"}}";
    RelayHttp.Answer answer = postSigned(body);
    assertEquals(413, answer.status(), answer.body().substring(0, Math.min(200, answer.body().length())));
    assertTrue(answer.json().at("/rejected/0/errors/0").asText().contains("-byte limit for one event"), answer.body());
  }

  @Test
  @Order(11)
  void aWrongContentTypeIs415() {
    String body = "{\"type\":\"identify\",\"userId\":\"u\"}";
    RelayHttp.Answer answer = http.post("/segment", "text/plain", body.getBytes(StandardCharsets.UTF_8),
        signed(SECRET, body));
    assertEquals(415, answer.status());
    assertTrue(answer.json().get("error").asText().startsWith("content-type"), answer.body());
  }

  @Test
  @Order(12)
  void otherRoutesAndMethodsAnswerWithJsonErrors() {
    RelayHttp.Answer unknown = http.get("/nope");
    assertEquals(404, unknown.status());
    assertTrue(unknown.json().get("error").asText().contains("POST /segment"));
    RelayHttp.Answer wrongMethod = http.get("/segment");
    assertEquals(405, wrongMethod.status());
    assertEquals("POST", wrongMethod.raw().headers().firstValue("Allow").orElse(null));
    assertTrue(wrongMethod.json().has("error"));
    assertEquals(405, http.request("DELETE", "/dead-letters").status());
    assertEquals(405, http.get("/dead-letters/redrive").status());
    assertEquals(404, http.request("POST", "/segment/").status());
  }

  @Test
  @Order(13)
  void aTemporaryUserpilotFailureIsRetriedThroughTheQueueAndDeliveredOnce() {
    String user = RelayHttp.unique("retry");
    unavailable.put(user, new AtomicInteger(2));
    long retriedBefore = http.get("/stats").json().get("retried").asLong();
    String body = "{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"Clicked\",\"messageId\":\"" + user + "\"}";
    assertEquals(200, postSigned(body).status());

    Call call = deliveredOnce(user);
    assertEquals("/v1/track", call.path());
    long attempts = standIn.calls().stream().filter(c -> user.equals(c.subject())).count();
    assertEquals(3, attempts, "two 503s, then accepted");
    assertTrue(http.get("/stats").json().get("retried").asLong() >= retriedBefore + 2);
  }

  @Test
  @Order(20)
  void aPermanentFailureIsDeadLetteredWithItsReasonAndRedriveDeliversIt() {
    String user = RelayHttp.unique("refused");
    refused.add(user);
    long deadBefore = http.get("/stats").json().get("deadLettered").asLong();
    String body = "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"" + user
        + "\",\"traits\":{\"plan\":\"free\"}}";
    assertEquals(200, postSigned(body).status());

    await("dead letter for " + user, DELIVERY, () -> !deadLettersFor(user).isEmpty());
    JsonNode entry = deadLettersFor(user).get(0);
    assertEquals("dispatch", entry.get("stage").asText());
    assertEquals(400, entry.get("status").asInt());
    assertTrue(entry.get("reason").asText().contains("400"), entry.toString());
    assertEquals("free", entry.at("/event/traits/plan").asText());
    assertEquals(deadBefore + 1, http.get("/stats").json().get("deadLettered").asLong());
    assertTrue(deliveredFor(standIn, user).isEmpty());

    // The cause is fixed: redrive moves every dead letter back, without its failure attributes.
    refused.remove(user);
    int present = http.deadLetters().size();
    RelayHttp.Answer redrive = http.redrive();
    assertEquals(200, redrive.status(), redrive.body());
    // Exactly what was there: an event that fails again during the redrive is not moved twice.
    assertEquals(present, redrive.json().get("redriven").asInt(), redrive.body());
    Call call = deliveredOnce(user);
    assertEquals("/v1/identify", call.path());
    assertTrue(deadLettersFor(user).isEmpty(), "redriven and delivered, no longer dead");
  }

  @Test
  @Order(21)
  void onlyWhatIngestAcceptedIsEverDeliveredRedriveAndTheSqsPortNotwithstanding() {
    String bad = RelayHttp.unique("quarantined");
    String body = "{\"type\":\"group\",\"userId\":\"" + bad + "\",\"messageId\":\"" + bad + "\"}";
    assertEquals(400, postSigned(body).status(), "all events invalid: 400");
    assertTrue(deadLettersFor(bad).isEmpty(), "refused input is not a dead letter");
    assertEquals(1, http.rejected().stream().filter(e -> bad.equals(e.path("messageId").asText(null))).count());

    // Anything on this machine can write to the embedded SQS port; a forged event there is refused.
    String victim = RelayHttp.unique("victim");
    String forged = "{\"type\":\"delete\",\"userId\":\"" + victim + "\",\"messageId\":\"" + victim + "\"}";
    try (software.amazon.awssdk.services.sqs.SqsClient sqs = SqsClients.local(relay.sqsEndpoint())) {
      String events = sqs.getQueueUrl(b -> b.queueName(LocalSqs.EVENTS_QUEUE)).queueUrl();
      sqs.sendMessage(b -> b.queueUrl(events).messageBody(forged).messageGroupId("forged").messageDeduplicationId(victim)
          .messageAttributes(Map.of("relayStamp", software.amazon.awssdk.services.sqs.model.MessageAttributeValue
              .builder().dataType("String").stringValue("ingest-v1").build())));
    }
    await("the forged event refused", DELIVERY, () -> http.rejected().stream()
        .anyMatch(e -> victim.equals(e.path("messageId").asText(null))));
    JsonNode refused = http.rejected().stream().filter(e -> victim.equals(e.path("messageId").asText(null)))
        .findFirst().orElseThrow();
    assertEquals("dispatch", refused.get("stage").asText());
    assertTrue(refused.get("reason").asText().contains("relayStamp"), refused.toString());

    RelayHttp.Answer redrive = http.redrive();
    assertEquals(200, redrive.status(), redrive.body());
    try {
      Thread.sleep(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertTrue(deliveredFor(standIn, bad).isEmpty() && deliveredFor(standIn, victim).isEmpty(),
        "neither the refused nor the forged event reached Userpilot");
  }

  @Test
  @Order(30)
  void statsCountWhatHappened() {
    JsonNode stats = http.get("/stats").json();
    for (String field : List.of("received", "accepted", "rejected", "delivered", "retried", "deadLettered",
        "queueDepth", "deadLetterDepth")) {
      assertTrue(stats.has(field), field + " in " + stats);
    }
    assertTrue(stats.get("received").asLong() >= 10, stats.toString());
    assertTrue(stats.get("delivered").asLong() >= 6, stats.toString());
  }

  @Test
  @Order(40)
  void noAcceptedEventReachedUserpilotTwice() {
    Map<String, Long> counts = standIn.accepted().stream().collect(Collectors.groupingBy(
        c -> c.method() + " " + c.path() + " " + c.body(), Collectors.counting()));
    Map<String, Long> duplicates = new HashMap<>();
    counts.forEach((k, v) -> {
      if (v > 1) {
        duplicates.put(k, v);
      }
    });
    assertTrue(duplicates.isEmpty(), "duplicates: " + duplicates);
    assertTrue(standIn.violations().isEmpty(), "header problems: " + standIn.violations());
  }
}
