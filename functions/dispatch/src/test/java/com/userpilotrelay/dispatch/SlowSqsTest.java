package com.userpilotrelay.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.DispatchSetup;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.ingest.IngestHandler;
import com.userpilotrelay.ingest.IngestService;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.queue.SqsClients;
import com.userpilotrelay.queue.SqsEventQueue;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.testing.EmbeddedSqs;
import com.userpilotrelay.testing.StandInUserpilot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * An SQS that answers slowly, seen by the dispatch handler only (Lambda's event source mapping, which receives
 * and deletes, is AWS's side and is played here against ElasticMQ directly): every call the handler makes
 * passes through a TCP proxy that holds each request back for seconds. The handler must still return before
 * its Lambda timeout — a timeout would bring back the whole batch, delivered events included — and nothing may
 * be delivered twice over the redeliveries that follow.
 */
class SlowSqsTest {
  private static final String SECRET = "slow-sqs-secret";
  /** The remaining time each invocation starts with (the template's is 60 s; shorter keeps the test short). */
  private static final Duration INVOCATION = Duration.ofSeconds(12);

  @Test
  void aSlowSqsNeverKeepsTheHandlerPastItsTimeAndNothingIsDeliveredOrDeadLetteredTwice() throws Exception {
    try (EmbeddedSqs sqs = new EmbeddedSqs(1000, 5);
        DelayingProxy proxy = new DelayingProxy(sqs.endpoint());
        StandInUserpilot userpilot = new StandInUserpilot()) {
      SqsClient slowClient = SqsClients.local(proxy.endpoint());
      SqsEventQueue fastQueue = new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(), 4);
      SqsEventQueue slowQueue = new SqsEventQueue(slowClient, sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(), 4,
          DispatchHandler.SEND_BUDGET);
      IngestHandler ingest = new IngestHandler(new IngestService(
          new RequestAuthenticator(Optional.of(SECRET), Optional.empty()), fastQueue));
      Env env = Env.of(Map.of("USERPILOT_API_KEY", StandInUserpilot.API_KEY,
          "USERPILOT_ENDPOINT", userpilot.endpoint().toString(), "RETRY_BASE_SECONDS", "1",
          "USERPILOT_TIMEOUT_MS", "500"));
      List<Outcome> outcomes = new CopyOnWriteArrayList<>();
      DispatchHandler handler = new DispatchHandler(DispatchSetup.dispatcher(env, Mappings.presets(),
          DispatchSetup.client(env, SecretSource.none()).orElseThrow(), slowQueue, IngestStamp.marker(),
          new DeliveryObserver() {
            @Override
            public void finished(Outcome outcome) {
              outcomes.add(outcome);
            }
          }));

      // One user whose first event is delivered and whose next nine cannot be mapped (createdAt "yesterday"):
      // nine dead letters to write without a Userpilot call in between, all in the first batch.
      StringBuilder first = new StringBuilder("[");
      for (int i = 0; i < 10; i++) {
        first.append(i == 0 ? "" : ",").append("{\"type\":\"identify\",\"userId\":\"slow\",\"messageId\":\"s")
            .append(i).append("\",\"traits\":{\"seq\":").append(i).append(i == 0 ? "" : ",\"createdAt\":\"yesterday\"")
            .append("}}");
      }
      post(ingest, first.append("]").toString());
      // Other users' events come after the slow stretch, so each slow batch is all the one user's.
      StringBuilder second = new StringBuilder("[");
      for (int i = 0; i < 10; i++) {
        second.append(i == 0 ? "" : ",").append("{\"type\":\"identify\",\"userId\":\"good-").append(i % 5)
            .append("\",\"messageId\":\"g").append(i).append("\",\"traits\":{\"seq\":").append(100 + i).append("}}");
      }

      // First every SQS call the handler makes takes 1.8 s and succeeds: nine dead letters in a row would take
      // 16 s of a 12 s invocation. Then each takes 2.5 s: past the SDK's 2 s attempt timeout, so each fails
      // after its 3 s call timeout while the writes land anyway (answers lost).
      List<Long> slowInvocations = new ArrayList<>();
      for (long delay : new long[] {1_800, 2_500}) {
        proxy.delayMillis = delay;
        // Long enough a wait for the user's kept events to come back from their retry delay.
        slowInvocations.add(invoke(sqs, handler, 10));
      }
      post(ingest, second.append("]").toString());
      proxy.delayMillis = 0;
      List<Long> fastInvocations = new ArrayList<>();
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < end && (sqs.depth(sqs.queueUrl()) > 0)) {
        long millis = invoke(sqs, handler, 1);
        if (millis >= 0) {
          fastInvocations.add(millis);
        }
      }
      System.out.println("slow SQS: invocations took " + slowInvocations + " ms of " + INVOCATION.toMillis()
          + "; then " + fastInvocations + "; SQS requests held back: " + proxy.delayed.get());

      for (long millis : slowInvocations) {
        assertTrue(millis >= 0, "the first batches were there to take");
        assertTrue(millis < INVOCATION.toMillis(), "the handler returned within its time: " + slowInvocations);
      }
      assertEquals(0, sqs.depth(sqs.queueUrl()), "everything settled once SQS was fast again");

      Map<String, Long> delivered = userpilot.accepted().stream().collect(Collectors.groupingBy(
          c -> c.body().at("/metadata/seq").asText(), TreeMap::new, Collectors.counting()));
      Map<String, Long> expected = new TreeMap<>();
      expected.put("0", 1L);
      for (int i = 0; i < 10; i++) {
        expected.put(Integer.toString(100 + i), 1L);
      }
      assertEquals(expected, delivered, "each deliverable event delivered exactly once");
      List<Message> dead = sqs.drain(sqs.deadLetterUrl());
      Map<String, Long> deadById = dead.stream().collect(Collectors.groupingBy(
          m -> Json.parse(m.body()).get("messageId").asText(), TreeMap::new, Collectors.counting()));
      assertEquals(Set.of("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"), deadById.keySet());
      deadById.forEach((id, n) -> assertEquals(1L, n, id + " dead-lettered " + n + " times"));
      assertTrue(outcomes.stream().anyMatch(o -> o.kind() == Outcome.Kind.WAITING
          && o.reason().contains("too little time left")), "work was left for the next invocation: " + outcomes);
    }
  }

  private static void post(IngestHandler ingest, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    var response = ingest.handleRequest(APIGatewayV2HTTPEvent.builder().withRouteKey("POST /segment")
        .withRawPath("/segment").withHeaders(Map.of("content-type", "application/json", "x-signature",
            RequestAuthenticator.sign(SECRET, SegmentBody.signedBytesOf(bytes))))
        .withBody(body).withIsBase64Encoded(false).build(), null);
    assertEquals(200, response.getStatusCode(), response.getBody());
  }

  /**
   * One invocation as Lambda makes it: receive, invoke with the remaining time, delete what the answer does not
   * name — unless the handler overran its time, when Lambda deletes nothing. Returns the handler's milliseconds,
   * or -1 when nothing was received.
   */
  private static long invoke(EmbeddedSqs sqs, DispatchHandler handler, int waitSeconds) {
    // Short long-polls: one call must stay inside SqsClients' 3 s call timeout.
    List<Message> messages = List.of();
    long waitUntil = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
    while (messages.isEmpty() && System.nanoTime() < waitUntil) {
      messages = sqs.receive(sqs.queueUrl(), 10, 1);
    }
    if (messages.isEmpty()) {
      return -1;
    }
    long started = System.nanoTime();
    SQSBatchResponse response = handler.handleRequest(SqsEvents.of(messages, null, null), new TimedContext(INVOCATION));
    long millis = (System.nanoTime() - started) / 1_000_000;
    if (millis >= INVOCATION.toMillis()) {
      return millis;
    }
    Set<String> kept = response.getBatchItemFailures().stream()
        .map(SQSBatchResponse.BatchItemFailure::getItemIdentifier).collect(Collectors.toSet());
    List<DeleteMessageBatchRequestEntry> done = messages.stream().filter(m -> !kept.contains(m.messageId()))
        .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId()).receiptHandle(m.receiptHandle()).build())
        .toList();
    if (!done.isEmpty()) {
      sqs.client().deleteMessageBatch(b -> b.queueUrl(sqs.queueUrl()).entries(done));
    }
    return millis;
  }

  /** A Lambda context whose remaining time runs down from the invocation's start. */
  static final class TimedContext implements Context {
    private final long deadlineNanos;

    TimedContext(Duration budget) {
      this.deadlineNanos = System.nanoTime() + budget.toNanos();
    }

    @Override
    public int getRemainingTimeInMillis() {
      return (int) Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
    }

    @Override
    public String getAwsRequestId() {
      return "test";
    }

    @Override
    public String getLogGroupName() {
      return "test";
    }

    @Override
    public String getLogStreamName() {
      return "test";
    }

    @Override
    public String getFunctionName() {
      return "dispatch";
    }

    @Override
    public String getFunctionVersion() {
      return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
      return "arn:aws:lambda:test:000000000000:function:dispatch";
    }

    @Override
    public CognitoIdentity getIdentity() {
      return null;
    }

    @Override
    public ClientContext getClientContext() {
      return null;
    }

    @Override
    public int getMemoryLimitInMB() {
      return 512;
    }

    @Override
    public LambdaLogger getLogger() {
      return null;
    }
  }

  /**
   * A TCP proxy that holds each request back for {@link #delayMillis} before passing it on; answers flow back at
   * once. A request is whatever the client writes after a pause, so a request sent in two writes waits once.
   */
  static final class DelayingProxy implements AutoCloseable {
    volatile long delayMillis;
    /** Requests held back so far. */
    final java.util.concurrent.atomic.AtomicInteger delayed = new java.util.concurrent.atomic.AtomicInteger();
    private final ServerSocket server;
    private final URI target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    DelayingProxy(URI target) throws IOException {
      this.target = target;
      server = new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread accept = new Thread(this::acceptLoop, "slow-sqs-accept");
      accept.setDaemon(true);
      accept.start();
    }

    URI endpoint() {
      return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          Socket upstream = new Socket(target.getHost(), target.getPort());
          sockets.add(client);
          sockets.add(upstream);
          // Set once an answer went back: the client's next bytes begin a new request.
          java.util.concurrent.atomic.AtomicBoolean newRequest = new java.util.concurrent.atomic.AtomicBoolean(true);
          pump(client, upstream, newRequest, true);
          pump(upstream, client, newRequest, false);
        } catch (IOException e) {
          return;
        }
      }
    }

    private void pump(Socket from, Socket to, java.util.concurrent.atomic.AtomicBoolean newRequest, boolean request) {
      Thread t = new Thread(() -> {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
          int n;
          while ((n = in.read(buffer)) >= 0) {
            long delay = delayMillis;
            if (request && newRequest.getAndSet(false) && delay > 0) {
              delayed.incrementAndGet();
              Thread.sleep(delay);
            }
            out.write(buffer, 0, n);
            out.flush();
            if (!request) {
              newRequest.set(true);
            }
          }
        } catch (IOException | InterruptedException e) {
          // the other side closed (e.g. the SDK gave up on a slow call)
        } finally {
          close(from);
          close(to);
        }
      }, "slow-sqs-pump");
      t.setDaemon(true);
      t.start();
    }

    private static void close(Socket s) {
      try {
        s.close();
      } catch (IOException ignored) {
        // already closed
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      sockets.forEach(DelayingProxy::close);
    }
  }
}
