package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.testing.StandInUserpilot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Drives a running relay over real HTTP (java.net.http), as Segment and an operator would. */
final class RelayHttp {
  /** A response: status, raw body and, when the body is JSON, the tree. */
  record Answer(int status, String body, HttpResponse<String> raw) {
    JsonNode json() {
      return Json.parse(body);
    }
  }

  private final URI base;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  RelayHttp(URI base) {
    this.base = base;
  }

  URI base() {
    return base;
  }

  Answer post(String path, String contentType, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    headers.forEach(b::header);
    return send(b.build());
  }

  Answer postJson(String body, Map<String, String> headers) {
    return post("/segment", "application/json", body.getBytes(StandardCharsets.UTF_8), headers);
  }

  Answer get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).GET().build());
  }

  Answer request(String method, String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
        .method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  /** POST /dead-letters/redrive as the README tells a terminal user to call it. */
  Answer redrive() {
    return send(HttpRequest.newBuilder(base.resolve("/dead-letters/redrive")).timeout(Duration.ofSeconds(60))
        .header(HttpFront.CLIENT_HEADER, "cli").POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  /** Every dead letter, page by page through GET /dead-letters?limit=&after=. */
  List<JsonNode> deadLetters() {
    return listed("/dead-letters", "deadLetters");
  }

  /** Every refused input, page by page through GET /rejected?limit=&after=. */
  List<JsonNode> rejected() {
    return listed("/rejected", "rejected");
  }

  private List<JsonNode> listed(String route, String field) {
    List<JsonNode> all = new java.util.ArrayList<>();
    String after = null;
    do {
      Answer page = get(route + "?limit=" + HttpFront.MAX_PAGE + (after == null ? ""
          : "&after=" + java.net.URLEncoder.encode(after, StandardCharsets.UTF_8)));
      if (page.status() != 200) {
        throw new AssertionError("GET " + route + ": " + page.status() + " " + page.body());
      }
      page.json().get(field).forEach(all::add);
      after = page.json().get("next").isNull() ? null : page.json().get("next").asText();
    } while (after != null);
    return all;
  }

  private Answer send(HttpRequest request) {
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Segment's X-Signature for this body: over the body, or over the first element of an array body. */
  static Map<String, String> signed(String secret, String body) {
    byte[] signedBytes = SegmentBody.signedBytesOf(body.getBytes(StandardCharsets.UTF_8));
    return Map.of("X-Signature", RequestAuthenticator.sign(secret, signedBytes));
  }

  /** Userpilot calls accepted (2xx) by the stand-in about this user or company. */
  static List<StandInUserpilot.Call> deliveredFor(StandInUserpilot standIn, String subject) {
    return standIn.accepted().stream().filter(c -> subject.equals(c.subject())).toList();
  }

  /** A name no other test run used: the prefix and eight random hex digits. */
  static String unique(String prefix) {
    return prefix + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  /** Waits until {@code GET /events/{messageId}} reports {@code state}; returns that answer. */
  JsonNode awaitEventState(String messageId, String state, Duration timeout) {
    JsonNode[] last = new JsonNode[1];
    await(messageId + " " + state, timeout, () -> {
      Answer answer = get("/events/" + messageId);
      last[0] = answer.status() == 200 ? answer.json() : null;
      return last[0] != null && state.equals(last[0].path("state").asText());
    });
    return last[0];
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The stand-in's endpoint without its trailing slash, to prove the relay joins paths either way. */
  static String endpointWithoutSlash(StandInUserpilot standIn) {
    String endpoint = standIn.endpoint().toString();
    return endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
  }

  /**
   * The settings every runner test starts from: the stand-in's key and endpoint (without its trailing slash), any
   * free HTTP port, a free SQS port and the test's data folder. A mutable map, for the test's own settings.
   */
  static java.util.Map<String, String> settings(StandInUserpilot standIn, java.nio.file.Path dataDir) {
    java.util.Map<String, String> env = new java.util.HashMap<>();
    env.put("USERPILOT_API_KEY", StandInUserpilot.API_KEY);
    env.put("USERPILOT_ENDPOINT", endpointWithoutSlash(standIn));
    env.put("PORT", "0");
    env.put("SQS_PORT", Integer.toString(freePort()));
    env.put("DATA_DIR", dataDir.toString());
    return env;
  }
}
