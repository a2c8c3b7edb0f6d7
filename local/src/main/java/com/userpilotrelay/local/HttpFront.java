package com.userpilotrelay.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.ingest.IngestHandler;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.observe.Log;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The local stand-in for API Gateway's HTTP API: {@code POST /segment} becomes a payload-2.0
 * {@link APIGatewayV2HTTPEvent} (lower-cased headers, the body base64-encoded so the signature check sees
 * the exact bytes) handed to the real {@link IngestHandler}; plus the local-only routes.
 */
final class HttpFront {
  /** Bodies above this are refused before they are read to the end (API Gateway's own limit is 10 MB). */
  static final int MAX_BODY_BYTES = 1024 * 1024;
  static final String ROUTE_KEY = "POST /segment";
  /** The ingest function's timeout in template.yaml. */
  static final Duration INGEST_BUDGET = Duration.ofSeconds(10);

  /** What the local-only routes do; implemented by the runner. */
  interface Routes {
    boolean ready();

    ObjectNode stats();

    com.fasterxml.jackson.databind.node.ArrayNode deadLetters();

    int redrive();

    /** The page and GET /events (EventPage): true when it answered. */
    boolean page(HttpExchange exchange, String method, String path) throws IOException;
  }

  private final HttpServer server;
  private final ExecutorService workers;
  private final IngestHandler ingest;
  private final RelayStats stats;
  private final Routes routes;

  private HttpFront(HttpServer server, ExecutorService workers, IngestHandler ingest, RelayStats stats, Routes routes) {
    this.server = server;
    this.workers = workers;
    this.ingest = ingest;
    this.stats = stats;
    this.routes = routes;
  }

  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle's algorithm holds the
    // body until the client's delayed ACK: about 40 ms added to every answer (measured in bench/). The
    // property is read once, when the JDK's server classes load, so it is set before any server starts.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  static HttpFront start(int port, IngestHandler ingest, RelayStats stats, Routes routes) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    } catch (BindException e) {
      throw new ConfigException(Setting.PORT.name() + ": cannot listen on 127.0.0.1:" + port
          + " (already in use? choose another port)", e);
    } catch (IOException e) {
      throw new ConfigException(Setting.PORT.name() + ": cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService workers = Executors.newFixedThreadPool(16, r -> {
      Thread t = new Thread(r, "relay-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    HttpFront front = new HttpFront(server, workers, ingest, stats, routes);
    server.createContext("/", front::handle);
    server.setExecutor(workers);
    server.start();
    return front;
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Stops accepting, lets requests in progress finish (up to {@code grace}). */
  void stop(Duration grace) {
    server.stop((int) Math.max(0, Math.min(Integer.MAX_VALUE, grace.toSeconds())));
    workers.shutdown();
    try {
      workers.awaitTermination(grace.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
      String path = exchange.getRequestURI().getRawPath();
      String refused = LocalGuard.refusal(exchange, method, path, port());
      if (refused != null) {
        error(exchange, 403, refused);
        return;
      }
      switch (path) {
        case "/segment" -> {
          if (allowed(exchange, method, "POST")) {
            segment(exchange);
          }
        }
        case "/health" -> {
          if (allowed(exchange, method, "GET")) {
            boolean ready = routes.ready();
            ObjectNode body = Json.object().put("status", ready ? "ok" : "starting");
            send(exchange, ready ? 200 : 503, Json.write(body));
          }
        }
        case "/stats" -> {
          if (allowed(exchange, method, "GET")) {
            send(exchange, 200, Json.write(routes.stats()));
          }
        }
        case "/dead-letters" -> {
          if (allowed(exchange, method, "GET")) {
            send(exchange, 200, Json.write(routes.deadLetters()));
          }
        }
        case "/dead-letters/redrive" -> {
          if (allowed(exchange, method, "POST")) {
            send(exchange, 200, Json.write(Json.object().put("redriven", routes.redrive())));
          }
        }
        default -> {
          if (!routes.page(exchange, method, path)) {
            error(exchange, 404, "not found: " + method + " " + path + "; routes: POST /segment, GET /health,"
                + " GET /stats, GET /dead-letters, POST /dead-letters/redrive, GET /, GET /events/{messageId}");
          }
        }
      }
    } catch (RuntimeException e) {
      Log.error("local http: request failed", Map.of("error", e.getClass().getName(),
          "detail", String.valueOf(e.getMessage())));
      try {
        error(exchange, 500, "internal error: " + e.getClass().getSimpleName());
      } catch (IOException | RuntimeException ignored) {
        // the response was already under way
      }
    }
  }

  private static boolean allowed(HttpExchange exchange, String method, String allowed) throws IOException {
    if (method.equals(allowed)) {
      return true;
    }
    exchange.getResponseHeaders().set("Allow", allowed);
    error(exchange, 405, "method not allowed: " + method + " " + exchange.getRequestURI().getRawPath()
        + "; use " + allowed);
    return false;
  }

  private void segment(HttpExchange exchange) throws IOException {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        error(exchange, 400, "content-length: not a number");
        return;
      }
      if (length > MAX_BODY_BYTES) {
        tooLarge(exchange, length + " bytes");
        return;
      }
    }
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) {
      tooLarge(exchange, "more than " + MAX_BODY_BYTES + " bytes");
      return;
    }
    APIGatewayV2HTTPResponse response = ingest.handleRequest(toEvent(exchange, body),
        new LocalContext("ingest", INGEST_BUDGET));
    stats.ingested(response.getBody());
    if (response.getHeaders() != null) {
      response.getHeaders().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
    }
    byte[] answer = response.getBody() == null ? new byte[0]
        : response.getIsBase64Encoded() ? Base64.getDecoder().decode(response.getBody())
        : response.getBody().getBytes(StandardCharsets.UTF_8);
    sendBytes(exchange, response.getStatusCode(), answer);
  }

  /** Answers 413 and closes the connection, so the rest of the body is never read. */
  private static void tooLarge(HttpExchange exchange, String size) throws IOException {
    exchange.getResponseHeaders().set("Connection", "close");
    error(exchange, 413, "body: " + size + " is over the local runner's " + MAX_BODY_BYTES
        + "-byte limit; Segment's own limit is 500 KB per request");
  }

  /** The payload-2.0 event API Gateway would pass for this request. */
  static APIGatewayV2HTTPEvent toEvent(HttpExchange exchange, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    List<String> cookies = new java.util.ArrayList<>();
    exchange.getRequestHeaders().forEach((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("cookie")) {
        for (String v : values) {
          for (String c : v.split(";")) {
            if (!c.isBlank()) {
              cookies.add(c.trim());
            }
          }
        }
      } else {
        headers.merge(lower, String.join(",", values), (a, b) -> a + "," + b);
      }
    });
    String path = exchange.getRequestURI().getRawPath();
    String query = exchange.getRequestURI().getRawQuery();
    Map<String, String> queryParameters = new LinkedHashMap<>();
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        String[] kv = pair.split("=", 2);
        String key = java.net.URLDecoder.decode(kv[0], StandardCharsets.UTF_8);
        String value = kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "";
        queryParameters.merge(key, value, (a, b) -> a + "," + b);
      }
    }
    String sourceIp = exchange.getRemoteAddress() == null ? "127.0.0.1"
        : exchange.getRemoteAddress().getAddress().getHostAddress();
    long now = System.currentTimeMillis();
    APIGatewayV2HTTPEvent.RequestContext context = APIGatewayV2HTTPEvent.RequestContext.builder()
        .withAccountId("000000000000")
        .withApiId("local")
        .withDomainName(headers.getOrDefault("host", "localhost"))
        .withDomainPrefix("local")
        .withRequestId(UUID.randomUUID().toString())
        .withRouteKey(ROUTE_KEY)
        .withStage("$default")
        .withTime(DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).format(ZonedDateTime.now()))
        .withTimeEpoch(now)
        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder()
            .withMethod("POST")
            .withPath(path)
            .withProtocol(exchange.getProtocol())
            .withSourceIp(sourceIp)
            .withUserAgent(headers.get("user-agent"))
            .build())
        .build();
    return APIGatewayV2HTTPEvent.builder()
        .withVersion("2.0")
        .withRouteKey(ROUTE_KEY)
        .withRawPath(path)
        .withRawQueryString(query == null ? "" : query)
        .withCookies(cookies.isEmpty() ? null : cookies)
        .withHeaders(headers)
        .withQueryStringParameters(queryParameters.isEmpty() ? null : queryParameters)
        .withRequestContext(context)
        .withBody(Base64.getEncoder().encodeToString(body))
        .withIsBase64Encoded(true)
        .build();
  }

  private static void error(HttpExchange exchange, int status, String message) throws IOException {
    send(exchange, status, Json.write(Json.object().put("error", message)));
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    sendBytes(exchange, status, json.getBytes(StandardCharsets.UTF_8));
  }

  private static void sendBytes(HttpExchange exchange, int status, byte[] body) throws IOException {
    if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
