package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.await;
import static com.userpilotrelay.local.RelayHttp.deliveredFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.segment.SegmentLimits;
import com.userpilotrelay.testing.Compress;
import com.userpilotrelay.testing.StandInUserpilot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The door as Segment meets it, through the runner's HTTP front: the request ceiling at, just under and
 * just over it, both signing modes, compressed bodies, a batch object with a large shared context.
 * Signed and with a token, as a deployment that follows the README is configured.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalDoorTest {
  static final String SECRET = "door-secret";
  static final String TOKEN = "door-token-5e2a";

  @TempDir
  static Path dataDir;

  private StandInUserpilot standIn;
  private LocalRelay.Running relay;
  private RelayHttp http;

  @BeforeAll
  void start() {
    standIn = new StandInUserpilot();
    Map<String, String> env = RelayHttp.settings(standIn, dataDir);
    env.put("SEGMENT_SHARED_SECRET", SECRET);
    env.put("INGEST_TOKEN", TOKEN);
    env.put("RETRY_BASE_SECONDS", "1");
    // The ceiling test queues hundreds of events for two users; Userpilot's real 600/min would leave the later
    // tests' events waiting behind them for a minute.
    env.put("RATE_LIMIT_IDENTIFY_PER_MINUTE", "600000");
    env.put("RATE_LIMIT_TRACK_PER_MINUTE", "600000");
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

  private static Map<String, String> firstElementSigned(byte[] json) {
    return Map.of("X-Signature", RequestAuthenticator.sign(SECRET, SegmentBody.signedBytesOf(json)),
        "Authorization", "Bearer " + TOKEN);
  }

  private RelayHttp.Answer post(byte[] body, Map<String, String> headers) {
    return http.post("/segment", "application/json", body, headers);
  }

  /** A valid array of {@code events} track events for {@code user}, padded to exactly {@code bytes}. */
  static byte[] batchOf(int bytes, int events, String user) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < events; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"userId\":\"").append(user).append("\",\"event\":\"Door ")
          .append(1000 + i).append("\",\"messageId\":\"").append(user).append('-').append(1000 + i)
          .append("\",\"properties\":{\"pad\":\"\"}}");
    }
    sb.append("]");
    int perEvent = (bytes - sb.length()) / events;
    int remainder = (bytes - sb.length()) % events;
    StringBuilder out = new StringBuilder(bytes);
    String[] parts = sb.toString().split("\"pad\":\"", -1);
    for (int i = 0; i < parts.length; i++) {
      out.append(parts[i]);
      if (i < events) {
        out.append("\"pad\":\"").append("p".repeat(perEvent + (i == events - 1 ? remainder : 0)));
      }
    }
    byte[] body = out.toString().getBytes(StandardCharsets.UTF_8);
    assertEquals(bytes, body.length);
    return body;
  }

  @Test
  void atAndJustUnderTheCeilingEveryEventIsAcceptedAndJustOverIs413NamingSegmentsBatchSize() throws Exception {
    String user = "ceiling-" + UUID.randomUUID().toString().substring(0, 8);
    // The body whose cost inside a Lambda invocation is exactly the limit (padding letters cost a byte each).
    byte[] probe = batchOf(1_000_000, 200, user + "-a");
    int max = (int) (1_000_000 + SegmentLimits.LAMBDA_INVOCATION_BYTES - SegmentLimits.invocationBytes(probe, false));
    long acceptedBefore = http.get("/stats").json().get("accepted").asLong();
    byte[] at = batchOf(max, 200, user + "-a");
    RelayHttp.Answer atCeiling = post(at, firstElementSigned(at));
    assertEquals(200, atCeiling.status(), atCeiling.body());
    assertEquals(200, atCeiling.json().get("accepted").asInt());
    byte[] under = batchOf(max - 1, 200, user + "-u");
    RelayHttp.Answer justUnder = post(under, firstElementSigned(under));
    assertEquals(200, justUnder.status(), justUnder.body());
    assertEquals(200, justUnder.json().get("accepted").asInt());
    assertEquals(acceptedBefore + 400, http.get("/stats").json().get("accepted").asLong());

    // Sent whole, as Segment sends it: the front reads it to the end and answers (no connection reset).
    byte[] over = batchOf(max + 1, 200, user + "-o");
    RelayHttp.Answer justOver = post(over, firstElementSigned(over));
    assertEquals(413, justOver.status(), justOver.body());
    String error = justOver.json().get("error").asText();
    assertTrue(error.contains("over its 6291456-byte limit") && error.contains("Batch Size (batch_size)"), error);
    assertEquals(acceptedBefore + 400, http.get("/stats").json().get("accepted").asLong());
  }

  @Test
  void anArraySignedOverTheWholeBodyIsAcceptedAndAnythingElseIs401() {
    String user = "whole-" + UUID.randomUUID().toString().substring(0, 8);
    byte[] body = ("[{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"One\"},"
        + "{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"Two\"}]").getBytes(StandardCharsets.UTF_8);
    RelayHttp.Answer whole = post(body, Map.of("X-Signature", RequestAuthenticator.sign(SECRET, body),
        "Authorization", "Bearer " + TOKEN));
    assertEquals(200, whole.status(), whole.body());
    assertEquals(2, whole.json().get("accepted").asInt());
    RelayHttp.Answer wrong = post(body, Map.of("X-Signature", RequestAuthenticator.sign("other", body),
        "Authorization", "Bearer " + TOKEN));
    assertEquals(401, wrong.status());
    await("both events delivered", Duration.ofSeconds(20), () -> deliveredFor(standIn, user).size() == 2);
  }

  @Test
  void aGzipBodyIsDecodedAndSignedOverItsJsonAndAnUnknownEncodingIs415() {
    String user = "gzip-" + UUID.randomUUID().toString().substring(0, 8);
    byte[] json = ("[{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"Zipped\",\"properties\":{\"n\":\"Zoë\"}}]")
        .getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new HashMap<>(firstElementSigned(json));
    headers.put("Content-Encoding", "gzip");
    RelayHttp.Answer zipped = post(Compress.gzip(json), headers);
    assertEquals(200, zipped.status(), zipped.body());
    await("the zipped event delivered", Duration.ofSeconds(20), () -> deliveredFor(standIn, user).size() == 1);
    assertEquals("Zoë", deliveredFor(standIn, user).get(0).body().at("/metadata/n").asText());
    headers.put("Content-Encoding", "br");
    RelayHttp.Answer brotli = post(Compress.gzip(json), headers);
    assertEquals(415, brotli.status());
    assertTrue(brotli.json().get("error").asText().startsWith("content-encoding:"), brotli.body());
  }

  @Test
  void aLargeSharedContextRejectsEachEventAloneAndQuarantinesEach() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    StringBuilder sb = new StringBuilder("{\"batch\":[");
    for (int i = 0; i < 3; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"type\":\"identify\",\"userId\":\"ctx-").append(run)
          .append("\",\"messageId\":\"ctx-").append(run).append('-').append(i).append("\"}");
    }
    sb.append("],\"context\":{\"blob\":\"").append("c".repeat(300_000)).append("\"}}");
    byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
    RelayHttp.Answer answer = post(body, firstElementSigned(body));
    assertEquals(413, answer.status(), answer.body().substring(0, Math.min(300, answer.body().length())));
    JsonNode rejected = answer.json().get("rejected");
    assertEquals(3, rejected.size());
    rejected.forEach(r -> assertTrue(r.get("errors").get(0).asText().contains("limit for one event"), r.toString()));
    // Refused input is kept in the rejected queue, apart from the dead letters (never redriven).
    long quarantined = http.rejected().stream()
        .filter(e -> e.path("messageId").asText("").startsWith("ctx-" + run))
        .filter(e -> e.path("reason").asText("").contains("limit for one event")).count();
    assertEquals(3, quarantined, "each event quarantined with its reason");
  }

  @Test
  void aBodyWithBothBatchAndTypeIs400() {
    byte[] body = "{\"batch\":[{\"type\":\"identify\",\"userId\":\"b\"}],\"type\":\"identify\",\"userId\":\"u\"}"
        .getBytes(StandardCharsets.UTF_8);
    RelayHttp.Answer answer = post(body, firstElementSigned(body));
    assertEquals(400, answer.status());
    assertTrue(answer.json().get("error").asText().contains("\"batch\" and a top-level \"type\""), answer.body());
  }
}
