package com.userpilotrelay.local;

import com.sun.net.httpserver.HttpExchange;
import java.util.Locale;
import java.util.Set;

/**
 * Keeps web pages in the user's browser away from the runner, which listens on 127.0.0.1 without a
 * password for its local routes: a page elsewhere must not redrive, post events or read what passed.
 *
 * <ul>
 *   <li>A state-changing request (anything but GET and HEAD) sent by a browser from another origin is
 *       refused: browsers name the sending page in {@code Origin} (forms included) and, lately, in
 *       {@code Sec-Fetch-Site}. Segment's servers and curl send neither, so they pass.
 *   <li>Reads of the local routes need a loopback {@code Host}: a hostile DNS name pointed at 127.0.0.1
 *       (DNS rebinding) cannot read events or dead letters. {@code POST /segment} and {@code /health}
 *       keep any Host, as a tunnel in front of the runner sends its own name.
 * </ul>
 *
 * <p>A minimal guard until the HTTP front's own checks (Host, Origin, non-simple requests) cover these
 * routes; it refuses nothing those checks would let through.
 */
final class LocalGuard {
  private static final Set<String> LOOPBACK_HOSTS = Set.of("127.0.0.1", "localhost", "[::1]");
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD");

  private LocalGuard() {}

  /** Why this request is refused, or null when it may go on. */
  static String refusal(HttpExchange exchange, String method, String path, int port) {
    String host = exchange.getRequestHeaders().getFirst("Host");
    boolean anyHost = path.equals("/segment") || path.equals("/health");
    if (!anyHost && !loopback(host, port)) {
      return "Host: the local routes answer only to 127.0.0.1:" + port + " or localhost:" + port
          + "; open the page at http://127.0.0.1:" + port + "/";
    }
    if (SAFE_METHODS.contains(method)) {
      return null;
    }
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    if (origin != null && !sameOrigin(origin, port)) {
      return "Origin: " + method + " " + path + " is refused from another web page ("
          + printable(origin) + "); use the runner's own page at http://127.0.0.1:" + port + "/, curl or Segment";
    }
    String site = exchange.getRequestHeaders().getFirst("Sec-Fetch-Site");
    if (site != null && !site.equals("same-origin") && !site.equals("none")) {
      return "Sec-Fetch-Site: " + method + " " + path + " is refused from another web page ("
          + printable(site) + "); use the runner's own page at http://127.0.0.1:" + port + "/";
    }
    return null;
  }

  static boolean loopback(String host, int port) {
    if (host == null) {
      return false;
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    for (String name : LOOPBACK_HOSTS) {
      if (h.equals(name + ":" + port) || (port == 80 && h.equals(name))) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameOrigin(String origin, int port) {
    String o = origin.trim().toLowerCase(Locale.ROOT);
    return o.startsWith("http://") && loopback(o.substring("http://".length()), port);
  }

  private static String printable(String value) {
    String clean = value.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.length() > 100 ? clean.substring(0, 100) + "…" : clean;
  }
}
