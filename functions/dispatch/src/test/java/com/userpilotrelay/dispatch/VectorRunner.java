package com.userpilotrelay.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.testing.StandInUserpilot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import software.amazon.awssdk.services.sqs.model.Message;

/** Runs vector files (one Segment event and what must follow) through a Pipeline. */
final class VectorRunner {
  private VectorRunner() {}

  static Stream<DynamicTest> tests(Pipeline pipeline, Path dir) {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertFalse(files.isEmpty(), "no vectors in " + dir);
    return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> run(pipeline, file)));
  }

  static void run(Pipeline pipeline, Path file) throws IOException {
    JsonNode vector = Json.MAPPER.readTree(file.toFile());
    String outcome = vector.get("outcome").asText();
    pipeline.userpilot.reset();
    pipeline.sqs.drain(pipeline.sqs.deadLetterUrl());
    pipeline.sqs.drain(pipeline.sqs.rejectedUrl());

    APIGatewayV2HTTPResponse response = pipeline.post(Json.write(vector.get("event")));
    int expectedStatus = outcome.equals("rejected") ? 400 : 200;
    assertEquals(expectedStatus, response.getStatusCode(), response.getBody());
    if (outcome.equals("rejected")) {
      JsonNode errors = Json.parse(response.getBody()).at("/rejected/0/errors");
      assertTrue(errors.isArray() && errors.size() > 0, "the answer names the problem: " + response.getBody());
    }
    pipeline.drainQueue(20_000);

    List<JsonNode> sent = new ArrayList<>();
    for (StandInUserpilot.Call call : pipeline.userpilot.calls()) {
      ObjectNode c = Json.object();
      c.put("method", call.method());
      c.put("path", call.path());
      c.set("body", normalize(call.path(), call.body()));
      sent.add(c);
    }
    List<JsonNode> expected = new ArrayList<>();
    for (JsonNode r : vector.get("requests")) {
      ObjectNode c = Json.object();
      c.put("method", r.get("method").asText());
      c.put("path", r.get("path").asText());
      c.set("body", normalize(r.get("path").asText(), r.get("body").deepCopy()));
      expected.add(c);
    }
    assertEquals(expected, sent, "Userpilot requests for " + vector.get("name").asText());
    assertTrue(pipeline.userpilot.violations().isEmpty(), pipeline.userpilot.violations().toString());

    List<Message> dead = pipeline.sqs.drain(pipeline.sqs.deadLetterUrl());
    List<Message> refused = pipeline.sqs.drain(pipeline.sqs.rejectedUrl());
    switch (outcome) {
      case "rejected" -> {
        // Refused input is kept apart from the redrivable dead letters.
        assertEquals(0, dead.size(), "nothing a redrive could send");
        assertStage(refused, "ingest");
      }
      case "dead-lettered" -> assertStage(dead, "dispatch");
      default -> assertEquals(0, dead.size() + refused.size(), "nothing dead-lettered or refused");
    }
  }

  private static void assertStage(List<Message> dead, String stage) {
    assertEquals(1, dead.size(), "the event is kept with its reason");
    assertEquals(stage, dead.get(0).messageAttributes().get("stage").stringValue());
    assertFalse(dead.get(0).messageAttributes().get("reason").stringValue().isBlank());
  }

  /** For track, an absent metadata and {} are equivalent. */
  private static JsonNode normalize(String path, JsonNode body) {
    if (path.endsWith("/v1/track") && body instanceof ObjectNode object) {
      JsonNode metadata = object.get("metadata");
      if (metadata != null && metadata.isObject() && metadata.isEmpty()) {
        object.remove("metadata");
      }
    }
    return body;
  }
}
