package com.userpilotrelay.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.queue.SqsEventQueue;
import com.userpilotrelay.testing.EmbeddedSqs;
import com.userpilotrelay.testing.SharedFixtures;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The sample API Gateway events in events/ (the ones `sam local invoke` uses), loaded with
 * aws-lambda-java-tests' EventLoader and run through the real handler into ElasticMQ, with each
 * credential configuration a deployment can have.
 */
class IngestHandlerEventsTest {
  private static EmbeddedSqs sqs;

  /**
   * Fresh queues per test: the samples reuse their messageIds, and a FIFO queue drops a resend within five
   * minutes (which is what it is for).
   */
  @BeforeEach
  void start() {
    sqs = new EmbeddedSqs();
  }

  @AfterEach
  void stop() {
    sqs.close();
  }

  private static IngestHandler handler(String secret, String token) {
    return new IngestHandler(new IngestService(
        new RequestAuthenticator(Optional.ofNullable(secret), Optional.ofNullable(token)),
        new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(), 4)));
  }

  private static APIGatewayV2HTTPEvent load(String file) {
    return EventLoader.loadApiGatewayHttpEvent(SharedFixtures.projectRoot().resolve("events").resolve(file).toString());
  }

  @ParameterizedTest
  @CsvSource({
      // file,                       secret,           token,           status, events queued
      "apigw-identify.json,          local-dev-secret, local-dev-token, 200, 1",
      "apigw-track.json,             local-dev-secret, local-dev-token, 200, 1",
      "apigw-group.json,             local-dev-secret, local-dev-token, 200, 1",
      "apigw-batch-array.json,       local-dev-secret, local-dev-token, 200, 3",
      "apigw-batch-object.json,      local-dev-secret, local-dev-token, 200, -1",
      "apigw-base64-body.json,       local-dev-secret, local-dev-token, 200, 1",
      "apigw-signed.json,            local-dev-secret, ,                200, 1",
      "apigw-signed.json,            local-dev-secret, local-dev-token, 401, 0",
      "apigw-bearer-token.json,      ,                 local-dev-token, 200, 1",
      "apigw-bearer-token.json,      local-dev-secret, local-dev-token, 401, 0",
      "apigw-identify.json,          another-secret,   local-dev-token, 401, 0",
  })
  void sampleEventsAreAnsweredAsTheContractSays(String file, String secret, String token, int status, int queued) {
    APIGatewayV2HTTPEvent event = load(file);
    APIGatewayV2HTTPResponse response = handler(secret, token).handleRequest(event, null);
    assertEquals(status, response.getStatusCode(), response.getBody());
    assertEquals("application/json", response.getHeaders().get("content-type"));
    List<Message> landed = sqs.drain(sqs.queueUrl());
    if (status == 200) {
      JsonNode answer = Json.parse(response.getBody());
      int expected = queued >= 0 ? queued : answer.get("accepted").asInt();
      assertTrue(expected > 0);
      assertEquals(expected, answer.get("accepted").asInt());
      assertEquals(expected, landed.size());
      for (Message m : landed) {
        assertTrue(answer.get("messageIds").toString().contains(m.messageAttributes().get("messageId").stringValue()));
      }
    } else {
      assertEquals(0, landed.size());
    }
  }

  @org.junit.jupiter.api.Test
  void aBatchObjectsContextReachesEveryQueuedEvent() {
    APIGatewayV2HTTPEvent event = load("apigw-batch-object.json");
    JsonNode sent = Json.parse(event.getBody());
    handler("local-dev-secret", "local-dev-token").handleRequest(event, null);
    List<Message> landed = sqs.drain(sqs.queueUrl());
    assertEquals(sent.get("batch").size(), landed.size());
    String sharedKey = sent.get("context").fieldNames().next();
    for (Message m : landed) {
      assertTrue(Json.parse(m.body()).path("context").has(sharedKey), m.body());
    }
  }
}
