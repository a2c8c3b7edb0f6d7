package com.userpilotrelay.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.queue.SqsEventQueue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * The ingest scenario every SQS server must pass: the real handler, a real SQS-protocol server, and
 * assertions on what actually landed in the queue and the dead-letter queue.
 */
abstract class IngestScenario {
  static final String SECRET = "scenario-secret";
  static final String TOKEN = "scenario-token";

  abstract SqsClient sqs();

  abstract String queueUrl();

  abstract String deadLetterUrl();

  abstract String rejectedUrl();

  IngestHandler handler() {
    return new IngestHandler(new IngestService(new RequestAuthenticator(Optional.of(SECRET), Optional.of(TOKEN)),
        new SqsEventQueue(sqs(), queueUrl(), deadLetterUrl(), rejectedUrl(), 8)));
  }

  static APIGatewayV2HTTPEvent post(String body, Map<String, String> extraHeaders) {
    Map<String, String> headers = new java.util.HashMap<>(Map.of("content-type", "application/json"));
    headers.putAll(extraHeaders);
    return APIGatewayV2HTTPEvent.builder()
        .withRouteKey("POST /segment")
        .withRawPath("/segment")
        .withHeaders(headers)
        .withBody(body)
        .withIsBase64Encoded(false)
        .build();
  }

  static Map<String, String> credentials(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return Map.of("x-signature", RequestAuthenticator.sign(SECRET, com.userpilotrelay.segment.SegmentBody.signedBytesOf(bytes)),
        "authorization", "Bearer " + TOKEN);
  }

  List<Message> drain(String url) {
    List<Message> all = new ArrayList<>();
    while (true) {
      List<Message> batch = sqs().receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
          .messageAttributeNames("All").messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
      if (batch.isEmpty()) {
        return all;
      }
      sqs().deleteMessageBatch(b -> b.queueUrl(url).entries(batch.stream()
          .map(m -> software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry.builder()
              .id(m.messageId()).receiptHandle(m.receiptHandle()).build()).toList()));
      all.addAll(batch);
    }
  }

  @Test
  void mixedBatchLandsGoodEventsInTheQueueAndBadOnesInTheRejectedQueue() {
    String body = "[{\"type\":\"identify\",\"userId\":\"u1\",\"messageId\":\"a\",\"traits\":{\"plan\":\"pro\"}},"
        + "{\"type\":\"track\",\"userId\":\"u1\",\"messageId\":\"b\"},"
        + "{\"type\":\"track\",\"userId\":\"u2\",\"event\":\"Zoë ✓\",\"messageId\":\"c\"}]";
    APIGatewayV2HTTPResponse response = handler().handleRequest(post(body, credentials(body)), null);
    assertEquals(200, response.getStatusCode());
    JsonNode answer = Json.parse(response.getBody());
    assertEquals(2, answer.get("accepted").asInt());
    assertEquals(1, answer.at("/rejected/0/index").asInt());

    List<Message> queued = drain(queueUrl());
    Set<String> ids = new HashSet<>();
    for (Message m : queued) {
      ids.add(m.messageAttributes().get("messageId").stringValue());
      assertEquals(Json.parse(m.body()).get("type").asText(), m.messageAttributes().get("type").stringValue());
    }
    assertEquals(Set.of("a", "c"), ids);
    Message unicode = queued.stream().filter(m -> m.messageAttributes().get("messageId").stringValue().equals("c"))
        .findFirst().orElseThrow();
    assertEquals("Zoë ✓", Json.parse(unicode.body()).get("event").asText());
    assertEquals("u2", unicode.messageAttributes().get("userId").stringValue());

    List<Message> dead = drain(rejectedUrl());
    assertEquals(1, dead.size());
    assertEquals("ingest", dead.get(0).messageAttributes().get("stage").stringValue());
    assertTrue(dead.get(0).messageAttributes().get("reason").stringValue().contains("event: is required"));
    assertEquals("b", Json.parse(dead.get(0).body()).get("messageId").asText());
  }

  @Test
  void aFullSizeRequestOf2500EventsIsEnqueuedCompletely() {
    StringBuilder body = new StringBuilder("{\"batch\":[");
    for (int i = 0; i < 2500; i++) {
      body.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"userId\":\"user-").append(i % 97)
          .append("\",\"event\":\"Clicked\",\"messageId\":\"bulk-").append(i)
          .append("\",\"properties\":{\"n\":").append(i).append(",\"pad\":\"").append("p".repeat(60)).append("\"}}");
    }
    body.append("],\"context\":{\"library\":{\"name\":\"bulk\"}}}");
    APIGatewayV2HTTPResponse response = handler().handleRequest(post(body.toString(), credentials(body.toString())), null);
    assertEquals(200, response.getStatusCode(), response.getBody());
    assertEquals(2500, Json.parse(response.getBody()).get("accepted").asInt());
    List<Message> queued = drain(queueUrl());
    Set<String> ids = new HashSet<>();
    queued.forEach(m -> ids.add(Json.parse(m.body()).get("messageId").asText()));
    assertEquals(2500, ids.size());
    assertEquals("bulk", Json.parse(queued.get(0).body()).at("/context/library/name").asText());
  }

  @Test
  void wrongCredentialsStoreNothing() {
    String body = "{\"type\":\"identify\",\"userId\":\"u1\"}";
    APIGatewayV2HTTPResponse response = handler().handleRequest(post(body, Map.of("authorization", "Bearer " + TOKEN)), null);
    assertEquals(401, response.getStatusCode());
    assertEquals(0, drain(queueUrl()).size());
    assertEquals(0, drain(rejectedUrl()).size());
  }
}
