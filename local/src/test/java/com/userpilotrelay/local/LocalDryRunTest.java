package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.config.Env;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No API key and no credentials: authentication off (loudly) and a dry run that prints each request. */
class LocalDryRunTest {
  @TempDir
  Path dataDir;

  @Test
  void withoutAKeyEachUserpilotRequestIsPrintedAndAnswered202() {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
    System.setOut(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new Tee(originalErr, capturedErr), true, StandardCharsets.UTF_8));
    LocalRelay.Running relay = null;
    try {
      relay = LocalRelay.start(Env.of(Map.of(
          "PORT", "0",
          "SQS_PORT", Integer.toString(RelayHttp.freePort()),
          "DATA_DIR", dataDir.toString())));
      assertTrue(relay.dryRun());
      assertTrue(capturedErr.toString(StandardCharsets.UTF_8).contains("WARNING: authentication is OFF"),
          "the open door is announced");
      assertTrue(relay.banner().contains("DRY RUN"), relay.banner());

      RelayHttp http = new RelayHttp(relay.url());
      String user = "dry-" + UUID.randomUUID();
      String body = "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"plan\":\"pro\"}}";
      RelayHttp.Answer answer = http.postJson(body, Map.of());
      assertEquals(200, answer.status(), answer.body());

      String expected = "DRY RUN POST https://analytex.userpilot.io/v1/identify {\"user_id\":\"" + user + "\"";
      RelayHttp.await("the dry-run line", Duration.ofSeconds(20),
          () -> captured.toString(StandardCharsets.UTF_8).contains(expected));
      RelayHttp.await("the delivery count", Duration.ofSeconds(5),
          () -> http.get("/stats").json().get("delivered").asLong() == 1);
    } finally {
      if (relay != null) {
        relay.stop();
      }
      System.setOut(original);
      System.setErr(originalErr);
    }
  }

  /** Writes to both streams: the test sees the output and so does the report. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] bytes, int off, int len) throws java.io.IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }

    @Override
    public void flush() throws java.io.IOException {
      a.flush();
      b.flush();
    }
  }
}
