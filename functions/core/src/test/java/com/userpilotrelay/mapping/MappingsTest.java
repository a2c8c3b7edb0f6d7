package com.userpilotrelay.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.json.Json;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** How a mappings file as a whole applies to events. */
class MappingsTest {
  private static final String FILE = """
      {"mappings": [
        {"name": "Everything tracked", "subscribe": "type = \\"track\\"", "action": "trackEvent"},
        {"name": "Off", "enabled": false, "subscribe": "type = \\"track\\"", "action": "trackEvent",
         "mapping": {"name": "never sent"}},
        {"name": "Orders also as traits", "subscribe": "type = \\"track\\" and match(event, \\"Order*\\")",
         "action": "identifyUser",
         "mapping": {"traits": {"last_order": {"@path": "$.properties.order_id"}, "source": "segment"},
                     "createdAt": {"@path": "$.properties.placed"}}}
      ]}
      """;

  private final Mappings mappings = Mappings.parse(FILE);

  @Test
  void presetsAreFourAndShared() {
    assertEquals(4, Mappings.presets().size());
    assertSame(Mappings.presets(), Mappings.presets());
  }

  @Test
  void sizeCountsDisabledMappingsToo() {
    assertEquals(3, mappings.size());
  }

  @Test
  void oneResultPerMatchingEnabledMappingInFileOrder() {
    List<MappedRequest> results = mappings.map(Json.parse(
        "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Order Completed\",\"properties\":{\"order_id\":\"o-9\"}}"));
    assertEquals(List.of("Everything tracked", "Orders also as traits"),
        results.stream().map(MappedRequest::mappingName).toList());
    assertEquals("v1/track", results.get(0).request().path());
    UserpilotRequest identify = results.get(1).request();
    assertEquals(Json.parse("{\"user_id\":\"u1\",\"metadata\":{\"last_order\":\"o-9\",\"source\":\"segment\"}}"),
        identify.body());
  }

  @Test
  void aFailingMappingDoesNotStopTheOthers() {
    List<MappedRequest> results = mappings.map(Json.parse(
        "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Order Completed\",\"properties\":{\"placed\":\"soon\"}}"));
    assertEquals(2, results.size());
    assertNull(results.get(0).error());
    assertEquals("identifyUser 'Orders also as traits': createdAt: \"soon\" is not a date (ISO-8601 or epoch number"
        + " expected)", results.get(1).error());
  }

  @Test
  void noMatchMeansSkipped() {
    assertEquals(List.of(), mappings.map(Json.parse("{\"type\":\"identify\",\"userId\":\"u1\"}")));
  }

  @Test
  void aMappingWithoutMappingKeyUsesEveryDefault() {
    Mappings m = Mappings.parse(
        "{\"mappings\": [{\"name\": \"Groups\", \"subscribe\": \"type = \\\"group\\\"\", \"action\": \"identifyCompany\"}]}");
    assertEquals(Json.parse("{\"company_id\":\"g\",\"metadata\":{\"a\":1}}"),
        m.map(Json.parse("{\"type\":\"group\",\"groupId\":\"g\",\"traits\":{\"a\":1}}")).get(0).request().body());
  }

  @Test
  void eventsMustBeObjects() {
    assertThrows(IllegalArgumentException.class, () -> mappings.map(Json.parse("[]")));
    assertThrows(NullPointerException.class, () -> mappings.map(null));
  }

  @Test
  void mappedRequestHoldsExactlyOneOfRequestAndError() {
    UserpilotRequest r = new UserpilotRequest("trackEvent", "POST", "v1/track", Json.object());
    assertThrows(IllegalArgumentException.class, () -> new MappedRequest("m", r, "and an error"));
    assertThrows(IllegalArgumentException.class, () -> new MappedRequest("m", null, null));
    assertTrue(new MappedRequest("m", null, "why").failed());
  }

  @Test
  void safeToShareBetweenThreads() throws Exception {
    String event = "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Order 1\",\"properties\":{\"order_id\":\"o\"}}";
    List<MappedRequest> expected = mappings.map(Json.parse(event));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<MappedRequest>>> futures = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        futures.add(pool.submit(() -> mappings.map(Json.parse(event))));
      }
      for (Future<List<MappedRequest>> f : futures) {
        assertEquals(expected, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
