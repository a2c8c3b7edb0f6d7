package com.userpilotrelay.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in Userpilot on 127.0.0.1 for load: answers 202 after a fixed latency and, when given a limit,
 * allows at most {@code limit} calls per endpoint in any sliding {@code window} (Userpilot's per-minute
 * limits, with time compressed so a run is short), answering 429 beyond it. Calls refused with 429 do not
 * count against the limit. Thread pool sized for far more concurrent calls than any dispatcher makes.
 */
final class StandIn implements AutoCloseable {
  static final int THREADS = 128;

  static {
    // The JDK server writes a response's headers and body separately; without TCP_NODELAY, Nagle's
    // algorithm holds the body until the client's delayed ACK (~40 ms on Linux), which would add
    // 40 ms to every answer that is not the stand-in's configured latency. Read once, when the first
    // server starts: Bench.main sets it too, before anything else.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final HttpServer server;
  private final ExecutorService pool;
  private final long latencyMillis;
  private final int limit;
  private final long windowNanos;
  private final Map<String, ArrayDeque<Long>> windows = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> acceptedByEndpoint = new ConcurrentHashMap<>();
  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong throttled = new AtomicLong();
  private final AtomicLong badHeaders = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private volatile long firstAcceptedNanos;
  private volatile long lastAcceptedNanos;

  /** @param limit calls per endpoint per window; 0 for no limit */
  StandIn(long latencyMillis, int limit, Duration window) {
    this.latencyMillis = latencyMillis;
    this.limit = limit;
    this.windowNanos = window == null ? 0 : window.toNanos();
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    pool = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "stand-in");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(pool);
    server.createContext("/", this::handle);
    server.start();
  }

  static StandIn fixedLatency(long millis) {
    return new StandIn(millis, 0, null);
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      long now = System.nanoTime();
      int current = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(current, Math::max);
      try {
        try (InputStream in = exchange.getRequestBody()) {
          in.readAllBytes();
        }
        calls.incrementAndGet();
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Token ")) {
          badHeaders.incrementAndGet();
        }
        String endpoint = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath();
        boolean allowed = admit(endpoint, now);
        if (latencyMillis > 0) {
          try {
            Thread.sleep(latencyMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        if (allowed) {
          accepted.incrementAndGet();
          acceptedByEndpoint.computeIfAbsent(endpoint, k -> new AtomicLong()).incrementAndGet();
          if (firstAcceptedNanos == 0) {
            firstAcceptedNanos = now;
          }
          lastAcceptedNanos = now;
          send(exchange, 202, "{}");
        } else {
          throttled.incrementAndGet();
          send(exchange, 429, "{\"error\":\"rate limit exceeded\"}");
        }
      } finally {
        inFlight.decrementAndGet();
      }
    }
  }

  /** Sliding-window log per endpoint: admitted when fewer than {@code limit} calls were admitted within the window. */
  private boolean admit(String endpoint, long now) {
    if (limit <= 0) {
      return true;
    }
    ArrayDeque<Long> log = windows.computeIfAbsent(endpoint, k -> new ArrayDeque<>());
    synchronized (log) {
      while (!log.isEmpty() && now - log.peekFirst() >= windowNanos) {
        log.pollFirst();
      }
      if (log.size() >= limit) {
        return false;
      }
      log.addLast(now);
      return true;
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  void reset() {
    windows.clear();
    acceptedByEndpoint.clear();
    calls.set(0);
    accepted.set(0);
    throttled.set(0);
    badHeaders.set(0);
    maxInFlight.set(0);
    firstAcceptedNanos = 0;
    lastAcceptedNanos = 0;
  }

  long calls() {
    return calls.get();
  }

  long accepted() {
    return accepted.get();
  }

  long accepted(String endpoint) {
    AtomicLong v = acceptedByEndpoint.get(endpoint);
    return v == null ? 0 : v.get();
  }

  long throttled() {
    return throttled.get();
  }

  long badHeaders() {
    return badHeaders.get();
  }

  int maxInFlight() {
    return maxInFlight.get();
  }

  long firstAcceptedNanos() {
    return firstAcceptedNanos;
  }

  long lastAcceptedNanos() {
    return lastAcceptedNanos;
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
