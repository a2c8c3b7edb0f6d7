package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /stats balances exactly while delivery is under way: accepted = queueDepth + delivered + skipped +
 * deadLettered at every moment once ingest has answered (the bench's local-runner accounting). The bench once
 * counted 30,002 of 30,000 because a finished message was counted as delivered while its batch still sat on the
 * queue, not yet deleted.
 */
class LocalStatsBooksTest {
  private static final String TOKEN = "books-token";

  @TempDir
  Path dataDir;

  @Test
  void theBooksBalanceAtEveryMomentOfDelivery() throws Exception {
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      // Slow enough answers that every sample below falls while some batch is part done.
      standIn.answer(call -> Reply.accepted().after(120));
      Map<String, String> env = RelayHttp.settings(standIn, dataDir);
          env.put("INGEST_TOKEN", TOKEN);
            env.put("RETRY_BASE_SECONDS", "1");
      env.put("RATE_LIMIT_IDENTIFY_PER_MINUTE", "6000");
      env.put("RATE_LIMIT_TRACK_PER_MINUTE", "6000");
      env.put("DISPATCH_CONCURRENCY", "2");
      LocalRelay.Running relay = LocalRelay.start(Env.of(env));
      try {
        RelayHttp http = new RelayHttp(relay.url());
        // Delivered (identify, track), skipped (page: no preset maps it) and dead-lettered (createdAt that is no date).
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < 60; i++) {
          String user = "b" + (i % 15);
          body.append(i == 0 ? "" : ",").append(switch (i % 6) {
            case 0 -> "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"b" + i + "\"}";
            case 1 -> "{\"type\":\"page\",\"userId\":\"" + user + "\",\"messageId\":\"b" + i + "\"}";
            case 2 -> "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"b" + i
                + "\",\"traits\":{\"createdAt\":\"yesterday\"}}";
            default -> "{\"type\":\"track\",\"userId\":\"" + user + "\",\"event\":\"E\",\"messageId\":\"b" + i + "\"}";
          });
        }
        RelayHttp.Answer answer = http.postJson(body.append("]").toString(), Map.of("Authorization", "Bearer " + TOKEN));
        assertEquals(200, answer.status(), answer.body());
        assertEquals(60, answer.json().get("accepted").asInt());

        List<String> unbalanced = new ArrayList<>();
        int samples = 0;
        int midway = 0;
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
          JsonNode s = http.get("/stats").json();
          samples++;
          long accounted = s.get("queueDepth").asLong() + s.get("delivered").asLong() + s.get("skipped").asLong()
              + s.get("deadLettered").asLong();
          if (accounted != s.get("accepted").asLong()) {
            unbalanced.add(s.toString());
          }
          if (s.get("queueDepth").asInt() > 0 && s.get("delivered").asInt() > 0) {
            midway++;
          }
          if (s.get("queueDepth").asInt() == 0) {
            break;
          }
          Thread.sleep(15);
        }
        JsonNode last = http.get("/stats").json();
        System.out.println("/stats sampled " + samples + " times (" + midway + " mid-delivery); last " + last);
        assertEquals(0, last.get("queueDepth").asInt(), "everything settled: " + last);
        assertTrue(midway >= 5, "the samples saw delivery under way: " + midway);
        assertEquals(List.of(), unbalanced, "accepted = queueDepth + delivered + skipped + deadLettered");
        assertEquals(40, last.get("delivered").asInt());
        assertEquals(10, last.get("skipped").asInt());
        assertEquals(10, last.get("deadLettered").asInt());
        assertEquals(40, standIn.accepted().size(), "and that many reached Userpilot: no duplicate behind the books");
      } finally {
        relay.stop();
      }
    }
  }
}
