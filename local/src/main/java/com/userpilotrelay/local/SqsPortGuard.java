package com.userpilotrelay.local;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.userpilotrelay.json.Json;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * The SQS port users see ({@code SQS_PORT}): it forwards to the embedded ElasticMQ what an AWS SDK or the aws
 * CLI sends, and refuses what a web page in the user's browser can send.
 *
 * <p>Why a guard: ElasticMQ takes every SQS action without credentials, also in the query protocol, and a
 * form-encoded {@code POST Action=PurgeQueue&QueueUrl=...} (or a {@code text/plain} one, or a GET with the
 * action in its query string) is a request any page may send to 127.0.0.1 without a CORS preflight. ElasticMQ
 * 1.7.1 builds its routes inside {@code TheSQSRestServerBuilder.start()} and binds them itself, with no hook to
 * wrap them or to turn the query protocol off; so it listens on an internal loopback address and this guard
 * stands on the public port.
 *
 * <p>The rule: a POST carrying an {@code Authorization: AWS4-HMAC-SHA256 ...} header (SigV4, which every SDK and
 * the CLI sign with, whatever the credentials), addressed to 127.0.0.1, localhost or [::1], and without the
 * {@code Origin} or {@code Sec-Fetch-*} headers browsers add. A page cannot attach an Authorization header
 * without a preflight, and the preflight (OPTIONS) is refused without any {@code Access-Control-Allow-*}
 * header. The Host and Origin checks also stop a DNS-rebinding page, which is same-origin to its browser.
 * The JSON protocol's content type is not required: a query-protocol SDK that signs is no more a web page.
 */
final class SqsPortGuard implements AutoCloseable {

  /**
   * What one client may cost. {@code request} (head received to answer sent) must outlast an SQS long poll
   * (20 s), and {@code idle} (nothing sent either way) must outlast {@code request}, or a slow answer would end
   * in a closed connection instead of a 503.
   */
  record Limits(Duration idle, Duration request, int maxConnections, long maxBodyBytes) {
    /** SQS's largest request is a 1 MiB batch; JSON and attributes add to it. */
    static final Limits DEFAULT = new Limits(Duration.ofSeconds(30), Duration.ofSeconds(25), 32, 4L * 1024 * 1024);
  }

  static final String SIGV4 = "AWS4-HMAC-SHA256 ";
  private static final List<String> LOOPBACK_NAMES = List.of("127.0.0.1", "localhost", "[::1]");

  private final ActorSystem system;
  private final Http http;
  private final ConnectionPoolSettings pool;
  private final InetSocketAddress upstream;
  private final Limits limits;
  private volatile ServerBinding binding;
  /** The port this guard listens on, for the Host check and the example in refusals. */
  private volatile int port;

  private SqsPortGuard(ActorSystem system, ConnectionPoolSettings pool, InetSocketAddress upstream, Limits limits,
      int port) {
    this.system = system;
    this.http = Http.get(system);
    this.pool = pool;
    this.upstream = upstream;
    this.limits = limits;
    this.port = port;
  }

  /**
   * Listens on 127.0.0.1:{@code port} (0: any free port) and forwards what it lets through to ElasticMQ at
   * {@code upstream}, streaming both bodies.
   */
  static SqsPortGuard start(ActorSystem system, int port, InetSocketAddress upstream, Limits limits) throws Exception {
    Config config = ConfigFactory.parseString(String.join("\n",
        "pekko.http.server.max-connections = " + limits.maxConnections(),
        "pekko.http.server.idle-timeout = " + limits.idle().toMillis() + " ms",
        "pekko.http.server.request-timeout = " + limits.request().toMillis() + " ms",
        "pekko.http.server.parsing.max-content-length = " + limits.maxBodyBytes(),
        "pekko.http.host-connection-pool.max-connections = " + limits.maxConnections(),
        // A power of two above max-connections: requests beyond it fail (502) instead of queueing unboundedly.
        "pekko.http.host-connection-pool.max-open-requests = " + Integer.highestOneBit(limits.maxConnections() * 4),
        // Longer than the request deadline, so that a slow ElasticMQ is answered with the server's 503.
        "pekko.http.host-connection-pool.client.idle-timeout = " + limits.idle().toMillis() + " ms"))
        .withFallback(system.settings().config());
    SqsPortGuard guard = new SqsPortGuard(system, ConnectionPoolSettings.create(config), upstream, limits, port);
    guard.binding = guard.http.newServerAt("127.0.0.1", port)
        .withSettings(ServerSettings.create(config))
        .bind((org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>>)
            guard::forwardOrRefuse)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    guard.port = guard.binding.localAddress().getPort();
    return guard;
  }

  int port() {
    return port;
  }

  private CompletionStage<HttpResponse> forwardOrRefuse(HttpRequest request) {
    Optional<String> refusal = refusal(request, port, limits);
    if (refusal.isPresent()) {
      request.discardEntityBytes(system);
      return CompletableFuture.completedFuture(refused(refusal.get(), port));
    }
    HttpRequest forwarded = request
        .withUri(request.getUri().host(upstream.getHostString()).port(upstream.getPort()))
        .removeHeader("Timeout-Access");
    return http.singleRequest(forwarded, http.defaultClientHttpsContext(), pool, system.log())
        .exceptionally(e -> error(502, "the embedded SQS did not answer: " + e.getClass().getSimpleName()));
  }

  /** Why this request may not pass; empty when it may. */
  static Optional<String> refusal(HttpRequest request, int port, Limits limits) {
    String method = request.method().value();
    if (method.equals("OPTIONS")) {
      return Optional.of("a CORS preflight: no web page may use this endpoint");
    }
    if (header(request, "Origin").isPresent()) {
      return Optional.of("the request carries an Origin header, so it comes from a web page");
    }
    for (HttpHeader h : request.getHeaders()) {
      if (h.lowercaseName().startsWith("sec-fetch-")) {
        return Optional.of("the request carries " + h.name() + ", so it comes from a web browser");
      }
    }
    String host = header(request, "Host").orElse("").toLowerCase(Locale.ROOT);
    if (LOOPBACK_NAMES.stream().noneMatch(name -> host.equals(name) || host.equals(name + ":" + port))) {
      return Optional.of("it is addressed to Host \"" + printable(host) + "\", not to this machine");
    }
    if (!method.equals("POST")) {
      return Optional.of(method + " is not how SDKs call SQS");
    }
    String authorization = header(request, "Authorization").orElse("");
    if (!authorization.regionMatches(true, 0, SIGV4, 0, SIGV4.length())) {
      return Optional.of("it is not signed (no \"Authorization: " + SIGV4 + "...\" header)");
    }
    if (request.entity().getContentLengthOption().orElse(0L) > limits.maxBodyBytes()) {
      return Optional.of("its body is over " + limits.maxBodyBytes() + " bytes");
    }
    return Optional.empty();
  }

  private static Optional<String> header(HttpRequest request, String name) {
    return request.getHeader(name).map(HttpHeader::value);
  }

  private static HttpResponse refused(String why, int port) {
    return error(403, "refused: " + why + ". This is the local relay's SQS endpoint, for AWS SDKs and the aws CLI"
        + " on this machine: it takes a POST signed with SigV4 (any credentials, e.g. AWS_ACCESS_KEY_ID=local"
        + " AWS_SECRET_ACCESS_KEY=local), addressed to 127.0.0.1 or localhost, without Origin or Sec-Fetch-*"
        + " headers. Example: aws sqs receive-message --region us-east-1 --endpoint-url http://127.0.0.1:" + port
        + " --queue-url http://127.0.0.1:" + port + "/000000000000/" + LocalSqs.DEAD_LETTER_QUEUE
        + " --visibility-timeout 0 --message-attribute-names All");
  }

  /** An SQS JSON-protocol error, which SDKs show with its message. */
  private static HttpResponse error(int status, String message) {
    String body = Json.object().put("__type", status == 403 ? "AccessDenied" : "ServiceUnavailable")
        .put("message", message).toString();
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body);
  }

  /** A header value safe to quote: at most 100 visible ASCII characters. */
  private static String printable(String value) {
    String cut = value.length() > 100 ? value.substring(0, 100) + "..." : value;
    StringBuilder b = new StringBuilder();
    cut.chars().forEach(c -> b.append(c >= 0x20 && c < 0x7F && c != '"' ? (char) c : '?'));
    return b.toString();
  }

  /** Stops taking connections and ends the open ones within a second. */
  @Override
  public void close() {
    try {
      binding.terminate(Duration.ofSeconds(1)).toCompletableFuture().get(3, TimeUnit.SECONDS);
    } catch (Exception e) {
      // already unbound, or the actor system's end closes what is left
    }
  }
}
