package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.config.Env;
import com.userpilotrelay.testing.StandInUserpilot;
import java.nio.file.Path;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner when its queue store cannot write (a full disk, a broken file): no request is answered 200, not
 * even one whose sends the SDK repeated after the first attempt's write failed (ElasticMQ would answer such
 * a repeat from memory, as a duplicate, if it counted the first as stored).
 */
class LocalStoreFailureTest {
  private static final String TOKEN = "store-failure-test-token-0123456789";

  @TempDir
  Path dataDir;

  @Test
  void afterAFailedWriteNoRequestIsAnswered200AndHealthSaysFailing() throws Exception {
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      Map<String, String> env = RelayHttp.settings(standIn, dataDir);
      env.put("INGEST_TOKEN", TOKEN);
      LocalRelay.Running relay = LocalRelay.start(Env.of(env));
      try {
        RelayHttp http = new RelayHttp(relay.url());
        Map<String, String> auth = Map.of("Authorization", "Bearer " + TOKEN);
        assertEquals(200, http.postJson(identify("before"), auth).status());
        assertEquals(200, http.get("/health").status());

        // Every table gone under the store: its next commit fails, as on a disk that cannot be written.
        try (Statement s = relay.sqs().store().connection().createStatement()) {
          s.execute("drop all objects");
        }
        // The send's write fails and ElasticMQ answers nothing; the SDK sends again after 2 s. ElasticMQ
        // knows the deduplication id, but not as stored (StoredMessages), so it does not answer the repeat
        // from memory: it tries to store it, which fails too. Ingest answers 503, and Segment will retry.
        RelayHttp.Answer answer = http.postJson(identify("after"), auth);
        assertEquals(503, answer.status(), answer.body());
        assertTrue(answer.body().contains("could not store every event"), answer.body());
        assertNotNull(relay.sqs().storeFailure());
        RelayHttp.Answer health = http.get("/health");
        assertEquals(503, health.status());
        assertEquals("failing", health.json().path("status").asText());
        // And so it stays.
        assertEquals(503, http.postJson(identify("later"), auth).status());
      } finally {
        relay.stop();
      }
    }
  }

  private static String identify(String messageId) {
    return "{\"type\":\"identify\",\"userId\":\"u-store\",\"messageId\":\"" + messageId + "\",\"traits\":{\"plan\":\"pro\"}}";
  }
}
