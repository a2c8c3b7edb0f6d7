package com.userpilotrelay.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.testing.SharedFixtures;
import com.userpilotrelay.testing.StandInUserpilot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The shared user-mappings cases, end to end: mappings file → real handlers → stand-in Userpilot. */
class MappingVectorsEndToEndTest {
  @TestFactory
  Stream<DynamicTest> sharedMappingCases() {
    return SharedFixtures.dynamicTests("mapping-vectors", MappingVectorsEndToEndTest::cases);
  }

  private static Stream<DynamicTest> cases(Path dir) {
    Mappings mappings = Mappings.load(dir.resolve("mappings.json"));
    JsonNode cases = Json.parse(readAll(dir.resolve("cases.json")));
    Pipeline pipeline = new Pipeline(mappings, Map.of());
    List<DynamicTest> tests = new ArrayList<>();
    int n = 0;
    for (JsonNode c : cases) {
      String name = "case " + (n++) + " " + c.at("/event/messageId").asText();
      tests.add(DynamicTest.dynamicTest(name, () -> {
        pipeline.userpilot.reset();
        assertEquals(200, pipeline.post(Json.write(c.get("event"))).getStatusCode());
        pipeline.drainQueue(10_000);
        List<JsonNode> sent = new ArrayList<>();
        for (StandInUserpilot.Call call : pipeline.userpilot.calls()) {
          sent.add(Json.object().put("method", call.method()).put("path", call.path()).set("body", call.body()));
        }
        List<JsonNode> expected = new ArrayList<>();
        c.get("requests").forEach(expected::add);
        assertEquals(expected, sent);
      }));
    }
    return Stream.concat(tests.stream(), Stream.of(DynamicTest.dynamicTest("close", pipeline::close)));
  }

  private static byte[] readAll(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
