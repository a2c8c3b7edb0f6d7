package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.await;
import static com.userpilotrelay.local.RelayHttp.deliveredFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.config.Env;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.queue.SqsClients;
import com.userpilotrelay.testing.StandInUserpilot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** The runner with a token (INGEST_TOKEN) instead of a signature: Webhooks (Actions) with batching. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalRelayTokenTest {
  static final String TOKEN = "local-token-7b1c";

  @TempDir
  static Path dataDir;

  private StandInUserpilot standIn;
  private LocalRelay.Running relay;
  private RelayHttp http;

  @BeforeAll
  void start() {
    standIn = new StandInUserpilot();
    relay = LocalRelay.start(Env.of(Map.of(
        "USERPILOT_API_KEY", StandInUserpilot.API_KEY,
        "USERPILOT_ENDPOINT", RelayHttp.endpointWithoutSlash(standIn),
        "INGEST_TOKEN", TOKEN,
        "PORT", "0",
        "SQS_PORT", Integer.toString(RelayHttp.freePort()),
        "DATA_DIR", dataDir.toString(),
        "RETRY_BASE_SECONDS", "1",
        "DISPATCH_CONCURRENCY", "2")));
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

  @Test
  void aTokenAuthenticatedArrayIsAcceptedAndEveryEventDeliveredOnce() {
    String a = "arr-" + UUID.randomUUID();
    String b = "arr-" + UUID.randomUUID();
    String body = "[{\"type\":\"identify\",\"userId\":\"" + a + "\",\"traits\":{\"plan\":\"team\"}},"
        + "{\"type\":\"track\",\"userId\":\"" + b + "\",\"event\":\"Exported\",\"properties\":{\"rows\":12}}]";
    RelayHttp.Answer answer = http.postJson(body, Map.of("Authorization", "Bearer " + TOKEN));
    assertEquals(200, answer.status(), answer.body());
    assertEquals(2, answer.json().get("accepted").asInt());
    // No messageIds were sent: the relay assigned them and says so.
    assertEquals(2, answer.json().get("assigned").size());

    await("both deliveries", Duration.ofSeconds(20),
        () -> deliveredFor(standIn, a).size() == 1 && deliveredFor(standIn, b).size() == 1);
    assertEquals("/v1/identify", deliveredFor(standIn, a).get(0).path());
    assertEquals("team", deliveredFor(standIn, a).get(0).body().at("/metadata/plan").asText());
    assertEquals("/v1/track", deliveredFor(standIn, b).get(0).path());
    assertEquals(12, deliveredFor(standIn, b).get(0).body().at("/metadata/rows").asInt());
  }

  @Test
  void theEventsQueueKeepsTheTemplatesSafetyNet() {
    try (SqsClient sqs = SqsClients.local(relay.sqsEndpoint())) {
      String events = sqs.getQueueUrl(b -> b.queueName(LocalSqs.EVENTS_QUEUE)).queueUrl();
      String policy = sqs.getQueueAttributes(b -> b.queueUrl(events).attributeNames(QueueAttributeName.REDRIVE_POLICY))
          .attributes().get(QueueAttributeName.REDRIVE_POLICY);
      assertEquals(LocalRelay.MAX_RECEIVE_COUNT, Json.parse(policy).get("maxReceiveCount").asInt(), policy);
    }
  }

  @Test
  void basicAuthenticationWithTheTokenAsPasswordIsAccepted() {
    String basic = Base64.getEncoder().encodeToString(("segment:" + TOKEN).getBytes(StandardCharsets.UTF_8));
    String body = "{\"type\":\"identify\",\"userId\":\"basic-" + UUID.randomUUID() + "\"}";
    assertEquals(200, http.postJson(body, Map.of("Authorization", "Basic " + basic)).status());
  }

  @Test
  void aMissingOrWrongTokenIs401() {
    String body = "[{\"type\":\"identify\",\"userId\":\"nobody\"}]";
    assertEquals(401, http.postJson(body, Map.of()).status());
    assertEquals(401, http.postJson(body, Map.of("Authorization", "Bearer wrong")).status());
    assertEquals(401, http.postJson(body, Map.of("Authorization", TOKEN)).status());
    assertTrue(http.get("/stats").json().get("received").asLong() >= 3);
  }
}
