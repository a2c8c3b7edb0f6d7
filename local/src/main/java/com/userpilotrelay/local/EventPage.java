package com.userpilotrelay.local;

import com.sun.net.httpserver.HttpExchange;
import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * The runner's page for a person trying Segment against it ({@code GET /}: live counts, the latest events
 * with the exact Userpilot request, dead letters and a redrive button) and "where is my event?"
 * ({@code GET /events/{messageId}}, {@code GET /events?limit=}). Plain files from the jar, no build step,
 * nothing from elsewhere: the Content-Security-Policy allows this origin only and no inline script.
 */
final class EventPage {
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  static final int DEFAULT_LATEST = 50;
  static final int MAX_LATEST = 500;

  private static final Map<String, String[]> FILES = Map.of(
      "/", new String[] {"page/index.html", "text/html; charset=utf-8"},
      "/page.js", new String[] {"page/page.js", "text/javascript; charset=utf-8"},
      "/page.css", new String[] {"page/page.css", "text/css; charset=utf-8"});

  private final EventHistory history;
  private final Map<String, byte[]> contents;

  EventPage(EventHistory history) {
    this.history = history;
    this.contents = new java.util.HashMap<>();
    FILES.forEach((route, file) -> contents.put(route, resource(file[0])));
  }

  /** Answers the request when it is one of the page's routes; false leaves it to the caller. */
  boolean handle(HttpExchange exchange, String method, String rawPath) throws IOException {
    String path = exchange.getRequestURI().getPath();
    if (FILES.containsKey(rawPath)) {
      if (allowed(exchange, method)) {
        send(exchange, 200, FILES.get(rawPath)[1], contents.get(rawPath));
      }
      return true;
    }
    if (rawPath.equals("/events")) {
      if (allowed(exchange, method)) {
        int limit = limit(exchange.getRequestURI().getRawQuery());
        if (limit < 0) {
          json(exchange, 400, Json.write(Json.object().put("error",
              "limit: must be a whole number from 1 to " + MAX_LATEST + ", e.g. GET /events?limit=20")));
        } else {
          json(exchange, 200, Json.write(history.latest(limit)));
        }
      }
      return true;
    }
    if (rawPath.startsWith("/events/") && path != null) {
      if (allowed(exchange, method)) {
        String messageId = path.substring("/events/".length());
        Optional<com.fasterxml.jackson.databind.node.ObjectNode> found = messageId.isEmpty()
            ? Optional.empty() : history.path(messageId);
        if (found.isPresent()) {
          json(exchange, 200, Json.write(found.get()));
        } else {
          json(exchange, 404, Json.write(Json.object().put("error", notFound(messageId))));
        }
      }
      return true;
    }
    return false;
  }

  private String notFound(String messageId) {
    String shown = messageId.replaceAll("[^\\x20-\\x7e]", "?");
    shown = shown.length() > 100 ? shown.substring(0, 100) + "…" : shown;
    return "no event with messageId \"" + shown + "\" in this runner's history: it was never accepted here, or it"
        + " aged out (the history keeps the latest " + history.limit() + " events, each for "
        + history.maxAge().toDays() + " days after its last change: EVENT_HISTORY_LIMIT, EVENT_HISTORY_DAYS)."
        + " Use the messageId from the event (or from the ingest answer's messageIds); GET /events lists the latest";
  }

  private static int limit(String query) {
    if (query == null || query.isEmpty()) {
      return DEFAULT_LATEST;
    }
    for (String pair : query.split("&")) {
      if (pair.startsWith("limit=")) {
        String value = pair.substring("limit=".length());
        if (!value.matches("\\d{1,4}")) {
          return -1;
        }
        int n = Integer.parseInt(value);
        return n >= 1 && n <= MAX_LATEST ? n : -1;
      }
    }
    return DEFAULT_LATEST;
  }

  private static boolean allowed(HttpExchange exchange, String method) throws IOException {
    if (method.equals("GET") || method.equals("HEAD")) {
      return true;
    }
    exchange.getResponseHeaders().set("Allow", "GET");
    json(exchange, 405, Json.write(Json.object().put("error", "method not allowed: " + method + " "
        + exchange.getRequestURI().getRawPath() + "; use GET")));
    return false;
  }

  private static void json(HttpExchange exchange, int status, String body) throws IOException {
    send(exchange, status, "application/json", body.getBytes(StandardCharsets.UTF_8));
  }

  /** Every answer of the page's routes: no framing, no sniffing, no caching, no script from elsewhere. */
  private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    var headers = exchange.getResponseHeaders();
    headers.set("Content-Type", contentType);
    headers.set("Content-Security-Policy", CSP);
    headers.set("X-Frame-Options", "DENY");
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equalsIgnoreCase("HEAD");
    exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static byte[] resource(String name) {
    try (InputStream in = EventPage.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name + " (the jar is incomplete)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
