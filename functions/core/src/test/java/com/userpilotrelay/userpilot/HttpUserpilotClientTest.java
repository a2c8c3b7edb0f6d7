package com.userpilotrelay.userpilot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class HttpUserpilotClientTest {
  private static StandInUserpilot userpilot;

  @BeforeAll
  static void start() {
    userpilot = new StandInUserpilot();
  }

  @AfterAll
  static void stop() {
    userpilot.close();
  }

  @BeforeEach
  void reset() {
    userpilot.reset();
  }

  private static HttpUserpilotClient client(String endpoint, Duration timeout) {
    return new HttpUserpilotClient(new Endpoint(URI.create(endpoint)), ApiKey.fixed(StandInUserpilot.API_KEY), timeout);
  }

  @Test
  void sendsTheDocumentedHeadersAndBodyWithOrWithoutTrailingSlash() {
    String base = userpilot.endpoint().toString();
    for (String endpoint : new String[] {base, base.substring(0, base.length() - 1)}) {
      UserpilotResponse r = client(endpoint, Duration.ofSeconds(5)).send(new UserpilotRequest("deleteUser", "DELETE",
          "v1/users", Json.object().set("users", Json.MAPPER.createArrayNode().add("ü-1"))));
      assertTrue(r.ok(), r.toString());
    }
    assertEquals(2, userpilot.accepted().size());
    StandInUserpilot.Call call = userpilot.accepted().get(1);
    assertEquals("DELETE", call.method());
    assertEquals("/v1/users", call.path());
    assertEquals("ü-1", call.body().at("/users/0").asText());
    assertEquals("2020-09-22", call.header("X-API-Version"));
    assertTrue(call.header("User-Agent").matches("userpilot-relay/\\S+"), call.header("User-Agent"));
    assertTrue(userpilot.violations().isEmpty(), userpilot.violations().toString());
  }

  @Test
  void keepsAnEndpointsBasePath() {
    Endpoint endpoint = new Endpoint(URI.create("https://example.test/enterprise/api"));
    assertEquals(URI.create("https://example.test/enterprise/api/v1/track"), endpoint.resolve("v1/track"));
  }

  @Test
  void classifiesAnswers() {
    userpilot.answer(call -> Reply.status(429).withRetryAfter("7"));
    UserpilotResponse throttled = client(userpilot.endpoint().toString(), Duration.ofSeconds(5)).validate();
    assertEquals(429, throttled.status());
    assertEquals(Duration.ofSeconds(7), throttled.retryAfter());
    assertTrue(throttled.retryable());
    for (int status : new int[] {408, 423, 500, 502, 503, 504}) {
      assertTrue(new UserpilotResponse(status, null, "").retryable(), "retry " + status);
    }
    for (int status : new int[] {400, 404, 409, 422, 501}) {
      assertFalse(new UserpilotResponse(status, null, "").retryable(), "no retry " + status);
    }
    assertTrue(new UserpilotResponse(403, null, "").authFailure());
  }

  @Test
  void timeoutsAndDroppedConnectionsAreStatusZeroNotExceptions() {
    userpilot.answer(call -> Reply.accepted().after(1500));
    UserpilotResponse slow = client(userpilot.endpoint().toString(), Duration.ofMillis(500)).validate();
    assertEquals(0, slow.status());
    assertTrue(slow.detail().startsWith("timed out"), slow.detail());
    userpilot.answer(call -> Reply.reset());
    UserpilotResponse reset = client(userpilot.endpoint().toString(), Duration.ofSeconds(5)).validate();
    assertEquals(0, reset.status());
    assertTrue(reset.retryable());
    UserpilotResponse refused = client("http://127.0.0.1:1/", Duration.ofSeconds(2)).validate();
    assertEquals(0, refused.status());
  }

  @Test
  void aWrongKeyIs401AndTheKeyIsReadAgainLater() {
    int[] reads = {0};
    RatePacerTest.FakeTime time = new RatePacerTest.FakeTime();
    ApiKey key = new ApiKey(() -> ++reads[0] == 1 ? "wrong" : StandInUserpilot.API_KEY, time);
    HttpUserpilotClient client = new HttpUserpilotClient(new Endpoint(userpilot.endpoint()), key, Duration.ofSeconds(5));
    UserpilotResponse r = client.validate();
    assertEquals(401, r.status());
    assertTrue(r.authFailure());
    assertEquals(401, client.validate().status(), "not re-read within the minute");
    assertEquals(1, reads[0]);
    time.now = time.now.plusSeconds(61);
    assertEquals(202, client.validate().status(), "a rotated key takes effect without a restart");
    assertEquals(2, reads[0]);
  }

  @Test
  void aKeyAHeaderCannotCarryIsRefusedWithoutSendingOrQuotingIt() {
    // The JDK's IllegalArgumentException for such a header quotes the whole value, key included.
    int[] reads = {0};
    RatePacerTest.FakeTime time = new RatePacerTest.FakeTime();
    ApiKey key = new ApiKey(() -> ++reads[0] == 1 ? "secret-key-from-a-file\n" : StandInUserpilot.API_KEY, time);
    HttpUserpilotClient client = new HttpUserpilotClient(new Endpoint(userpilot.endpoint()), key, Duration.ofSeconds(5));
    int before = userpilot.calls().size();
    UserpilotResponse r = client.send(new UserpilotRequest("identifyUser", "POST", "v1/identify",
        com.userpilotrelay.json.Json.object().put("user_id", "u")));
    assertTrue(r.authFailure(), r.toString());
    assertFalse(r.detail().contains("secret-key"), r.detail());
    assertEquals(before, userpilot.calls().size(), "nothing was sent");
    time.now = time.now.plusSeconds(61);
    assertEquals(202, client.validate().status(), "a fixed key is read again, as after a 401");
    for (String bad : new String[] {"", "a b", "k\u0000", "clé", "k\t"}) {
      assertFalse(HttpUserpilotClient.isHeaderSafe(bad), bad);
    }
    assertTrue(HttpUserpilotClient.isHeaderSafe("up_live-AbC123.xyz~"));
  }

  @Test
  void retryAfterParsesSecondsAndDates() {
    assertEquals(Duration.ofSeconds(3), HttpUserpilotClient.parseRetryAfter("3"));
    assertNull(HttpUserpilotClient.parseRetryAfter("soon"));
    Duration d = HttpUserpilotClient.parseRetryAfter(java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
        .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(30)));
    assertTrue(d.toSeconds() > 20 && d.toSeconds() <= 30, d.toString());
  }

  @Test
  void anEndpointThatIsNotAnAbsoluteHttpUrlStopsStartUpNamingTheSetting() {
    for (String bad : new String[] {"analytex.userpilot.io", "ftp://x.test/", "/v1/", "https://", "http://x.test/?a=1"}) {
      Executable build = () -> new Endpoint(Env.of(Map.of(Setting.USERPILOT_ENDPOINT.name(), bad))
          .url(Setting.USERPILOT_ENDPOINT, Endpoint.DEFAULT));
      ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, build, bad);
      assertTrue(e.getMessage().startsWith("USERPILOT_ENDPOINT:"), e.getMessage());
    }
  }

  /** Headers at once, then a body that trickles: the call still ends at its timeout, not when the body does. */
  @Test
  void readingTheAnswersBodyIsInsideTheCallTimeout() throws Exception {
    try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread slow = new Thread(() -> {
        try (java.net.Socket socket = server.accept()) {
          socket.getInputStream().read(new byte[8192]);
          var out = socket.getOutputStream();
          out.write("HTTP/1.1 202 Accepted\r\nContent-Length: 100000\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          for (int i = 0; i < 100; i++) {
            out.write('x');
            out.flush();
            Thread.sleep(100);
          }
        } catch (Exception e) {
          // the client gave up and closed: expected
        }
      });
      slow.setDaemon(true);
      slow.start();
      long started = System.nanoTime();
      UserpilotResponse r = client("http://127.0.0.1:" + server.getLocalPort() + "/", Duration.ofMillis(800))
          .send(new UserpilotRequest("identifyUser", "POST", "v1/identify", Json.object().put("user_id", "u")));
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertEquals(0, r.status(), "no complete answer: " + r);
      assertTrue(r.detail().startsWith("timed out after 800 ms"), r.detail());
      assertTrue(millis < 5_000, "ended at the timeout, not after the 10 s body: " + millis + " ms");
    }
  }
}
