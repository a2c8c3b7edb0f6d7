package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.config.Env;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import com.userpilotrelay.queue.MessageGroups;
import com.userpilotrelay.queue.SqsClients;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may use which route of the runner, over real sockets, with requests written exactly as a browser
 * sends them: a cross-site form, a cross-site fetch with text/plain, a DNS-rebinding page (Host
 * evil.example), a tunnel (X-Forwarded-For). 25 invalid events are quarantined first, so the dead-letter
 * queue holds something to read and to redrive.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalFrontGuardTest {
  static final String SECRET = "front-guard-secret";
  static final int QUARANTINED = 25;
  static final String BROWSER = "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
      + " Chrome/126.0.0.0 Safari/537.36\nAccept-Language: en-US,en;q=0.9\nAccept-Encoding: gzip, deflate, br\n";

  @TempDir
  static Path dataDir;

  private LocalRelay.Running relay;
  private RelayHttp http;
  private int port;

  @BeforeAll
  void start() {
    relay = LocalRelay.start(Env.of(Map.of("SEGMENT_SHARED_SECRET", SECRET, "PORT", "0",
        "SQS_PORT", Integer.toString(RelayHttp.freePort()), "DATA_DIR", dataDir.toString())));
    http = new RelayHttp(relay.url());
    port = relay.url().getPort();
    // Dead letters as the dispatcher writes them (one user each, in the user's FIFO group), straight onto the
    // dead-letter queue: these tests are about who may read and redrive them.
    try (SqsClient sqs = SqsClients.local(relay.sqsEndpoint())) {
      String url = sqs.getQueueUrl(b -> b.queueName(LocalSqs.DEAD_LETTER_QUEUE)).queueUrl();
      for (int i = 0; i < QUARANTINED; i++) {
        String id = "guard-" + i;
        sqs.sendMessage(b -> b.queueUrl(url).messageGroupId(MessageGroups.groupId("user:" + id))
            .messageDeduplicationId(id)
            .messageBody("{\"type\":\"track\",\"userId\":\"" + id + "\",\"event\":\"E\",\"messageId\":\"" + id + "\"}")
            .messageAttributes(Map.of(
                "stage", MessageAttributeValue.builder().dataType("String").stringValue("dispatch").build(),
                "reason", MessageAttributeValue.builder().dataType("String").stringValue("HTTP 400").build())));
      }
    }
    assertEquals(QUARANTINED, http.deadLetters().size());
  }

  @AfterAll
  void stop() {
    if (relay != null) {
      relay.stop();
    }
  }

  private String curlHint() {
    return "curl -X POST -H 'X-Relay-Client: cli' http://127.0.0.1:" + port + "/dead-letters/redrive";
  }

  private void assertNothingRedriven() {
    assertEquals(QUARANTINED, http.deadLetters().size(), "every dead letter is still there");
    assertEquals(QUARANTINED, http.get("/stats").json().get("deadLetterDepth").asInt());
  }

  @Test
  @Order(1)
  void deadLettersArePagedInIdOrderWithACursorUntilThereAreNoMore() {
    List<JsonNode> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    String after = null;
    do {
      RelayHttp.Answer page = http.get("/dead-letters?limit=10" + (after == null ? "" : "&after=" + after));
      assertEquals(200, page.status(), page.body());
      page.json().get("deadLetters").forEach(seen::add);
      sizes.add(page.json().get("deadLetters").size());
      assertTrue(page.json().get("complete").asBoolean());
      after = page.json().get("next").isNull() ? null : page.json().get("next").asText();
    } while (after != null && sizes.size() < 10);
    assertEquals(List.of(10, 10, 5), sizes, "three pages, the last one says there is no next");
    Set<String> ids = new LinkedHashSet<>();
    for (JsonNode entry : seen) {
      ids.add(entry.get("queueMessageId").asText());
      assertEquals("dispatch", entry.get("stage").asText());
    }
    assertEquals(QUARANTINED, ids.size(), "every dead letter once");
    List<String> sorted = new ArrayList<>(ids);
    sorted.sort(null);
    assertEquals(sorted, new ArrayList<>(ids), "in queue message id order");

    RelayHttp.Answer all = http.get("/dead-letters");
    assertEquals(QUARANTINED, all.json().get("deadLetters").size(), "default page size " + HttpFront.DEFAULT_PAGE);
    assertTrue(all.json().get("next").isNull());
  }

  @Test
  @Order(1)
  void aBadPageRequestIs400NamingTheParameter() {
    assertTrue(http.get("/dead-letters?limit=0").json().get("error").asText().startsWith("limit:"));
    assertEquals(400, http.get("/dead-letters?limit=1001").status());
    assertEquals(400, http.get("/dead-letters?limit=ten").status());
    RelayHttp.Answer unknown = http.get("/dead-letters?offset=5");
    assertEquals(400, unknown.status());
    assertTrue(unknown.json().get("error").asText().contains("after"), unknown.body());
  }

  @Test
  @Order(2)
  void aCrossSiteFormCannotRedrive() {
    String form = "go=1";
    RawHttp.Answer answer = RawHttp.send(port, "POST /dead-letters/redrive HTTP/1.1\nHost: 127.0.0.1:" + port
        + "\nConnection: keep-alive\nContent-Length: " + form.length() + "\nCache-Control: max-age=0\n"
        + "Origin: https://evil.example\nContent-Type: application/x-www-form-urlencoded\n"
        + "Upgrade-Insecure-Requests: 1\n" + BROWSER
        + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\n"
        + "Sec-Fetch-Site: cross-site\nSec-Fetch-Mode: navigate\nSec-Fetch-Dest: document\n"
        + "Referer: https://evil.example/\n", form);
    assertEquals(403, answer.status(), answer.body());
    assertTrue(answer.error().startsWith("origin:"), answer.body());
    assertTrue(answer.error().contains(curlHint()), "says what a terminal caller sends: " + answer.body());
    assertNothingRedriven();
  }

  @Test
  @Order(2)
  void aCrossSiteTextPlainFetchCannotRedrive() {
    String text = "{}";
    RawHttp.Answer answer = RawHttp.send(port, "POST /dead-letters/redrive HTTP/1.1\nHost: 127.0.0.1:" + port
        + "\nConnection: keep-alive\nContent-Length: 2\nContent-Type: text/plain;charset=UTF-8\n"
        + "Origin: http://evil.example\n" + BROWSER + "Accept: */*\nSec-Fetch-Site: cross-site\n"
        + "Sec-Fetch-Mode: no-cors\nSec-Fetch-Dest: empty\nReferer: http://evil.example/\n", text);
    assertEquals(403, answer.status(), answer.body());
    assertNothingRedriven();
  }

  @Test
  @Order(2)
  void aSimpleRequestWithoutOriginOrMarkerCannotRedrive() {
    RawHttp.Answer answer = RawHttp.send(port, "POST /dead-letters/redrive HTTP/1.1\nHost: localhost:" + port
        + "\nContent-Length: 4\nContent-Type: text/plain\n", "go=1");
    assertEquals(403, answer.status(), answer.body());
    assertTrue(answer.error().startsWith("client:"), answer.body());
    assertTrue(answer.error().contains(curlHint()), answer.body());
    assertNothingRedriven();
  }

  @Test
  @Order(2)
  void aDnsRebindingPageCanNeitherReadNorRedrive() {
    // After rebinding, evil.example resolves to 127.0.0.1: the page is same-origin as far as the browser
    // knows, so it may send JSON and custom headers. Only the Host gives it away.
    String rebound = "evil.example:" + port;
    RawHttp.Answer redrive = RawHttp.send(port, "POST /dead-letters/redrive HTTP/1.1\nHost: " + rebound
        + "\nContent-Length: 2\nContent-Type: application/json\nX-Relay-Client: cli\nOrigin: http://" + rebound + "\n"
        + BROWSER + "Sec-Fetch-Site: same-origin\n", "{}");
    assertEquals(403, redrive.status(), redrive.body());
    assertNothingRedriven();
    for (String path : List.of("/dead-letters", "/dead-letters?limit=1000", "/stats")) {
      RawHttp.Answer read = RawHttp.send(port, "GET " + path + " HTTP/1.1\nHost: " + rebound + "\n" + BROWSER
          + "Accept: */*\nSec-Fetch-Site: same-origin\n", "");
      assertEquals(403, read.status(), path + ": " + read.body());
      assertTrue(read.error().startsWith("host:"), read.body());
      assertFalse(read.body().contains("guard-"), "no event data in the refusal");
    }
  }

  @Test
  @Order(2)
  void aForeignOriginCannotReadEither() {
    RawHttp.Answer read = RawHttp.send(port, "GET /dead-letters HTTP/1.1\nHost: 127.0.0.1:" + port
        + "\nOrigin: https://evil.example\n" + BROWSER + "Sec-Fetch-Mode: cors\n", "");
    assertEquals(403, read.status(), read.body());
    assertFalse(read.body().contains("guard-"));
  }

  @Test
  @Order(2)
  void nothingIsServedThroughATunnelButSegment() {
    for (String forwarded : List.of("X-Forwarded-For: 203.0.113.9", "Forwarded: for=203.0.113.9",
        "CF-Connecting-IP: 203.0.113.9")) {
      RawHttp.Answer read = RawHttp.send(port, "GET /dead-letters HTTP/1.1\nHost: localhost:" + port + "\n"
          + forwarded + "\n", "");
      assertEquals(403, read.status(), forwarded + ": " + read.body());
      assertTrue(read.error().startsWith("proxy:"), read.body());
      RawHttp.Answer redrive = RawHttp.send(port, "POST /dead-letters/redrive HTTP/1.1\nHost: localhost:" + port
          + "\nX-Relay-Client: cli\nContent-Length: 0\n" + forwarded + "\n", "");
      assertEquals(403, redrive.status(), redrive.body());
    }
    assertNothingRedriven();
    // A tunnel forwards Segment's requests with its own public Host and forwarding headers: accepted.
    String body = "{\"type\":\"identify\",\"userId\":\"tunnelled\"}";
    RawHttp.Answer segment = RawHttp.send(port, "POST /segment HTTP/1.1\nHost: relay-demo.tunnel.example\n"
        + "X-Forwarded-For: 52.25.0.1\nX-Forwarded-Proto: https\nContent-Type: application/json\nX-Signature: "
        + signed(SECRET, body).get("X-Signature") + "\nContent-Length: " + body.length() + "\n", body);
    assertEquals(200, segment.status(), segment.body());
  }

  @Test
  @Order(2)
  void aCorsPreflightGetsNoPermission() {
    RawHttp.Answer preflight = RawHttp.send(port, "OPTIONS /dead-letters/redrive HTTP/1.1\nHost: 127.0.0.1:" + port
        + "\nOrigin: https://evil.example\nAccess-Control-Request-Method: POST\n"
        + "Access-Control-Request-Headers: x-relay-client\n" + BROWSER, "");
    assertEquals(405, preflight.status(), preflight.body());
    assertNull(preflight.headers().get("access-control-allow-origin"));
    assertNull(preflight.headers().get("access-control-allow-headers"));
  }

  @Test
  @Order(3)
  void segmentRefusesAWebPageOfAnotherOriginButTakesSegmentsRequests() {
    String body = "{\"type\":\"identify\",\"userId\":\"from-a-page\"}";
    long accepted = http.get("/stats").json().get("accepted").asLong();
    RawHttp.Answer fromPage = RawHttp.send(port, "POST /segment HTTP/1.1\nHost: 127.0.0.1:" + port
        + "\nContent-Type: application/json\nX-Signature: " + signed(SECRET, body).get("X-Signature")
        + "\nOrigin: https://evil.example\nContent-Length: " + body.length() + "\n" + BROWSER, body);
    assertEquals(403, fromPage.status(), fromPage.body());
    assertTrue(fromPage.error().contains("Segment's servers send no Origin"), fromPage.body());
    assertEquals(accepted, http.get("/stats").json().get("accepted").asLong(), "nothing accepted");

    RelayHttp.Answer fromSegment = http.postJson(body, signed(SECRET, body));
    assertEquals(200, fromSegment.status(), fromSegment.body());
    assertEquals(accepted + 1, http.get("/stats").json().get("accepted").asLong());
  }

  @Test
  @Order(3)
  void controlCharactersInAHeaderValueAreRefusedNotTrimmed() {
    String body = "{\"type\":\"identify\",\"userId\":\"nul-header\"}";
    String signature = signed(SECRET, body).get("X-Signature");
    long accepted = http.get("/stats").json().get("accepted").asLong();
    for (String type : List.of("application/json\0", "application/json\u0001", "\0application/json",
        "application/json\u007f")) {
      RawHttp.Answer answer = RawHttp.send(port, "POST /segment HTTP/1.1\nHost: 127.0.0.1:" + port
          + "\nContent-Type: " + type + "\nX-Signature: " + signature + "\nContent-Length: " + body.length() + "\n",
          body);
      assertEquals(415, answer.status(), answer.body());
      assertTrue(answer.error().startsWith("content-type: control character"), answer.body());
    }
    RawHttp.Answer signatureWithNul = RawHttp.send(port, "POST /segment HTTP/1.1\nHost: 127.0.0.1:" + port
        + "\nContent-Type: application/json\nX-Signature: " + signature + "\0\nContent-Length: " + body.length()
        + "\n", body);
    assertEquals(400, signatureWithNul.status(), signatureWithNul.body());
    assertTrue(signatureWithNul.error().startsWith("x-signature: control character 0x00"), signatureWithNul.body());
    assertFalse(signatureWithNul.body().contains(signature), "the credential is not quoted back");
    assertEquals(accepted, http.get("/stats").json().get("accepted").asLong(), "nothing accepted");
    // Spaces and tabs around a value are HTTP's optional whitespace: still JSON.
    RawHttp.Answer spaced = RawHttp.send(port, "POST /segment HTTP/1.1\nHost: 127.0.0.1:" + port
        + "\nContent-Type: \t application/json \t\nX-Signature: " + signature + "\nContent-Length: "
        + body.length() + "\n", body);
    assertEquals(200, spaced.status(), spaced.body());
  }

  @Test
  @Order(3)
  void theIngredientsOfRequestSmugglingAreRefused() {
    String body = "{\"type\":\"identify\",\"userId\":\"smuggled\"}";
    String sig = "X-Signature: " + signed(SECRET, body).get("X-Signature") + "\r\n";
    String start = "POST /segment HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n" + sig;
    long accepted = http.get("/stats").json().get("accepted").asLong();
    Map<String, Integer> cases = new java.util.LinkedHashMap<>();
    cases.put(start + "Content-Length: " + body.length() + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body, 400);
    cases.put(start + "Content-Length: " + body.length() + "\r\nContent-Length: " + (body.length() - 1) + "\r\n\r\n"
        + body, 400);
    cases.put(start + "X-Folded: a\r\n b\r\nContent-Length: " + body.length() + "\r\n\r\n" + body, 400);
    cases.put(start + "Content-Length: " + body.length() + "\n\r\n" + body, 400);
    cases.put(start + "Transfer-Encoding: gzip, chunked\r\n\r\n" + Integer.toHexString(body.length()) + "\r\n" + body
        + "\r\n0\r\n\r\n", 501);
    cases.put(start + "Content-Length: +" + body.length() + "\r\n\r\n" + body, 400);
    for (Map.Entry<String, Integer> c : cases.entrySet()) {
      RawHttp.Answer answer = RawHttp.sendExactly(port, c.getKey());
      assertEquals(c.getValue(), answer.status(), c.getKey() + " -> " + answer.body());
      assertEquals("close", answer.headers().get("connection"), "the connection is not reused after a refusal");
    }
    assertEquals(accepted, http.get("/stats").json().get("accepted").asLong(), "nothing accepted");
    // The same request, well formed, chunked: accepted.
    RawHttp.Answer chunked = RawHttp.sendExactly(port, start + "Transfer-Encoding: chunked\r\n\r\n"
        + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
    assertEquals(200, chunked.status(), chunked.body());
  }

  @Test
  @Order(9)
  void theCommandTheErrorsGiveRedrivesEverything() {
    RelayHttp.Answer stats = http.get("/stats");
    assertEquals(200, stats.status());
    RawHttp.Answer local = RawHttp.send(port, "GET /stats HTTP/1.1\nHost: localhost:" + port + "\n", "");
    assertEquals(200, local.status(), "localhost:PORT is this machine too");
    RawHttp.Answer v6 = RawHttp.send(port, "GET /stats HTTP/1.1\nHost: [::1]:" + port + "\n", "");
    assertEquals(200, v6.status(), "[::1]:PORT is this machine too");
    // curl -X POST -H 'X-Relay-Client: cli' http://127.0.0.1:PORT/dead-letters/redrive, as curl sends it
    RawHttp.Answer redrive = RawHttp.send(port, "POST /dead-letters/redrive HTTP/1.1\nHost: 127.0.0.1:" + port
        + "\nUser-Agent: curl/8.5.0\nAccept: */*\nX-Relay-Client: cli\n", "");
    assertEquals(200, redrive.status(), redrive.body());
    assertEquals(QUARANTINED, redrive.json().get("redriven").asInt());
    // JSON is a content type a page cannot send to another origin without a preflight: accepted too.
    RelayHttp.Answer json = http.post("/dead-letters/redrive", "application/json",
        "{}".getBytes(StandardCharsets.UTF_8), Map.of());
    assertEquals(200, json.status(), json.body());
  }
}
