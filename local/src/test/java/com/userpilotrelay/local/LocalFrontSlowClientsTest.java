package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.config.Env;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and stalled clients against the runner over real sockets. The runner starts with the front's
 * deadlines shortened (2 s for a request head, 3 s for a body, cap 80 connections) so the test takes
 * seconds; the defaults (10 s, 30 s, 128) are the same code with other numbers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalFrontSlowClientsTest {
  static final String SECRET = "slow-clients-secret";
  static final FrontServer.Limits LIMITS = new FrontServer.Limits(Duration.ofSeconds(2), Duration.ofSeconds(3),
      Duration.ofSeconds(3), 80, HttpFront.MAX_BODY_BYTES);

  @TempDir
  static Path dataDir;

  private LocalRelay.Running relay;
  private RelayHttp http;
  private int port;
  private final List<Socket> held = new ArrayList<>();

  @BeforeAll
  void start() {
    relay = LocalRelay.start(Env.of(Map.of("SEGMENT_SHARED_SECRET", SECRET, "PORT", "0",
        "SQS_PORT", Integer.toString(RelayHttp.freePort()), "DATA_DIR", dataDir.toString())), LIMITS);
    http = new RelayHttp(relay.url());
    port = relay.url().getPort();
  }

  @AfterEach
  void closeHeld() throws IOException {
    for (Socket s : held) {
      s.close();
    }
    held.clear();
  }

  @AfterAll
  void stop() {
    if (relay != null) {
      relay.stop();
    }
  }

  private Socket stalled(String sent) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    held.add(socket);
    OutputStream out = socket.getOutputStream();
    out.write(sent.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return socket;
  }

  private RelayHttp.Answer signedSegment(String user) {
    String body = "{\"type\":\"identify\",\"userId\":\"" + user + "\"}";
    return http.postJson(body, signed(SECRET, body));
  }

  @Test
  void sixtyFourStalledConnectionsDoNotStopHealthOrSegmentAndAreClosedAtTheirDeadline() throws Exception {
    List<Socket> stalled = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      // The whole head and one byte of a 100-byte body, then nothing.
      stalled.add(stalled("POST /segment HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{"));
    }
    for (int i = 0; i < 16; i++) {
      stalled.add(stalled("POST /segment HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Ty"));
    }
    for (int i = 0; i < 16; i++) {
      stalled.add(stalled(""));
    }
    long heldSince = System.nanoTime();
    for (int i = 0; i < 5; i++) {
      RelayHttp.Answer health = http.get("/health");
      assertEquals(200, health.status(), health.body());
      RelayHttp.Answer segment = signedSegment("while-stalled-" + i);
      assertEquals(200, segment.status(), segment.body());
    }
    assertTrue(System.nanoTime() - heldSince < LIMITS.head().toNanos(),
        "answered while every stalled connection was still open");

    // Each stalled connection is closed by the runner: heads after 2 s, bodies 3 s after their head.
    for (Socket s : stalled) {
      s.setSoTimeout(8_000);
      assertTrue(RawHttp.closedByServer(s), "closed by the runner");
    }
    assertEquals(200, http.get("/health").status());
  }

  @Test
  void aKeepAliveConnectionServesRequestsThenIsClosedWhenIdle() throws Exception {
    Socket socket = stalled("");
    socket.setSoTimeout(8_000);
    String get = "GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n";
    for (int i = 0; i < 3; i++) {
      socket.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
      RawHttp.Answer answer = RawHttp.read(socket.getInputStream());
      assertEquals(200, answer.status(), "request " + i + " on one connection");
    }
    long idleFrom = System.nanoTime();
    assertTrue(RawHttp.closedByServer(socket), "an idle connection is closed");
    assertTrue(System.nanoTime() - idleFrom >= LIMITS.head().toNanos() - 200_000_000L,
        "not before the idle deadline");
  }

  @Test
  void overTheConnectionCapANewConnectionIsAnswered503AndServedAgainOnceStalledOnesExpire() throws Exception {
    for (int i = 0; i < LIMITS.maxConnections(); i++) {
      stalled("GET /health HTTP/1.1\r\n");
    }
    RelayHttp.await("the runner to count every stalled connection", Duration.ofSeconds(5), () -> {
      RawHttp.Answer probe = RawHttp.send(port, "GET /health HTTP/1.1\nHost: 127.0.0.1:" + port + "\n", "");
      return probe.status() == 503;
    });
    RawHttp.Answer busy = RawHttp.send(port, "GET /health HTTP/1.1\nHost: 127.0.0.1:" + port + "\n", "");
    assertEquals(503, busy.status(), busy.body());
    assertTrue(busy.error().startsWith("busy: " + LIMITS.maxConnections() + " connections"), busy.body());
    assertEquals("close", busy.headers().get("connection"));

    RelayHttp.await("the stalled connections to expire", Duration.ofSeconds(8),
        () -> RawHttp.send(port, "GET /health HTTP/1.1\nHost: 127.0.0.1:" + port + "\n", "").status() == 200);
    assertEquals(200, signedSegment("after-the-cap").status());
  }
}
