package com.userpilotrelay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A real HTTP server on loopback standing in for Userpilot's API. It checks every call's headers the
 * way Userpilot does (a wrong key or missing API version is refused with 401/400) and records method,
 * path and JSON body for the test to compare. Tests script its answers per request.
 */
public final class StandInUserpilot implements AutoCloseable {
  /** One call as received. */
  public record Call(String method, String path, Map<String, List<String>> headers, JsonNode body, long receivedNanos) {
    public String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .findFirst().map(e -> e.getValue().get(0)).orElse(null);
    }

    /** The user (or company) the call is about: user_id, company_id or users[0]. */
    public String subject() {
      if (body == null) {
        return null;
      }
      if (body.has("user_id")) {
        return body.get("user_id").asText();
      }
      if (body.has("company_id")) {
        return body.get("company_id").asText();
      }
      return body.path("users").path(0).asText(null);
    }
  }

  /** How to answer one call. */
  public record Reply(int status, long delayMillis, String retryAfter, boolean resetConnection) {
    public static Reply status(int status) {
      return new Reply(status, 0, null, false);
    }

    public static Reply accepted() {
      return status(202);
    }

    public Reply after(long millis) {
      return new Reply(status, millis, retryAfter, resetConnection);
    }

    public Reply withRetryAfter(String value) {
      return new Reply(status, delayMillis, value, resetConnection);
    }

    public static Reply reset() {
      return new Reply(0, 0, null, true);
    }
  }

  public static final String API_KEY = "test-api-key";

  private final HttpServer server;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Call> accepted = new CopyOnWriteArrayList<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private volatile Function<Call, Reply> script = call -> Reply.accepted();

  public StandInUserpilot() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "stand-in-userpilot");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  /** The endpoint to configure, with a base path to prove paths are joined onto it. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  public void answer(Function<Call, Reply> script) {
    this.script = script;
  }

  /** Every call received, in arrival order. */
  public List<Call> calls() {
    return new ArrayList<>(calls);
  }

  /** Calls answered with a 2xx. */
  public List<Call> accepted() {
    return new ArrayList<>(accepted);
  }

  /** Header problems seen (each also answered 401/400 as Userpilot would). */
  public List<String> violations() {
    return new ArrayList<>(violations);
  }

  public void reset() {
    calls.clear();
    accepted.clear();
    violations.clear();
    script = call -> Reply.accepted();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] raw;
      try (InputStream in = exchange.getRequestBody()) {
        raw = in.readAllBytes();
      }
      JsonNode body = null;
      if (raw.length > 0) {
        try {
          body = Json.MAPPER.readTree(raw);
        } catch (IOException e) {
          violations.add("body is not JSON: " + new String(raw, StandardCharsets.UTF_8));
        }
      }
      Call call = new Call(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
          Map.copyOf(exchange.getRequestHeaders()), body, System.nanoTime());
      calls.add(call);
      String problem = headerProblem(call, raw.length > 0);
      if (problem != null) {
        violations.add(call.method() + " " + call.path() + ": " + problem);
        send(exchange, problem.startsWith("Authorization") ? 401 : 400, "{\"error\":\"" + problem + "\"}");
        return;
      }
      Reply reply = script.apply(call);
      if (reply.delayMillis() > 0) {
        try {
          Thread.sleep(reply.delayMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (reply.resetConnection()) {
        // Close without an answer: the client sees the connection drop.
        exchange.getHttpContext().getServer();
        exchange.close();
        return;
      }
      if (reply.retryAfter() != null) {
        exchange.getResponseHeaders().add("Retry-After", reply.retryAfter());
      }
      if (reply.status() / 100 == 2) {
        accepted.add(call);
      }
      send(exchange, reply.status(), reply.status() / 100 == 2 ? "{}" : "{\"error\":\"scripted\"}");
    }
  }

  private static String headerProblem(Call call, boolean hasBody) {
    if (!("Token " + API_KEY).equals(call.header("Authorization"))) {
      return "Authorization must be 'Token <API key>'";
    }
    if (!"2020-09-22".equals(call.header("X-API-Version"))) {
      return "X-API-Version must be 2020-09-22";
    }
    String agent = call.header("User-Agent");
    if (agent == null || !agent.startsWith("userpilot-relay/")) {
      return "User-Agent must name the relay";
    }
    if (hasBody && (call.header("Content-Type") == null || !call.header("Content-Type").startsWith("application/json"))) {
      return "Content-Type must be application/json";
    }
    return null;
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
