package com.userpilotrelay.userpilot;

import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Properties;

/**
 * Userpilot's REST API over the JDK's own HTTP client (no extra jar, one client per container).
 * Headers as the reference destination sends them, plus a User-Agent naming the relay.
 */
public final class HttpUserpilotClient implements UserpilotTransport {
  public static final String API_VERSION = "2020-09-22";
  public static final String USER_AGENT = "userpilot-relay/" + version();

  private final Endpoint endpoint;
  private final ApiKey apiKey;
  private final Duration timeout;
  private final HttpClient http;

  public HttpUserpilotClient(Endpoint endpoint, ApiKey apiKey, Duration timeout) {
    this.endpoint = endpoint;
    this.apiKey = apiKey;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofMillis(Math.min(timeout.toMillis(), 3_000)))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  @Override
  public UserpilotResponse send(UserpilotRequest request) {
    String key = apiKey.current();
    if (!isHeaderSafe(key)) {
      return unusableKey();
    }
    byte[] body = Json.writeBytes(request.body());
    return execute(builder(endpoint.resolve(request.path()), key)
        .header("Content-Type", "application/json")
        .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(body))
        .build());
  }

  /** The reference's "test authentication": GET v1/validate with the configured key. */
  public UserpilotResponse validate() {
    String key = apiKey.current();
    if (!isHeaderSafe(key)) {
      return unusableKey();
    }
    return execute(builder(endpoint.resolve("v1/validate"), key).GET().build());
  }

  /**
   * A key with a control character (a newline from the file it was pasted into, say) cannot go in a
   * header, and the JDK's refusal quotes the whole header value, key included, in its exception message.
   * It is checked first and answered like Userpilot refusing the key: a loud configuration fault, events
   * kept for redrive, the key read again later.
   */
  static boolean isHeaderSafe(String key) {
    if (key == null || key.isEmpty()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private UserpilotResponse unusableKey() {
    apiKey.refused();
    return new UserpilotResponse(401, null, "not sent: the API key is empty or holds spaces, control or non-ASCII"
        + " characters, which an HTTP header cannot carry");
  }

  private HttpRequest.Builder builder(URI uri, String key) {
    return HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("Authorization", "Token " + key)
        .header("X-API-Version", API_VERSION)
        .header("Accept", "application/json")
        .header("User-Agent", USER_AGENT);
  }

  /**
   * Sends and waits at most the timeout for the whole exchange, the answer's body included: the request's own
   * timeout ends with the headers, and a body that trickles in must not hold a dispatcher past its deadline.
   */
  private UserpilotResponse execute(HttpRequest request) {
    CompletableFuture<HttpResponse<Void>> exchange = http.sendAsync(request, HttpResponse.BodyHandlers.discarding());
    try {
      HttpResponse<Void> response = exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      int status = response.statusCode();
      if (status == 401 || status == 403) {
        apiKey.refused();
      }
      Duration retryAfter = response.headers().firstValue("Retry-After").map(HttpUserpilotClient::parseRetryAfter)
          .orElse(null);
      return new UserpilotResponse(status, retryAfter, "HTTP " + status);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      return new UserpilotResponse(0, null, "timed out after " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof HttpTimeoutException) {
        return new UserpilotResponse(0, null, "timed out after " + timeout.toMillis() + " ms");
      }
      if (cause instanceof ConnectException) {
        return new UserpilotResponse(0, null, "connection failed: " + cause.getClass().getSimpleName());
      }
      return new UserpilotResponse(0, null, "connection error: "
          + (cause == null ? e.getClass() : cause.getClass()).getSimpleName());
    } catch (InterruptedException e) {
      exchange.cancel(true);
      Thread.currentThread().interrupt();
      return new UserpilotResponse(0, null, "interrupted");
    }
  }

  /** Retry-After is either delta-seconds or an HTTP date. Anything else is ignored. */
  static Duration parseRetryAfter(String value) {
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, 43_200));
    } catch (NumberFormatException notSeconds) {
      try {
        Duration d = Duration.between(java.time.Instant.now(),
            ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        return d.isNegative() ? Duration.ZERO : d;
      } catch (RuntimeException notADate) {
        return null;
      }
    }
  }

  private static String version() {
    Properties p = new Properties();
    try (InputStream in = HttpUserpilotClient.class.getResourceAsStream("/userpilot-relay.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException ignored) {
      // fall through to "dev"
    }
    return p.getProperty("version", "dev");
  }
}
