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

  @Test
  void unpairedSurrogatesAnywhereAreRefusedWithTheirPath() {
    // JSON's \\u escape can carry half a surrogate pair: no UTF-8 encoder can write it and SQS refuses it,
    // so accepting it meant a 200 for an event that could never be stored or sent.
    assertEquals(List.of("userId: contains an unpaired surrogate (\\uD800) at character 0; send valid Unicode text"),
        errors("{\"type\":\"identify\",\"userId\":\"\\uD800\"}"));
    assertTrue(errors("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"list\":[1,\"a\\uDC00\"]}}")
        .get(0).startsWith("properties.list[1]: contains an unpaired surrogate (\\uDC00) at character 1"));
    // The parser refuses such keys itself; a key built another way is still caught.
    com.fasterxml.jackson.databind.node.ObjectNode event = Json.object().put("type", "identify").put("userId", "u");
    event.putObject("traits").put("k\uDC00", 1);
    assertTrue(EventValidator.validate(event, 10).get(0).startsWith("traits.k\\uDC00: the key contains an unpaired surrogate"));
    // A proper pair is fine.
    assertEquals(List.of(), errors("{\"type\":\"identify\",\"userId\":\"\\uD83D\\uDE00\"}"));
  }

  @Test
  void numbersAJavaScriptNumberCannotHoldAreRefused() {
    assertTrue(errors("{\"type\":\"identify\",\"userId\":1e999999}").get(0)
        .startsWith("userId: 1E+999999 is out of range for a number"));
    assertTrue(errors("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"tiny\":-1e-999}}")
        .get(0).startsWith("properties.tiny: -1E-999 is out of range"));
    assertEquals(List.of(), errors("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":"
        + "{\"max\":1.7976931348623157e308,\"zero\":0e-999,\"min\":5e-324,\"big\":" + "9".repeat(100) + "}}"));
  }

  @Test
  void valueProblemsAreCappedPerEvent() {
    StringBuilder traits = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      traits.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":1e999");
    }
    List<String> errors = errors("{\"type\":\"identify\",\"userId\":\"u\",\"traits\":{" + traits + "}}");
    assertEquals(EventValidator.MAX_VALUE_ERRORS, errors.size(), errors.toString());
  }

  @Test
  void aBadTypeIsQuotedPrintably() {
    assertTrue(errors("{\"type\":\"\\u0000\\uD800x\",\"userId\":\"u\"}").get(0)
        .startsWith("type: \"\\u0000\\uD800x\" is not a Segment event type"));
  }
}
