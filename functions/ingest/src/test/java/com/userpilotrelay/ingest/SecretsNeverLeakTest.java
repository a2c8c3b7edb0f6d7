package com.userpilotrelay.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.DispatchSetup;
import com.userpilotrelay.delivery.Dispatcher;
import com.userpilotrelay.delivery.InboundMessage;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.delivery.RetryPolicy;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.queue.SqsEventQueue;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.testing.EmbeddedSqs;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import com.userpilotrelay.userpilot.ApiKey;
import com.userpilotrelay.userpilot.Endpoint;
import com.userpilotrelay.userpilot.HttpUserpilotClient;
import com.userpilotrelay.userpilot.RatePacer;
import com.userpilotrelay.userpilot.UserpilotResponse;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Drives ingest (the Lambda handler, good and bad credentials, good and bad bodies) and dispatch (the
 * Dispatcher and HttpUserpilotClient against the stand-in Userpilot: accepted, 401, timeout, dropped
 * connection, a key with a stray newline) and start-up errors, capturing everything written — Log,
 * System.out and System.err — and every answer, outcome reason, dead-letter attribute and exception
 * message. None may contain the shared secret (the HMAC key), the token or the Userpilot API key, in
 * plain, hex or base64 form, nor an Authorization header or signature that was sent.
 */
class SecretsNeverLeakTest {
  private static final String SECRET = "leak-check-secret-Q7xW2";
  private static final String TOKEN = "leak-check-token-Z9kR4";
  private static final String GOOD_KEY = StandInUserpilot.API_KEY;
  private static final String WRONG_KEY = "leak-check-wrong-api-key-P3mV8";

  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private final List<String> said = new ArrayList<>();
  private final Set<String> sentCredentials = new LinkedHashSet<>();
  private PrintStream originalOut;
  private PrintStream originalErr;

  @BeforeEach
  void capture() {
    PrintStream everything = new PrintStream(captured, true, StandardCharsets.UTF_8);
    originalOut = System.out;
    originalErr = System.err;
    System.setOut(everything);
    System.setErr(everything);
    Log.redirect(everything);
  }

  @AfterEach
  void restore() {
    Log.redirect(null);
    System.setOut(originalOut);
    System.setErr(originalErr);
  }

  @Test
  void noSecretAppearsInLogsAnswersReasonsOrExceptions() throws Exception {
    try (EmbeddedSqs sqs = new EmbeddedSqs(); StandInUserpilot userpilot = new StandInUserpilot()) {
      drive(sqs, userpilot);
    }
    said.add(captured.toString(StandardCharsets.UTF_8));
    String everything = String.join("\n", said);
    assertTrue(everything.contains("\"message\":\"ingest\""), "the ingest log was captured");
    assertTrue(everything.contains("Userpilot refused the API key"), "the dispatch log was captured");
    for (String secret : forbidden()) {
      int at = everything.indexOf(secret);
      assertEquals(-1, at, () -> "leaked " + describe(secret) + " near: "
          + everything.substring(Math.max(0, at - 120), Math.min(everything.length(), at + secret.length() + 40)));
    }
  }

  private void drive(EmbeddedSqs sqs, StandInUserpilot userpilot) throws Exception {
    SqsEventQueue queue = new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(), 4);
    IngestHandler handler = new IngestHandler(new IngestService(
        new RequestAuthenticator(Optional.of(SECRET), Optional.of(TOKEN)), queue));

    // ---- ingest: accepted with Bearer and with Basic, then every kind of refusal
    String identify = "{\"type\":\"identify\",\"userId\":\"u-1\",\"messageId\":\"a1\",\"traits\":{\"plan\":\"pro\"}}";
    String track = "[{\"type\":\"track\",\"userId\":\"u-2\",\"event\":\"Clicked\",\"messageId\":\"t1\"},"
        + "{\"type\":\"identify\",\"userId\":\"u-3\",\"messageId\":\"a3\"}]";
    String basic = "Basic " + base64("segment:" + TOKEN);
    ingest(handler, identify, signature(identify), "Bearer " + TOKEN, null, 200);
    ingest(handler, track, signature(track), basic, null, 200);
    ingest(handler, identify, signature(identify), "Bearer " + TOKEN + "x", null, 401);
    ingest(handler, identify, signature(identify).toUpperCase(Locale.ROOT), "Bearer " + TOKEN, null, 401);
    ingest(handler, identify, signature(identify) + "\n", "Bearer " + TOKEN + "\u0000", null, 401);
    ingest(handler, identify, signature(identify), "Basic " + base64("segment:" + TOKEN + "-wrong"), null, 401);
    ingest(handler, identify, signature(identify), "Token " + TOKEN, null, 401);
    ingest(handler, identify, HexFormat.of().formatHex(SECRET.getBytes(StandardCharsets.UTF_8)), "Bearer " + SECRET, null, 401);
    ingest(handler, identify, signature(identify), null, "token=" + TOKEN + "&secret=" + SECRET, 401);
    ingest(handler, "{\"type\":", signature("{\"type\":"), "Bearer " + TOKEN, null, 400);
    String rejected = "{\"userId\":\"u-4\",\"messageId\":\"bad\"}";
    ingest(handler, rejected, signature(rejected), "Bearer " + TOKEN, null, 400);
    said.add(String.valueOf(sqs.receive(sqs.rejectedUrl(), 10, 0).stream().map(m -> m.messageAttributes().toString() + m.body()).toList()));

    // ---- dispatch what ingest queued: accepted, then the same events against a wrong key, a timeout and a reset
    List<InboundMessage> queued = received(sqs);
    assertEquals(3, queued.size(), "the three accepted events");
    RatePacer pacer = new RatePacer(Map.of(RatePacer.Bucket.IDENTIFY, 600_000, RatePacer.Bucket.TRACK, 600_000,
        RatePacer.Bucket.DELETE, 600_000), 1);
    RetryPolicy retry = new RetryPolicy(Duration.ofSeconds(30), RetryPolicy.DEFAULT_CAP, Duration.ofHours(24), () -> 0.5);
    List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    Endpoint endpoint = new Endpoint(userpilot.endpoint());

    Dispatcher good = new Dispatcher(Mappings.presets()::map,
        new HttpUserpilotClient(endpoint, ApiKey.fixed(GOOD_KEY), Duration.ofMillis(800)), pacer, retry, queue,
        IngestStamp.marker(), 8, 2, recording(outcomes), Clock.systemUTC(), Duration.ofMillis(800));
    expectKinds(good.dispatch(queued, Instant.now().plusSeconds(20)), Outcome.Kind.DELIVERED);

    Dispatcher refused = new Dispatcher(Mappings.presets()::map,
        new HttpUserpilotClient(endpoint, ApiKey.fixed(WRONG_KEY), Duration.ofMillis(800)), pacer, retry, queue,
        IngestStamp.marker(), 8, 2, recording(outcomes), Clock.systemUTC(), Duration.ofMillis(800));
    // A refused key keeps the events (and pauses delivery): they come back once the key is fixed.
    expectKinds(refused.dispatch(queued, Instant.now().plusSeconds(20)), Outcome.Kind.RETRY);
    assertTrue(userpilot.violations().stream().anyMatch(v -> v.contains("Authorization")), "the stand-in answered 401");

    userpilot.answer(call -> Reply.accepted().after(2_000));
    expectKinds(good.dispatch(queued.subList(0, 1), Instant.now().plusSeconds(20)), Outcome.Kind.RETRY);
    userpilot.answer(call -> Reply.reset());
    expectKinds(good.dispatch(queued.subList(0, 1), Instant.now().plusSeconds(20)), Outcome.Kind.RETRY);
    userpilot.reset();

    // A key read from a file with its newline (or any control character) must not travel in an exception.
    HttpUserpilotClient newline = new HttpUserpilotClient(endpoint, ApiKey.fixed(WRONG_KEY + "\n"), Duration.ofMillis(800));
    UserpilotResponse validation = newline.validate();
    said.add(validation.toString());
    assertTrue(validation.authFailure(), validation.toString());
    Dispatcher broken = new Dispatcher(Mappings.presets()::map, newline, pacer, retry, queue, IngestStamp.marker(), 8,
        2, recording(outcomes), Clock.systemUTC(), Duration.ofMillis(800));
    expectKinds(broken.dispatch(queued.subList(0, 1), Instant.now().plusSeconds(20)), Outcome.Kind.RETRY);
    said.add(new HttpUserpilotClient(endpoint, ApiKey.fixed(WRONG_KEY), Duration.ofMillis(800)).validate().toString());

    outcomes.forEach(o -> said.add(o.toString()));
    List<Message> stored = new ArrayList<>(sqs.drain(sqs.deadLetterUrl()));
    stored.addAll(sqs.drain(sqs.rejectedUrl()));
    for (Message m : stored) {
      said.add(m.messageAttributes().toString());
      said.add(m.body());
    }

    // ---- start-up errors that involve the secrets
    said.add(assertThrows(ConfigException.class, () -> IngestSetup.authenticator(Env.of(Map.of(
        "SEGMENT_SHARED_SECRET", SECRET, "INGEST_TOKEN", TOKEN, "AWS_LAMBDA_FUNCTION_NAME", "ingest")),
        SecretSource.none())).getMessage());
    said.add(assertThrows(ConfigException.class, () -> IngestSetup.authenticator(Env.of(Map.of(
        "SEGMENT_SHARED_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:1:secret:s")), arn -> "  ")).getMessage());
    said.add(assertThrows(ConfigException.class, () -> DispatchSetup.client(Env.of(Map.of(
        "USERPILOT_API_KEY", WRONG_KEY, "AWS_LAMBDA_FUNCTION_NAME", "dispatch")), SecretSource.none())).getMessage());
    said.add(assertThrows(ConfigException.class, () -> IngestSetup.authenticator(Env.of(Map.of(
        "SEGMENT_SHARED_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:1:secret:s")), SecretSource.none())).getMessage());
  }

  private void ingest(IngestHandler handler, String body, String signature, String authorization, String query,
      int expected) {
    Map<String, String> headers = new HashMap<>();
    headers.put("content-type", "application/json");
    if (signature != null) {
      headers.put("x-signature", signature);
      sentCredentials.add(signature.strip());
    }
    if (authorization != null) {
      headers.put("authorization", authorization);
      sentCredentials.add(authorization.strip());
    }
    APIGatewayV2HTTPEvent.APIGatewayV2HTTPEventBuilder event = APIGatewayV2HTTPEvent.builder()
        .withRouteKey("POST /segment").withRawPath("/segment").withHeaders(headers).withBody(body)
        .withIsBase64Encoded(false);
    if (query != null) {
      event.withRawQueryString(query);
    }
    APIGatewayV2HTTPResponse response = handler.handleRequest(event.build(), null);
    assertEquals(expected, response.getStatusCode(), response.getBody());
    said.add(response.getBody());
    said.add(String.valueOf(response.getHeaders()));
  }

  private static List<InboundMessage> received(EmbeddedSqs sqs) {
    List<InboundMessage> out = new ArrayList<>();
    for (Message m : sqs.drain(sqs.queueUrl())) {
      Map<String, String> attributes = new HashMap<>();
      m.messageAttributes().forEach((k, v) -> attributes.put(k, v.stringValue()));
      int receiveCount = Integer.parseInt(m.attributes().getOrDefault(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT, "1"));
      out.add(new InboundMessage(m.messageId(), m.receiptHandle(), receiveCount, m.body(), attributes));
    }
    return out;
  }

  private static void expectKinds(List<Outcome> outcomes, Outcome.Kind kind) {
    for (Outcome o : outcomes) {
      assertEquals(kind, o.kind(), o.toString());
    }
  }

  private static String signature(String body) {
    byte[] signed = SegmentBody.signedBytesOf(body.getBytes(StandardCharsets.UTF_8));
    return RequestAuthenticator.sign(SECRET, signed);
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Every form in which a secret might be written. */
  private Set<String> forbidden() {
    Set<String> out = new LinkedHashSet<>();
    for (String secret : List.of(SECRET, TOKEN, GOOD_KEY, WRONG_KEY)) {
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      out.add(secret);
      out.add(secret.toUpperCase(Locale.ROOT));
      out.add(HexFormat.of().formatHex(bytes));
      out.add(Base64.getEncoder().encodeToString(bytes));
      out.add(Base64.getEncoder().withoutPadding().encodeToString(bytes));
      out.add(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
      out.add(Base64.getEncoder().encodeToString(("segment:" + secret).getBytes(StandardCharsets.UTF_8)));
      out.add("Token " + secret);
    }
    out.addAll(sentCredentials);
    out.removeIf(s -> s.length() < 8);
    return out;
  }

  private static String describe(String secret) {
    return secret.length() > 12 ? secret.substring(0, 6) + "…(" + secret.length() + " chars)" : "a secret";
  }

  @Test
  void theCaptureWouldSeeALeak() {
    // The capture is real: what goes to Log, System.out and System.err all lands in it.
    Log.info("probe", Map.of("x", "log-" + TOKEN));
    System.out.println("out-" + SECRET);
    System.err.println("err-" + GOOD_KEY);
    String text = captured.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("log-" + TOKEN) && text.contains("out-" + SECRET) && text.contains("err-" + GOOD_KEY));
    assertFalse(forbidden().isEmpty());
  }

  private static DeliveryObserver recording(List<Outcome> outcomes) {
    return new DeliveryObserver() {
      @Override
      public void finished(Outcome outcome) {
        outcomes.add(outcome);
      }
    };
  }
}
