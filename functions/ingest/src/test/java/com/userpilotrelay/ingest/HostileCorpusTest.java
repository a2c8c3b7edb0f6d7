package com.userpilotrelay.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.queue.SqsEventQueue;
import com.userpilotrelay.testing.EmbeddedSqs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Every hostile request in the corpus through the real Lambda handler, IngestService and the SQS adapter
 * against ElasticMQ in this JVM, with both a shared secret and a token configured. Per case: the exact
 * 4xx status, an answer that names the problem, nothing on the events queue, and whatever was
 * quarantined marked stage=ingest with its reason.
 */
class HostileCorpusTest {
  private static final ObjectMapper PLAIN = new ObjectMapper();
  private static final Set<Integer> ALLOWED = Set.of(400, 401, 413, 415);
  private static final String UNAUTHORIZED = "unauthorized: credentials are missing or wrong";

  private static EmbeddedSqs sqs;
  private static IngestHandler handler;

  @BeforeAll
  static void start() {
    sqs = new EmbeddedSqs();
    handler = new IngestHandler(new IngestService(
        new RequestAuthenticator(Optional.of(HostileCorpus.SECRET), Optional.of(HostileCorpus.TOKEN)),
        new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(), 8)));
  }

  @AfterAll
  static void stop() {
    sqs.close();
  }

  @Test
  void theCorpusHasAtLeast200CasesWithUniqueIdsInEveryCategory() {
    List<HostileCorpus.Case> cases = HostileCorpus.load();
    assertTrue(cases.size() >= 200, "only " + cases.size() + " cases");
    Set<String> ids = new HashSet<>();
    for (HostileCorpus.Case c : cases) {
      assertTrue(ids.add(c.id()), "duplicate id " + c.id());
      assertTrue(c.id().startsWith(c.category() + "-"), c.id() + " is not named after its file " + c.category());
      assertTrue(ALLOWED.contains(c.status()), c.id() + " expects " + c.status());
      assertFalse(c.description().isBlank(), c.id());
      assertFalse(c.fragments().isEmpty() || c.fragments().get(0).isBlank(), c.id() + " names no error text");
    }
    Map<String, Long> perCategory = cases.stream()
        .collect(Collectors.groupingBy(HostileCorpus.Case::category, TreeMap::new, Collectors.counting()));
    for (String category : List.of("auth", "content-type", "duplicates", "empty", "encoding", "headers", "huge",
        "limits", "malformed", "missing", "nesting", "types")) {
      assertTrue(perCategory.getOrDefault(category, 0L) > 0, "no cases in " + category + ": " + perCategory);
    }
  }

  @TestFactory
  Stream<DynamicTest> everyHostileRequestIsRefusedWithA4xxThatNamesTheProblemAndEnqueuesNothing() {
    return HostileCorpus.load().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
  }

  private static void check(HostileCorpus.Case c) throws IOException {
    // Nothing left over from an earlier case may be mistaken for this one's.
    sqs.drain(sqs.queueUrl());
    sqs.drain(sqs.rejectedUrl());

    APIGatewayV2HTTPResponse response;
    try {
      response = handler.handleRequest(HostileCorpus.event(c), null);
    } catch (RuntimeException e) {
      throw new AssertionError(c.id() + ": an exception escaped the handler (a 5xx in Lambda): " + e, e);
    }
    int status = response.getStatusCode();
    String body = response.getBody();
    assertTrue(status >= 400 && status < 500, c.id() + ": a hostile request got " + status + " " + body);
    assertEquals(c.status(), status, c.id() + ": " + body);
    assertEquals("application/json", response.getHeaders().get("content-type"));

    JsonNode answer = PLAIN.readTree(body);
    List<String> messages = new ArrayList<>();
    if (answer.hasNonNull("error")) {
      messages.add(answer.get("error").asText());
    }
    answer.path("rejected").forEach(r -> r.path("errors").forEach(e -> messages.add(e.asText())));
    assertFalse(messages.isEmpty(), c.id() + ": the answer names no problem: " + body);
    List<String> fragments = c.fragments();
    if (messages.stream().noneMatch(m -> fragments.stream().allMatch(m::contains))) {
      fail(c.id() + ": no message contains " + fragments + "; got " + messages);
    }
    if (status == 401) {
      assertEquals(UNAUTHORIZED, answer.path("error").asText(), c.id() + ": a 401 must not hint which part failed");
    }

    List<Message> enqueued = sqs.drain(sqs.queueUrl());
    assertEquals(List.of(), enqueued.stream().map(Message::body).toList(), c.id() + ": the events queue got something");
    assertEquals(0, answer.path("accepted").asInt(0), c.id());

    List<Message> quarantined = sqs.drain(sqs.rejectedUrl());
    JsonNode rejected = answer.path("rejected");
    if (c.rejected() >= 0) {
      assertEquals(c.rejected(), rejected.size(), c.id() + ": rejected events");
    }
    assertEquals(rejected.size(), quarantined.size(), c.id() + ": every rejected event, and only those, is quarantined");
    Set<String> indices = new HashSet<>();
    rejected.forEach(r -> indices.add(r.get("index").asText()));
    for (Message m : quarantined) {
      assertEquals("ingest", attribute(m, "stage"), c.id());
      String index = attribute(m, "index");
      assertTrue(indices.remove(index), c.id() + ": quarantined index " + index + " is not in the answer");
      String reason = attribute(m, "reason");
      assertNotNull(reason, c.id() + ": quarantined without a reason");
      assertTrue(reason.startsWith("event " + index + ": ") && reason.length() > ("event " + index + ": ").length(),
          c.id() + ": reason " + reason);
      PLAIN.readTree(m.body());
    }
  }

  private static String attribute(Message m, String name) {
    var value = m.messageAttributes().get(name);
    return value == null ? null : value.stringValue();
  }
}
