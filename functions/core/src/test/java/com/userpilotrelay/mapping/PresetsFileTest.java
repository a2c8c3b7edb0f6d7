package com.userpilotrelay.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.testing.SharedFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * mappings/presets.json is the presets written out in the file format: a user can start from it,
 * so it must behave exactly like {@link Mappings#presets()} on every event we have.
 */
class PresetsFileTest {
  private static final Mappings FROM_FILE =
      Mappings.load(SharedFixtures.projectRoot().resolve("mappings").resolve("presets.json"));

  @Test
  void definesTheSameFourMappings() {
    assertEquals(Mappings.presets().size(), FROM_FILE.size());
  }

  @TestFactory
  Stream<DynamicTest> sameResultsForEverySharedVector() {
    return SharedFixtures.dynamicTests("vectors", dir -> sameResults(events(dir)));
  }

  @TestFactory
  Stream<DynamicTest> sameResultsForEveryProjectVectorAndCase() {
    List<JsonNode> events = new ArrayList<>(events(Fixtures.resource("vectors")));
    Fixtures.read(Fixtures.resource("mapping-vectors").resolve("cases.json")).forEach(c -> events.add(c.get("event")));
    return sameResults(events);
  }

  private static List<JsonNode> events(Path dir) {
    return Fixtures.jsonFiles(dir).stream().map(f -> Fixtures.read(f).get("event")).toList();
  }

  private static Stream<DynamicTest> sameResults(List<JsonNode> events) {
    return events.stream().map(event -> DynamicTest.dynamicTest(event.path("messageId").asText("event"), () -> {
      List<MappedRequest> expected = Mappings.presets().map(event);
      List<MappedRequest> actual = FROM_FILE.map(event);
      assertEquals(expected.size(), actual.size(), "number of results");
      for (int i = 0; i < expected.size(); i++) {
        // Records compare names, requests (bodies as JSON trees) and error texts.
        assertEquals(expected.get(i), actual.get(i));
      }
    }));
  }
}
