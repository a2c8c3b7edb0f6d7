package com.userpilotrelay.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.testing.SharedFixtures;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * Reads the vector formats of ../shared (vectors/*.json, mapping-vectors/) and the project's own
 * copies under src/test/resources/mapping, and checks Mappings against them.
 */
final class Fixtures {
  /** Numbers compare by value (39.95 == 39.950), everything else by equals. */
  private static final Comparator<JsonNode> NUMERIC = (a, b) -> {
    if (a.equals(b)) {
      return 0;
    }
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue());
    }
    return 1;
  };

  private Fixtures() {}

  static JsonNode read(Path file) {
    try {
      return Json.parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Tests over a ../shared folder; without it, one test that is skipped with SharedFixtures'
   * message (an aborted factory would vanish from the report instead of showing as skipped).
   */
  static Path resource(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/mapping/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Path> jsonFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Checks one vector file (event + outcome) against {@code mappings}; rejected ones are ingest's. */
  static void checkVector(Path file, Mappings mappings) {
    JsonNode vector = read(file);
    String outcome = vector.path("outcome").asText();
    List<MappedRequest> results = mappings.map(vector.get("event"));
    switch (outcome) {
      case "delivered" -> assertRequests(vector.get("requests"), results, file.getFileName().toString());
      case "skipped" -> assertEquals(List.of(), results, file.getFileName() + ": expected no request");
      case "dead-lettered" -> {
        assertEquals(1, results.size(), file.getFileName() + ": expected one undeliverable result");
        assertTrue(results.get(0).failed(), file.getFileName() + ": expected an error, got " + results.get(0));
        assertFalse(results.get(0).error().isBlank());
      }
      default -> fail(file.getFileName() + ": outcome " + outcome + " is not a mapping outcome");
    }
  }

  static void assertRequests(JsonNode expected, List<MappedRequest> actual, String label) {
    assertEquals(expected.size(), actual.size(), label + ": number of requests, got " + actual);
    for (int i = 0; i < expected.size(); i++) {
      MappedRequest result = actual.get(i);
      assertNull(result.error(), label + ": request " + i + " failed");
      assertRequest(expected.get(i), result.request(), label + ": request " + i);
    }
  }

  static void assertRequest(JsonNode expected, UserpilotRequest actual, String label) {
    assertNotNull(actual, label);
    assertEquals(expected.get("method").asText(), actual.method(), label + ": method");
    assertEquals(stripSlash(expected.get("path").asText()), actual.path(), label + ": path");
    assertJsonEquals(normalise(expected.get("body"), actual.path()), normalise(actual.body(), actual.path()),
        label + ": body");
  }

  static void assertJsonEquals(JsonNode expected, JsonNode actual, String label) {
    if (!expected.equals(NUMERIC, actual)) {
      assertEquals(Json.write(expected), Json.write(actual), label);
    }
  }

  /** For track, the vectors treat an absent metadata and {} alike. */
  private static JsonNode normalise(JsonNode body, String path) {
    if (!path.equals("v1/track") || body.has("metadata")) {
      return body;
    }
    ObjectNode copy = (ObjectNode) body.deepCopy();
    copy.set("metadata", Json.object());
    return copy;
  }

  private static String stripSlash(String path) {
    return path.startsWith("/") ? path.substring(1) : path;
  }
}
