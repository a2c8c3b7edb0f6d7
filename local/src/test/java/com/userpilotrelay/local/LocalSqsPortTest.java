package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.await;
import static com.userpilotrelay.local.RelayHttp.deliveredFor;
import static com.userpilotrelay.local.RelayHttp.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.config.Env;
import com.userpilotrelay.queue.SqsClients;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Call;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.io.File;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * The runner's SQS port (SQS_PORT) over real sockets: what a web page in the user's browser can send there is
 * refused, byte for byte as browsers send it, and the queues keep their messages; what the AWS SDK and the
 * aws CLI send (as the README shows) is served.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalSqsPortTest {
  static final String SECRET = "local-sqs-port-test-secret";
  static final Duration DELIVERY = Duration.ofSeconds(20);
  static final String CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
      + " Chrome/131.0.0.0 Safari/537.36";

  @TempDir
  static Path dataDir;

  private StandInUserpilot standIn;
  private LocalRelay.Running relay;
  private RelayHttp http;
  private int sqsPort;
  /** Subjects the stand-in answers 503 for as long as they are here: their events stay on the queue. */
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  /** Subjects the stand-in refuses with 400: their events are dead-lettered. */
  private final Set<String> refused = ConcurrentHashMap.newKeySet();

  @BeforeAll
  void start() {
    standIn = new StandInUserpilot();
    standIn.answer(this::reply);
    sqsPort = RelayHttp.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("USERPILOT_API_KEY", StandInUserpilot.API_KEY);
    env.put("USERPILOT_ENDPOINT", RelayHttp.endpointWithoutSlash(standIn));
    env.put("SEGMENT_SHARED_SECRET", SECRET);
    env.put("PORT", "0");
    env.put("SQS_PORT", Integer.toString(sqsPort));
    env.put("DATA_DIR", dataDir.toString());
    env.put("RETRY_BASE_SECONDS", "1");
    relay = LocalRelay.start(Env.of(env));
    http = new RelayHttp(relay.url());
  }

  @AfterAll
  void stop() {
    if (relay != null) {
      relay.stop();
    }
    if (standIn != null) {
      standIn.close();
    }
  }

  private Reply reply(Call call) {
    String subject = call.subject();
    if (subject != null && refused.contains(subject)) {
      return Reply.status(400);
    }
    if (subject != null && held.contains(subject)) {
      return Reply.status(503);
    }
    return Reply.accepted();
  }

  private void accept(String userId) {
    String body = "{\"type\":\"identify\",\"userId\":\"" + userId + "\",\"messageId\":\"" + RelayHttp.unique("m")
        + "\",\"traits\":{\"email\":\"" + userId + "@example.com\"}}";
    assertEquals(200, http.postJson(body, signed(SECRET, body)).status());
  }

  private String queueUrl(String name) {
    return "http://127.0.0.1:" + sqsPort + "/000000000000/" + name;
  }

  private static String form(String... pairs) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      b.append(b.length() == 0 ? "" : "&").append(pairs[i]).append('=')
          .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return b.toString();
  }

  /** The requests a page can make the browser send to 127.0.0.1:SQS_PORT, as Chrome writes them. */
  private Map<String, RawHttp.Answer> whatAPageCanSend(String purgeTarget) {
    String purge = form("Action", "PurgeQueue", "QueueUrl", purgeTarget);
    String inject = form("Action", "SendMessage", "QueueUrl", queueUrl(LocalSqs.EVENTS_QUEUE),
        "MessageBody", "{\"type\":\"delete\",\"userId\":\"victim\"}", "MessageGroupId", "victim",
        "MessageDeduplicationId", "x");
    String host = "Host: 127.0.0.1:" + sqsPort + "\n";
    Map<String, RawHttp.Answer> answers = new LinkedHashMap<>();
    // <form method=post action=http://127.0.0.1:9324/> submitted from another site, into a hidden iframe.
    answers.put("a cross-site form", RawHttp.send(sqsPort, "POST / HTTP/1.1\n" + host
        + "Connection: keep-alive\nContent-Length: " + purge.length() + "\nCache-Control: max-age=0\n"
        + "Origin: https://evil.example\nContent-Type: application/x-www-form-urlencoded\n"
        + "Upgrade-Insecure-Requests: 1\nUser-Agent: " + CHROME + "\n"
        + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\n"
        + "Sec-Fetch-Site: cross-site\nSec-Fetch-Mode: navigate\nSec-Fetch-Dest: iframe\n"
        + "Referer: https://evil.example/\nAccept-Encoding: gzip, deflate, br\nAccept-Language: en-US,en;q=0.9\n",
        purge));
    // fetch(url + '?' + purge, {method: 'POST', mode: 'no-cors', body: purge}): text/plain, action in the query.
    answers.put("a cross-site text/plain fetch", RawHttp.send(sqsPort, "POST /?" + purge + " HTTP/1.1\n" + host
        + "Connection: keep-alive\nContent-Length: " + purge.length() + "\nOrigin: https://evil.example\n"
        + "Content-Type: text/plain;charset=UTF-8\nUser-Agent: " + CHROME + "\nAccept: */*\n"
        + "Sec-Fetch-Site: cross-site\nSec-Fetch-Mode: no-cors\nSec-Fetch-Dest: empty\n", purge));
    // A browser (or an extension) that sends neither Origin nor Sec-Fetch-*: only the missing signature is left.
    answers.put("a form without Origin", RawHttp.send(sqsPort, "POST / HTTP/1.1\n" + host
        + "Content-Length: " + purge.length() + "\nContent-Type: application/x-www-form-urlencoded\n"
        + "User-Agent: " + CHROME + "\n", purge));
    answers.put("an injected SendMessage form", RawHttp.send(sqsPort, "POST / HTTP/1.1\n" + host
        + "Content-Length: " + inject.length() + "\nContent-Type: application/x-www-form-urlencoded\n", inject));
    // <img src="http://127.0.0.1:9324/?Action=PurgeQueue&QueueUrl=...">
    answers.put("an image", RawHttp.send(sqsPort, "GET /?" + purge + " HTTP/1.1\n" + host
        + "User-Agent: " + CHROME + "\nAccept: image/avif,image/webp,*/*\n", new byte[0]));
    // What a page that wants JSON and a signature header must ask first.
    answers.put("a CORS preflight", RawHttp.send(sqsPort, "OPTIONS / HTTP/1.1\n" + host
        + "Origin: https://evil.example\nAccess-Control-Request-Method: POST\n"
        + "Access-Control-Request-Headers: authorization,content-type,x-amz-target\n"
        + "Sec-Fetch-Mode: cors\nUser-Agent: " + CHROME + "\n", new byte[0]));
    // evil.example rebound to 127.0.0.1: same-origin to the browser, so it may send any header.
    String json = "{\"QueueUrl\":\"" + purgeTarget + "\"}";
    answers.put("a DNS-rebinding page", RawHttp.send(sqsPort, "POST / HTTP/1.1\nHost: evil.example:" + sqsPort + "\n"
        + "Content-Length: " + json.length() + "\nOrigin: http://evil.example:" + sqsPort + "\n"
        + "Content-Type: application/x-amz-json-1.0\nX-Amz-Target: AmazonSQS.PurgeQueue\n"
        + "Authorization: AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host,"
        + " Signature=00\nSec-Fetch-Site: same-origin\nSec-Fetch-Mode: cors\n", json));
    // The same from a browser that sends neither Origin nor Sec-Fetch-* on a same-origin request: the Host is left.
    answers.put("a DNS-rebinding page without Origin", RawHttp.send(sqsPort, "POST / HTTP/1.1\nHost: evil.example:"
        + sqsPort + "\nContent-Length: " + json.length() + "\nContent-Type: application/x-amz-json-1.0\n"
        + "X-Amz-Target: AmazonSQS.PurgeQueue\nAuthorization: AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/sqs/"
        + "aws4_request, SignedHeaders=host, Signature=00\n", json));
    return answers;
  }

  @Test
  void whatABrowserPageCanSendIsRefusedAndTheQueuesKeepTheirMessages() {
    String held1 = RelayHttp.unique("held");
    held.add(held1);
    accept(held1);
    await("a first attempt for " + held1, DELIVERY,
        () -> standIn.calls().stream().anyMatch(c -> held1.equals(c.subject())));

    try (SqsClient sqs = SqsClients.local(relay.sqsEndpoint())) {
      String scratch = sqs.createQueue(b -> b.queueName(RelayHttp.unique("scratch"))).queueUrl();
      sqs.sendMessage(b -> b.queueUrl(scratch).messageBody("kept"));
      int events = SqsClients.depth(sqs, queueUrl(LocalSqs.EVENTS_QUEUE));
      assertTrue(events >= 1, "the held event is on the events queue: " + events);

      List<String> served = new ArrayList<>();
      for (String target : List.of(scratch, queueUrl(LocalSqs.EVENTS_QUEUE))) {
        whatAPageCanSend(target).forEach((what, answer) -> {
          if (answer.status() != 403) {
            served.add(what + " -> " + answer.status() + " " + answer.body());
            return;
          }
          assertFalse(answer.headers().containsKey("access-control-allow-origin"), what);
          String message = answer.json().path("message").asText();
          assertTrue(message.startsWith("refused: "), what + ": " + message);
          assertTrue(message.contains("signed with SigV4") && message.contains("aws sqs receive-message"),
              what + " says what an SDK or the CLI sends: " + message);
        });
      }
      assertEquals(List.of(), served, "every request a page can send is refused");
      assertEquals(1, SqsClients.depth(sqs, scratch), "the scratch queue was not purged");
      assertTrue(SqsClients.depth(sqs, queueUrl(LocalSqs.EVENTS_QUEUE)) >= 1, "the events queue was not purged");

      // The same bytes sent straight to ElasticMQ do purge: the guard is what stops them.
      URI internal = relay.internalSqsEndpoint();
      String purge = form("Action", "PurgeQueue", "QueueUrl", scratch);
      RawHttp.Answer direct = RawHttp.send(internal.getHost(), internal.getPort(), "POST / HTTP/1.1\nHost: "
          + internal.getAuthority() + "\nContent-Length: " + purge.length()
          + "\nContent-Type: application/x-www-form-urlencoded\n", purge.getBytes(StandardCharsets.UTF_8));
      assertEquals(200, direct.status(), direct.body());
      assertEquals(0, SqsClients.depth(sqs, scratch), "ElasticMQ itself takes an unsigned form");
    }

    held.remove(held1);
    await("delivery of " + held1, DELIVERY, () -> !deliveredFor(standIn, held1).isEmpty());
    assertEquals(1, deliveredFor(standIn, held1).size(), "delivered once, after every attempt on the queue");
    assertTrue(deliveredFor(standIn, "victim").isEmpty(), "nothing injected was delivered");
  }

  @Test
  void elasticMqItselfListensWhereAPageCannotGuess() throws Exception {
    URI internal = relay.internalSqsEndpoint();
    InetAddress host = InetAddress.getByName(internal.getHost());
    assertTrue(host.isLoopbackAddress(), internal.toString());
    assertNotEquals(sqsPort, internal.getPort());
    boolean wholeLoopbackNet;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
      wholeLoopbackNet = true;
    } catch (java.io.IOException e) {
      wholeLoopbackNet = false;
    }
    if (wholeLoopbackNet) {
      assertNotEquals("127.0.0.1", host.getHostAddress(), "a random 127.x.y.z where the system answers on all of them");
    }
  }

  private String deadLetter() {
    String subject = RelayHttp.unique("dead");
    refused.add(subject);
    accept(subject);
    await("a dead letter for " + subject, DELIVERY,
        () -> http.deadLetters().stream().anyMatch(e -> e.toString().contains(subject)));
    return subject;
  }

  @Test
  void theAwsSdkAtTheSqsPortListsTheQueuesAndReadsTheDeadLetters() {
    String subject = deadLetter();
    try (SqsClient sqs = SqsClients.local(relay.sqsEndpoint())) {
      List<String> queues = sqs.listQueues().queueUrls();
      for (String name : List.of(LocalSqs.EVENTS_QUEUE, LocalSqs.DEAD_LETTER_QUEUE, LocalSqs.REJECTED_QUEUE)) {
        assertTrue(queues.contains(queueUrl(name)), name + " in " + queues);
      }
      List<Message> seen = new ArrayList<>();
      for (int i = 0; i < 10 && seen.stream().noneMatch(m -> m.body().contains(subject)); i++) {
        seen.addAll(sqs.receiveMessage(b -> b.queueUrl(queueUrl(LocalSqs.DEAD_LETTER_QUEUE)).maxNumberOfMessages(10)
            .visibilityTimeout(0).messageAttributeNames("All")
            .messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages());
      }
      Message letter = seen.stream().filter(m -> m.body().contains(subject)).findFirst().orElseThrow();
      assertTrue(letter.messageAttributes().containsKey("reason"), letter.messageAttributes().toString());
    }
  }

  @Test
  void theAwsCliAtTheSqsPortListsTheQueuesAndReadsTheDeadLetters() throws Exception {
    String aws = onPath("aws");
    Assumptions.assumeTrue(aws != null, "the aws CLI is not installed; install it to run this test");
    String subject = deadLetter();
    String queues = run(aws, "sqs", "list-queues", "--endpoint-url", "http://127.0.0.1:" + sqsPort);
    assertTrue(queues.contains(queueUrl(LocalSqs.DEAD_LETTER_QUEUE)), queues);
    String letters = "";
    for (int i = 0; i < 10 && !letters.contains(subject); i++) {
      // The README's command.
      letters += run(aws, "sqs", "receive-message", "--endpoint-url", "http://127.0.0.1:" + sqsPort,
          "--queue-url", queueUrl(LocalSqs.DEAD_LETTER_QUEUE), "--max-number-of-messages", "10",
          "--visibility-timeout", "0", "--message-attribute-names", "All");
    }
    assertTrue(letters.contains(subject) && letters.contains("\"reason\""), letters);
  }

  @Test
  void stalledConnectionsOnTheSqsPortDoNotStopTheRelay() throws Exception {
    List<Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < SqsPortGuard.Limits.DEFAULT.maxConnections() + 8; i++) {
        Socket s = new Socket("127.0.0.1", sqsPort);
        s.getOutputStream().write(("POST / HTTP/1.1\r\nHost: 127.0.0.1:" + sqsPort + "\r\nContent-")
            .getBytes(StandardCharsets.US_ASCII));
        stalled.add(s);
      }
      String subject = RelayHttp.unique("through");
      accept(subject);
      await("delivery of " + subject, DELIVERY, () -> !deliveredFor(standIn, subject).isEmpty());
      assertEquals(200, http.get("/stats").status());
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
    }
  }

  private static String onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, command);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return null;
  }

  private static String run(String... command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.put("AWS_ACCESS_KEY_ID", "local");
    env.put("AWS_SECRET_ACCESS_KEY", "local");
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_CONFIG_FILE", "/dev/null");
    env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    env.put("AWS_PAGER", "");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the aws CLI finished");
    assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    return output;
  }
}
