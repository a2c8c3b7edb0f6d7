package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The SQS port guard's own limits, over real sockets, with short deadlines: a stand-in upstream counts the
 * bytes it is sent (ElasticMQ in LocalSqsPortTest).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalSqsPortGuardTest {
  static final SqsPortGuard.Limits LIMITS = new SqsPortGuard.Limits(Duration.ofSeconds(2), Duration.ofSeconds(1), 4,
      64 * 1024);
  static final String SIGNED = "Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/sqs/aws4_request,"
      + " SignedHeaders=host;x-amz-date, Signature=0123\nContent-Type: application/x-amz-json-1.0\n"
      + "X-Amz-Target: AmazonSQS.ListQueues\n";

  private ActorSystem system;
  private HttpServer upstream;
  private SqsPortGuard guard;
  private final AtomicLong upstreamBytes = new AtomicLong();

  @BeforeAll
  void start() throws Exception {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    upstream.createContext("/", exchange -> {
      long n;
      try (InputStream in = exchange.getRequestBody()) {
        n = in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      upstreamBytes.addAndGet(n);
      if (exchange.getRequestHeaders().containsKey("X-Slow")) {
        sleep(4000);
      }
      byte[] answer = ("{\"received\":" + n + "}").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    upstream.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
    upstream.start();
    system = ActorSystem.create("guard-test");
    guard = SqsPortGuard.start(system, 0, upstream.getAddress(), LIMITS);
  }

  @AfterAll
  void stop() throws Exception {
    if (guard != null) {
      guard.close();
    }
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private RawHttp.Answer signedPost(int bodyBytes, String extraHeaders) {
    return RawHttp.send(guard.port(), "POST / HTTP/1.1\nHost: 127.0.0.1:" + guard.port() + "\n" + SIGNED
        + extraHeaders + "Content-Length: " + bodyBytes + "\n", new byte[bodyBytes]);
  }

  private Socket stalled() throws IOException {
    Socket s = new Socket("127.0.0.1", guard.port());
    s.getOutputStream().write(("POST / HTTP/1.1\r\nHost: 127.0.0.1:" + guard.port() + "\r\nContent-")
        .getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  @Test
  void aSignedBodyIsForwardedWholeAndAnOversizedOneNeverReachesTheQueue() {
    long before = upstreamBytes.get();
    RawHttp.Answer whole = signedPost(60 * 1024, "");
    assertEquals(200, whole.status(), whole.body());
    assertEquals("{\"received\":" + 60 * 1024 + "}", whole.body());

    long after = upstreamBytes.get();
    assertEquals(60 * 1024, after - before);
    RawHttp.Answer oversized = signedPost(65 * 1024, "");
    assertEquals(403, oversized.status(), oversized.body());
    assertTrue(oversized.json().path("message").asText().contains("body is over 65536 bytes"), oversized.body());
    assertEquals(after, upstreamBytes.get(), "nothing of the oversized body was forwarded");

    // Chunked, the size is known only as it arrives: the stream is cut at the limit, and no whole request arrives.
    StringBuilder chunks = new StringBuilder();
    for (int i = 0; i < 65; i++) {
      chunks.append("400\r\n").append("x".repeat(1024)).append("\r\n");
    }
    chunks.append("0\r\n\r\n");
    int status;
    try {
      status = RawHttp.send(guard.port(), "POST / HTTP/1.1\nHost: 127.0.0.1:" + guard.port() + "\n" + SIGNED
          + "Transfer-Encoding: chunked\n", chunks.toString()).status();
    } catch (java.io.UncheckedIOException closed) {
      status = 0;
    }
    assertTrue(status != 200, "a chunked body over the limit is not served: " + status);
    assertEquals(after, upstreamBytes.get(), "no whole request reached the upstream");
  }

  @Test
  void aStalledClientIsClosedAtTheIdleDeadline() throws Exception {
    try (Socket s = stalled()) {
      s.setSoTimeout(5000);
      long began = System.nanoTime();
      int read;
      try {
        read = s.getInputStream().read();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("a client that stopped half-way through its head was still connected after 5 s");
      } catch (IOException reset) {
        read = -1;
      }
      assertEquals(-1, read, "closed without an answer");
      assertTrue(System.nanoTime() - began < TimeUnit.SECONDS.toNanos(4));
    }
  }

  @Test
  void anUpstreamThatDoesNotAnswerInTimeIsA503() {
    RawHttp.Answer slow = signedPost(10, "X-Slow: 1\n");
    assertEquals(503, slow.status(), slow.body());
  }

  @Test
  void overTheCapANewClientWaitsUntilTheStalledOnesExpire() throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < LIMITS.maxConnections(); i++) {
        held.add(stalled());
      }
      sleep(200);
      try (Socket next = new Socket("127.0.0.1", guard.port())) {
        next.setSoTimeout(500);
        next.getOutputStream().write(("POST / HTTP/1.1\r\nHost: 127.0.0.1:" + guard.port() + "\r\n"
            + SIGNED.replace("\n", "\r\n") + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThrows(SocketTimeoutException.class, () -> next.getInputStream().read(),
            "no answer while " + LIMITS.maxConnections() + " connections are open");
        next.setSoTimeout(5000);
        RawHttp.Answer later = RawHttp.read(next.getInputStream());
        assertEquals(200, later.status(), "served once the stalled connections expired: " + later.body());
      }
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }
}
