package com.userpilotrelay.mapping;


import com.userpilotrelay.testing.SharedFixtures;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every vector, the shared ones (../shared, skipped with a message when absent) and the project's
 * own (src/test/resources/mapping), through the presets and through the mapping-vectors file.
 */
class VectorsTest {

  @TestFactory
  Stream<DynamicTest> sharedVectorsThroughPresets() {
    return SharedFixtures.dynamicTests("vectors", VectorsTest::vectorTests);
  }

  @TestFactory
  Stream<DynamicTest> projectVectorsThroughPresets() {
    return vectorTests(Fixtures.resource("vectors"));
  }

  @TestFactory
  Stream<DynamicTest> sharedMappingVectors() {
    return SharedFixtures.dynamicTests("mapping-vectors", VectorsTest::mappingVectorTests);
  }

  @TestFactory
  Stream<DynamicTest> projectMappingVectors() {
    return mappingVectorTests(Fixtures.resource("mapping-vectors"));
  }

  private static Stream<DynamicTest> vectorTests(Path dir) {
    // Rejected vectors never reach a mapping (ingest refuses them); the end-to-end tests cover them.
    return Fixtures.jsonFiles(dir).stream()
        .filter(file -> !Fixtures.read(file).path("outcome").asText().equals("rejected"))
        .map(file -> DynamicTest.dynamicTest(file.getFileName().toString(),
            () -> Fixtures.checkVector(file, Mappings.presets())));
  }

  private static Stream<DynamicTest> mappingVectorTests(Path dir) {
    Mappings mappings = Mappings.load(dir.resolve("mappings.json"));
    JsonNode cases = Fixtures.read(dir.resolve("cases.json"));
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      JsonNode c = cases.get(i);
      String label = "case " + i + " (" + c.path("event").path("messageId").asText() + ")";
      tests.add(DynamicTest.dynamicTest(label,
          () -> Fixtures.assertRequests(c.get("requests"), mappings.map(c.get("event")), label)));
    }
    return tests.stream();
  }
}
