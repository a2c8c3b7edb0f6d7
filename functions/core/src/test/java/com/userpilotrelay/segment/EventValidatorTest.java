package com.userpilotrelay.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.json.Json;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class EventValidatorTest {
  private static List<String> errors(String json) {
    return EventValidator.validate(Json.parse(json), json.length());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"type\":\"identify\",\"userId\":\"u\"}",
      "{\"type\":\"identify\",\"anonymousId\":\"a\",\"traits\":null}",
      "{\"type\":\"identify\",\"userId\":12345}",
      "{\"type\":\"track\",\"userId\":\"\",\"anonymousId\":\"a\",\"event\":\"E\"}",
      "{\"type\":\"track\",\"userId\":\"u\",\"event\":7,\"properties\":{}}",
      "{\"type\":\"group\",\"userId\":\"u\",\"groupId\":42}",
      "{\"type\":\"page\",\"userId\":\"u\"}",
      "{\"type\":\"screen\",\"userId\":\"u\",\"properties\":null}",
      "{\"type\":\"alias\",\"userId\":\"u\",\"previousId\":\"p\"}",
      "{\"type\":\"delete\",\"userId\":\"u\"}",
  })
  void acceptsSpecEvents(String json) {
    assertEquals(List.of(), errors(json));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"userId\":\"u\"}                                              | type: is required",
      "{\"type\":\"Identify\",\"userId\":\"u\"}                         | type: \"Identify\" is not a Segment event type",
      "{\"type\":7,\"userId\":\"u\"}                                    | type: a number is not a Segment event type",
      "{\"type\":\"identify\"}                                          | userId: userId or anonymousId is required",
      "{\"type\":\"identify\",\"userId\":\"  \",\"anonymousId\":\"\"}   | userId: userId or anonymousId is required",
      "{\"type\":\"identify\",\"userId\":{\"a\":1}}                     | userId: must be a string or a number, found an object",
      "{\"type\":\"identify\",\"userId\":\"u\",\"anonymousId\":true}    | anonymousId: must be a string or a number",
      "{\"type\":\"track\",\"userId\":\"u\"}                            | event: is required for a track event",
      "{\"type\":\"track\",\"userId\":\"u\",\"event\":\" \"}            | event: must not be blank",
      "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":[1]} | properties: must be an object, found an array",
      "{\"type\":\"group\",\"userId\":\"u\"}                            | groupId: is required for a group event",
      "{\"type\":\"group\",\"userId\":\"u\",\"groupId\":\"g\",\"traits\":\"x\"} | traits: must be an object, found a string",
      "{\"type\":\"identify\",\"userId\":\"u\",\"traits\":\"str\"}      | traits: must be an object, found a string",
      "{\"type\":\"page\",\"userId\":\"u\",\"properties\":5}            | properties: must be an object, found a number",
      "{\"type\":\"identify\",\"userId\":\"u\",\"messageId\":{}}        | messageId: must be a string",
  })
  void refusesWithFieldAndReason(String json, String expected) {
    List<String> errors = errors(json.trim());
    assertTrue(errors.stream().anyMatch(e -> e.startsWith(expected.trim())), errors.toString());
  }

  @Test
  void refusesLongMessageIdsAndOversizedEvents() {
    String id = "m".repeat(101);
    assertTrue(errors("{\"type\":\"identify\",\"userId\":\"u\",\"messageId\":\"" + id + "\"}").get(0)
        .startsWith("messageId: 101 characters is over the 100-character limit"));
    List<String> big = EventValidator.validate(Json.parse("{\"type\":\"identify\",\"userId\":\"u\"}"), 40_000);
    assertTrue(big.get(0).startsWith("event: 40000 bytes is over the 32768-byte limit"), big.toString());
  }

  @Test
  void nonObjectsAreRefused() {
    assertEquals(List.of("event: must be a JSON object, found an array"), errors("[1]"));
  }

  @Test
  void userKeyFallsBackFromBlankUserIdAndTurnsNumbersToText() {
    assertEquals("anon", EventValidator.userKey(Json.parse("{\"userId\":\"\",\"anonymousId\":\"anon\"}")));
    assertEquals("12345", EventValidator.userKey(Json.parse("{\"userId\":12345}")));
    assertEquals("u", EventValidator.userKey(Json.parse("{\"userId\":\"u\",\"anonymousId\":\"a\"}")));
  }
}
