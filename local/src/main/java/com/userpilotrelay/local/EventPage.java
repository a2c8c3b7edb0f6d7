package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.local.FrontServer.Request;
import com.userpilotrelay.local.FrontServer.Response;
import com.userpilotrelay.local.HttpFront.Access;
import com.userpilotrelay.local.HttpFront.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The runner's page for a person trying Segment against it ({@code GET /}: live counts, the latest events
 * with the exact Userpilot request, dead letters and a redrive button) and "where is my event?"
 * ({@code GET /events/{messageId}}, {@code GET /events?limit=}). Plain files from the jar, no build step,
 * nothing from elsewhere: the Content-Security-Policy allows this origin only and no inline script. Every
 * route reads events, so the front serves them to this machine only ({@link Access#READ}).
 */
final class EventPage {
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  static final int DEFAULT_LATEST = 50;
  static final int MAX_LATEST = 500;

  private final EventHistory history;
  private final Response index = file("page/index.html", "text/html; charset=utf-8");
  private final Response script = file("page/page.js", "text/javascript; charset=utf-8");
  private final Response style = file("page/page.css", "text/css; charset=utf-8");

  EventPage(EventHistory history) {
    this.history = history;
  }

  List<Route> routes() {
    return List.of(
        Route.exact("GET", "/", Access.READ, r -> index),
        Route.exact("GET", "/page.js", Access.READ, r -> script),
        Route.exact("GET", "/page.css", Access.READ, r -> style),
        Route.exact("GET", "/events", Access.READ, this::latest),
        Route.under("GET", "/events/", Access.READ, this::event));
  }

  private Response latest(Request request) {
    int limit = limit(request.rawQuery());
    if (limit < 0) {
      return json(400, Json.object().put("error",
          "limit: must be a whole number from 1 to " + MAX_LATEST + ", e.g. GET /events?limit=20"));
    }
    return json(200, history.latest(limit));
  }

  private Response event(Request request) {
    String raw = request.path().substring("/events/".length());
    String messageId;
    try {
      // A path keeps '+' as it is; only %XX escapes are decoded.
      messageId = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return json(400, Json.object().put("error", "messageId: a malformed %-escape in the path; escape the"
          + " messageId as a URL path segment (e.g. encodeURIComponent)"));
    }
    Optional<ObjectNode> found = history.path(messageId);
    return found.isPresent() ? json(200, found.get()) : json(404, Json.object().put("error", notFound(messageId)));
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

  private static Response json(int status, Object body) {
    return secured(status, "application/json", Json.write(body).getBytes(StandardCharsets.UTF_8));
  }

  /** Every answer of the page's routes: no framing, no sniffing, no caching, no script from elsewhere. */
  private static Response secured(int status, String contentType, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", contentType);
    headers.put("Content-Security-Policy", CSP);
    headers.put("X-Frame-Options", "DENY");
    headers.put("X-Content-Type-Options", "nosniff");
    headers.put("Referrer-Policy", "no-referrer");
    headers.put("Cache-Control", "no-store");
    return new Response(status, headers, body);
  }

  private static Response file(String name, String contentType) {
    try (InputStream in = EventPage.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name + " (the jar is incomplete)");
      }
      return secured(200, contentType, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
