package com.userpilotrelay.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.ingest.IngestHandler;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.local.FrontServer.Request;
import com.userpilotrelay.local.FrontServer.Response;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.segment.SegmentLimits;
import java.io.IOException;
import java.net.BindException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The local stand-in for API Gateway's HTTP API: {@code POST /segment} becomes a payload-2.0
 * {@link APIGatewayV2HTTPEvent} (lower-cased headers, the body base64-encoded so the signature check sees
 * the exact bytes) handed to the real {@link IngestHandler}; plus the local-only routes, each with the
 * protection its {@link Access} names (see RELIABILITY.md, "Local runner").
 */
final class HttpFront {
  /**
   * Bodies above this are refused before they are read to the end: the deployed path's ceiling
   * (SegmentLimits.MAX_REQUEST_BYTES explains it), so the runner accepts exactly what a deployment does.
   * A compressed body is bounded here as it arrives and again by ingest once decoded.
   */
  static final int MAX_BODY_BYTES = SegmentLimits.MAX_REQUEST_BYTES;
  /** API Gateway HTTP API's payload limit: an oversized body up to this is read (and dropped) before the 413. */
  static final int DRAINED_BYTES = 10 * 1024 * 1024;
  static final String ROUTE_KEY = "POST /segment";
  /** The ingest function's timeout in template.yaml. */
  static final Duration INGEST_BUDGET = Duration.ofSeconds(10);
  /** The header a command-line caller sends to a route that changes state; a web page cannot send it without a preflight. */
  static final String CLIENT_HEADER = "X-Relay-Client";
  /** Headers a proxy or tunnel adds; the local routes are for this machine only. */
  static final List<String> FORWARDING_HEADERS = List.of("Forwarded", "X-Forwarded-For", "X-Forwarded-Host",
      "X-Real-IP", "CF-Connecting-IP", "True-Client-IP");
  /** GET /dead-letters page size: default and largest. */
  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1000;

  /** What the local-only routes do; implemented by the runner. */
  interface Routes {
    boolean ready();

    /** Why the queue store refuses writes, or null while it takes them. */
    String storeFailure();

    ObjectNode stats();

    /** Up to {@code limit} dead letters after the cursor {@code after} (null: from the start), and the next cursor. */
    ObjectNode deadLetters(int limit, String after);

    /** Input the relay refused (never redriven), paged like the dead letters. */
    ObjectNode rejected(int limit, String after);

    int redrive();

    /** More routes: the page and GET /events (EventPage). */
    default List<Route> more() {
      return List.of();
    }
  }

  /**
   * Who may call a route. Every route but {@link #OPEN} refuses a browser page of another origin
   * (an {@code Origin} that is not this runner's own).
   */
  enum Access {
    /** Reveals nothing: /health, for monitors and tunnels' health checks. */
    OPEN,
    /** POST /segment: authenticated by ingest (signature, token); any Host, as a tunnel forwards it. */
    SEGMENT,
    /** Reads events: only addressed to this machine (loopback Host), never through a proxy (DNS rebinding, tunnels). */
    READ,
    /** Changes state: as READ, and only with a header a page cannot send without a CORS preflight. */
    CHANGE
  }

  /** One route: an exact path, or every path under a prefix ending in "/" (e.g. "/events/"). */
  record Route(String method, String path, boolean prefix, Access access, Function<Request, Response> action) {
    static Route exact(String method, String path, Access access, Function<Request, Response> action) {
      return new Route(method, path, false, access, action);
    }

    static Route under(String method, String prefix, Access access, Function<Request, Response> action) {
      if (!prefix.endsWith("/")) {
        throw new IllegalArgumentException("a prefix route ends in /: " + prefix);
      }
      return new Route(method, prefix, true, access, action);
    }

    boolean matches(String requestPath) {
      return prefix ? requestPath.startsWith(path) && requestPath.length() > path.length() : requestPath.equals(path);
    }

    String describe() {
      return method + " " + path + (prefix ? "{id}" : "");
    }
  }

  private final IngestHandler ingest;
  private final RelayStats stats;
  private final Routes routes;
  private final List<Route> table;
  private volatile FrontServer server;
  private volatile Set<String> loopbackHosts = Set.of();

  private HttpFront(IngestHandler ingest, RelayStats stats, Routes routes) {
    this.ingest = ingest;
    this.stats = stats;
    this.routes = routes;
    this.table = java.util.stream.Stream.concat(java.util.stream.Stream.of(
        Route.exact("POST", "/segment", Access.SEGMENT, this::segment),
        Route.exact("GET", "/health", Access.OPEN, r -> health()),
        Route.exact("GET", "/stats", Access.READ, r -> json(200, routes.stats())),
        Route.exact("GET", "/dead-letters", Access.READ, r -> page(r, routes::deadLetters)),
        Route.exact("GET", "/rejected", Access.READ, r -> page(r, routes::rejected)),
        Route.exact("POST", "/dead-letters/redrive", Access.CHANGE,
            r -> json(200, Json.object().put("redriven", routes.redrive())))), routes.more().stream()).toList();
  }

  static HttpFront start(int port, IngestHandler ingest, RelayStats stats, Routes routes) {
    return start(port, ingest, stats, routes, FrontServer.Limits.DEFAULT);
  }

  static HttpFront start(int port, IngestHandler ingest, RelayStats stats, Routes routes, FrontServer.Limits limits) {
    HttpFront front = new HttpFront(ingest, stats, routes);
    try {
      front.server = FrontServer.start(port, front::handle, limits);
    } catch (BindException e) {
      throw new ConfigException(Setting.PORT.name() + ": cannot listen on 127.0.0.1:" + port
          + " (already in use? choose another port)", e);
    } catch (IOException e) {
      throw new ConfigException(Setting.PORT.name() + ": cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
    int bound = front.server.port();
    front.loopbackHosts = Set.of("127.0.0.1:" + bound, "localhost:" + bound, "[::1]:" + bound);
    return front;
  }

  int port() {
    return server.port();
  }

  /** Stops accepting, lets requests in progress finish (up to {@code grace}). */
  void stop(Duration grace) {
    server.stop(grace);
  }

  private Response handle(Request request) {
    String path = request.path();
    List<Route> onPath = table.stream().filter(r -> r.matches(path)).toList();
    if (onPath.isEmpty()) {
      return error(404, "not found: " + request.method() + " " + path + "; routes: "
          + table.stream().map(Route::describe).collect(Collectors.joining(", ")));
    }
    Route route = onPath.stream().filter(r -> r.method().equals(request.method())).findFirst().orElse(null);
    if (route == null) {
      String allowed = onPath.stream().map(Route::method).distinct().collect(Collectors.joining(", "));
      return error(405, "method not allowed: " + request.method() + " " + path + "; use " + allowed)
          .with("Allow", allowed);
    }
    String refusal = refusal(route, request);
    if (refusal != null) {
      return error(403, refusal);
    }
    try {
      return route.action().apply(request);
    } catch (RuntimeException e) {
      Log.error("local http: request failed", Map.of("route", route.describe(), "error", e.getClass().getName()));
      return error(500, "internal error: " + e.getClass().getSimpleName());
    }
  }

  /** Why this request may not use this route; null when it may. */
  String refusal(Route route, Request request) {
    if (route.access() == Access.OPEN) {
      return null;
    }
    String origin = request.header("Origin");
    if (origin != null && !ownOrigin(origin)) {
      return "origin: " + route.describe() + " is not for web pages of other sites (Origin " + printable(origin)
          + "); " + (route.access() == Access.SEGMENT ? "Segment's servers send no Origin" : howFromATerminal(route));
    }
    if (route.access() == Access.SEGMENT) {
      return null;
    }
    String host = request.header("Host");
    if (host == null || !loopbackHosts.contains(host.toLowerCase(Locale.ROOT))) {
      return "host: " + route.describe() + " answers only requests addressed to this machine ("
          + String.join(", ", List.of("127.0.0.1", "localhost", "[::1]")) + " with port " + port()
          + "), not Host " + (host == null ? "(none)" : printable(host)) + "; it is never served through a tunnel. "
          + howFromATerminal(route);
    }
    for (String forwarded : FORWARDING_HEADERS) {
      if (request.header(forwarded) != null) {
        return "proxy: " + route.describe() + " is not served through a tunnel or proxy (the request carries "
            + forwarded + "); " + howFromATerminal(route);
      }
    }
    if (route.access() == Access.CHANGE) {
      String client = request.header(CLIENT_HEADER);
      String type = request.header("Content-Type");
      boolean json = type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json");
      if ((client == null || client.isBlank()) && !json) {
        return "client: " + route.describe() + " changes state, so it needs a header a web page cannot send"
            + " without asking first (" + CLIENT_HEADER + ", or Content-Type: application/json); "
            + howFromATerminal(route);
      }
    }
    return null;
  }

  private String howFromATerminal(Route route) {
    String url = "http://127.0.0.1:" + port() + route.path();
    return route.method().equals("GET") ? "from this machine: curl " + url
        : "from this machine: curl -X " + route.method() + " -H '" + CLIENT_HEADER + ": cli' " + url;
  }

  /** An Origin of this runner's own pages (it has none, but a same-origin request must not be refused). */
  private boolean ownOrigin(String origin) {
    URI uri;
    try {
      uri = URI.create(origin);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getRawAuthority() == null || uri.getPort() < 0
        || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())) {
      return false;
    }
    return loopbackHosts.contains(uri.getRawAuthority().toLowerCase(Locale.ROOT));
  }

  /** A header value safe to quote in an answer: at most 100 visible ASCII characters. */
  private static String printable(String value) {
    String cut = value.length() > 100 ? value.substring(0, 100) + "..." : value;
    return "\"" + cut.chars().mapToObj(c -> c >= 0x20 && c < 0x7F && c != '"' ? String.valueOf((char) c) : "?")
        .collect(Collectors.joining()) + "\"";
  }

  private Response health() {
    if (routes.storeFailure() != null) {
      return json(503, Json.object().put("status", "failing"));
    }
    boolean ready = routes.ready();
    return json(ready ? 200 : 503, Json.object().put("status", ready ? "ok" : "starting"));
  }

  private Response page(Request request, java.util.function.BiFunction<Integer, String, ObjectNode> list) {
    Map<String, String> query = queryParameters(request.rawQuery());
    for (String name : query.keySet()) {
      if (!name.equals("limit") && !name.equals("after")) {
        return error(400, "query: unknown parameter \"" + printable(name) + "\"; use limit (1-" + MAX_PAGE
            + ", default " + DEFAULT_PAGE + ") and after (the \"next\" of the previous page)");
      }
    }
    int limit = DEFAULT_PAGE;
    String given = query.get("limit");
    if (given != null) {
      if (!given.matches("\\d{1,4}") || Integer.parseInt(given) < 1 || Integer.parseInt(given) > MAX_PAGE) {
        return error(400, "limit: " + printable(given) + " is not a whole number from 1 to " + MAX_PAGE);
      }
      limit = Integer.parseInt(given);
    }
    String after = query.get("after");
    if (after != null && (after.isEmpty() || after.length() > 200)) {
      return error(400, "after: give the \"next\" value of the previous page (1 to 200 characters)");
    }
    return json(200, list.apply(limit, after));
  }

  private Response segment(Request request) {
    APIGatewayV2HTTPResponse response = ingest.handleRequest(toEvent(request), new LocalContext("ingest", INGEST_BUDGET));
    stats.ingested(response.getBody());
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    if (response.getHeaders() != null) {
      headers.putAll(response.getHeaders());
    }
    byte[] answer = response.getBody() == null ? new byte[0]
        : Boolean.TRUE.equals(response.getIsBase64Encoded()) ? Base64.getDecoder().decode(response.getBody())
        : response.getBody().getBytes(StandardCharsets.UTF_8);
    return new Response(response.getStatusCode(), headers, answer);
  }

  /** The payload-2.0 event API Gateway would pass for this request. */
  static APIGatewayV2HTTPEvent toEvent(Request request) {
    Map<String, String> headers = new LinkedHashMap<>();
    List<String> cookies = new ArrayList<>();
    for (Map.Entry<String, String> h : request.headers()) {
      String lower = h.getKey().toLowerCase(Locale.ROOT);
      if (lower.equals("cookie")) {
        for (String c : h.getValue().split(";")) {
          if (!c.isBlank()) {
            cookies.add(c.trim());
          }
        }
      } else {
        headers.merge(lower, h.getValue(), (a, b) -> a + "," + b);
      }
    }
    String path = request.path();
    String query = request.rawQuery();
    Map<String, String> queryParameters = queryParameters(query);
    String sourceIp = request.remote() == null ? "127.0.0.1" : request.remote().getHostAddress();
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
            .withProtocol(request.protocol())
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
        .withBody(Base64.getEncoder().encodeToString(request.body()))
        .withIsBase64Encoded(true)
        .build();
  }

  static Map<String, String> queryParameters(String query) {
    Map<String, String> parameters = new LinkedHashMap<>();
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        String[] kv = pair.split("=", 2);
        try {
          String key = java.net.URLDecoder.decode(kv[0], StandardCharsets.UTF_8);
          String value = kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "";
          parameters.merge(key, value, (a, b) -> a + "," + b);
        } catch (IllegalArgumentException malformed) {
          parameters.merge(kv[0], "", (a, b) -> a);
        }
      }
    }
    return parameters;
  }

  static Response json(int status, ObjectNode body) {
    return Response.json(status, Json.write(body));
  }

  static Response error(int status, String message) {
    return Response.json(status, FrontServer.errorJson(message));
  }
}
