package com.userpilotrelay.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The four actions with their preset defaults, and with fields mapped by a file. */
class ActionsTest {

  private static MappedRequest only(Mappings mappings, String event) {
    List<MappedRequest> results = mappings.map(Json.parse(event));
    assertEquals(1, results.size(), "one result for " + event + ", got " + results);
    return results.get(0);
  }

  private static UserpilotRequest request(String event) {
    return request(Mappings.presets(), event);
  }

  private static UserpilotRequest request(Mappings mappings, String event) {
    MappedRequest r = only(mappings, event);
    assertNull(r.error(), "no error expected");
    return r.request();
  }

  private static String error(String event) {
    return error(Mappings.presets(), event);
  }

  private static String error(Mappings mappings, String event) {
    MappedRequest r = only(mappings, event);
    assertTrue(r.failed(), "an error expected, got " + r.request());
    return r.error();
  }

  private static JsonNode body(String event) {
    return request(event).body();
  }

  private static Mappings oneMapping(String action, String trigger, String mapping) {
    return Mappings.parse("{\"mappings\": [{\"name\": \"Custom\", \"subscribe\": " + Json.write(trigger)
        + ", \"action\": \"" + action + "\", \"mapping\": " + mapping + "}]}");
  }

  @Nested
  class IdentifyUserAction {
    @Test
    void postsToIdentifyWithUserIdAndTraits() {
      UserpilotRequest r = request("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"plan\":\"pro\"}}");
      assertEquals("identifyUser", r.action());
      assertEquals("POST", r.method());
      assertEquals("v1/identify", r.path());
      assertEquals(Json.parse("{\"user_id\":\"u1\",\"metadata\":{\"plan\":\"pro\"}}"), r.body());
    }

    @Test
    void userIdFallsBackOnAnonymousIdWhenMissingOrBlank() {
      for (String userId : new String[] {"", "\"\"", "\"  \"", "null"}) {
        String field = userId.isEmpty() ? "" : "\"userId\":" + userId + ",";
        JsonNode b = body("{\"type\":\"identify\"," + field + "\"anonymousId\":\"anon\"}");
        assertEquals("anon", b.get("user_id").asText(), "userId " + userId);
      }
    }

    @Test
    void numericIdsBecomeText() {
      assertEquals("12345", body("{\"type\":\"identify\",\"userId\":12345}").get("user_id").textValue());
      assertEquals("1.5", body("{\"type\":\"identify\",\"userId\":1.50}").get("user_id").textValue());
    }

    @Test
    void anIdThatIsNeitherTextNorNumberIsAnError() {
      assertEquals("identifyUser 'Identify User': userId: true is not text (a string or number is expected)",
          error("{\"type\":\"identify\",\"userId\":true}"));
    }

    @Test
    void noIdAtAllIsAnError() {
      String e = error("{\"type\":\"identify\",\"userId\":\"\",\"anonymousId\":\" \"}");
      assertTrue(e.startsWith("identifyUser 'Identify User': userId: required"), e);
    }

    @Test
    void missingOrNullTraitsGiveEmptyMetadata() {
      assertEquals(Json.object(), body("{\"type\":\"identify\",\"userId\":\"u1\"}").get("metadata"));
      assertEquals(Json.object(), body("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":null}").get("metadata"));
    }

    @Test
    void createdAtMovesToCreatedAtSnakeCase() {
      JsonNode m = body("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"createdAt\":\"2021-02-01\",\"a\":1}}")
          .get("metadata");
      assertEquals(Json.parse("{\"a\":1,\"created_at\":\"2021-02-01\"}"), m);
    }

    @Test
    void blankCreatedAtIsDroppedAndSnakeCaseKept() {
      assertEquals(Json.parse("{\"a\":1}"),
          body("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"createdAt\":\"  \",\"a\":1}}").get("metadata"));
      assertEquals(Json.parse("{\"created_at\":\"x\"}"),
          body("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"createdAt\":null,\"created_at\":\"x\"}}")
              .get("metadata"));
    }

    @Test
    void aCreatedAtThatIsNotADateIsAnError() {
      assertEquals("identifyUser 'Identify User': createdAt: \"yesterday\" is not a date (ISO-8601 or epoch number"
          + " expected)", error("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"createdAt\":\"yesterday\"}}"));
      assertTrue(error("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"createdAt\":{\"d\":1}}}")
          .contains("createdAt: {\"d\":1} is not a date"));
    }

    @Test
    void aMappedCreatedAtStillRemovesTheTrait() {
      Mappings m = oneMapping("identifyUser", "type = \"identify\"", "{\"createdAt\": {\"@path\": \"$.timestamp\"}}");
      JsonNode b = request(m, "{\"type\":\"identify\",\"userId\":\"u1\",\"timestamp\":\"2024-05-01T12:00:00Z\","
          + "\"traits\":{\"createdAt\":\"2019-01-01\"}}").body();
      assertEquals(Json.parse("{\"created_at\":\"2024-05-01T12:00:00Z\"}"), b.get("metadata"));
    }

    @Test
    void traitsMappedToANonObjectIsAnError() {
      Mappings m = oneMapping("identifyUser", "type = \"identify\"", "{\"traits\": {\"@path\": \"$.traits.name\"}}");
      assertEquals("identifyUser 'Custom': traits: \"Jane\" is a string, not an object",
          error(m, "{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"name\":\"Jane\"}}"));
    }

    @Test
    void mappingDoesNotChangeTheEvent() {
      JsonNode event = Json.parse("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"createdAt\":\"2021\",\"a\":{\"b\":1}}}");
      JsonNode before = event.deepCopy();
      UserpilotRequest r = Mappings.presets().map(event).get(0).request();
      ((ObjectNode) r.body().get("metadata").get("a")).put("b", 2);
      assertEquals(before, event);
    }
  }

  @Nested
  class IdentifyCompanyAction {
    @Test
    void postsCompanyIdAndMetadata() {
      UserpilotRequest r = request("{\"type\":\"group\",\"userId\":\"u1\",\"groupId\":77,"
          + "\"traits\":{\"name\":\"Acme\",\"createdAt\":1612137600000,\"created_at\":\"x\"}}");
      assertEquals("identifyCompany", r.action());
      assertEquals("POST", r.method());
      assertEquals("v1/companies/identify", r.path());
      assertEquals(Json.parse("{\"company_id\":\"77\",\"metadata\":{\"name\":\"Acme\",\"created_at\":1612137600000}}"),
          r.body());
    }

    @Test
    void groupIdIsRequired() {
      assertTrue(error("{\"type\":\"group\",\"userId\":\"u1\",\"groupId\":\" \"}")
          .startsWith("identifyCompany 'Identify Company': groupId: required"));
    }
  }

  @Nested
  class TrackEventAction {
    @Test
    void postsEventNameAndProperties() {
      UserpilotRequest r = request("{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Signed Up\",\"properties\":{\"p\":1}}");
      assertEquals("trackEvent", r.action());
      assertEquals("v1/track", r.path());
      assertEquals(Json.parse("{\"user_id\":\"u1\",\"event_name\":\"Signed Up\",\"metadata\":{\"p\":1}}"), r.body());
    }

    @Test
    void metadataIsLeftOutWithoutPropertiesButEmptyPropertiesStay() {
      assertFalse(body("{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"E\"}").has("metadata"));
      assertFalse(body("{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"E\",\"properties\":null}").has("metadata"));
      assertEquals(Json.object(), body("{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"E\",\"properties\":{}}")
          .get("metadata"));
    }

    @Test
    void propertiesPassThroughUntouched() {
      String props = "{\"createdAt\":\"2021\",\"nested\":{\"a\":[1,{\"b\":null}]},\"ok\":true,\"név\":\"✓\"}";
      assertEquals(Json.parse(props),
          body("{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"E\",\"properties\":" + props + "}").get("metadata"));
    }

    @Test
    void numbersRoundTripExactly() {
      String out = Json.write(body("{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"E\","
          + "\"properties\":{\"a\":0.1000000000000000055511151231257827,\"b\":12345678901234567890123,\"c\":39.950}}"));
      assertTrue(out.contains("\"a\":0.1000000000000000055511151231257827"), out);
      assertTrue(out.contains("\"b\":12345678901234567890123"), out);
      assertTrue(out.contains("\"c\":39.950"), out);
    }

    @Test
    void missingEventNameIsAnError() {
      assertTrue(error("{\"type\":\"track\",\"userId\":\"u1\"}").startsWith("trackEvent 'Track Event': name: required"));
    }

    @Test
    void anExplicitUserIdMappingDoesNotFallBackSilently() {
      Mappings m = oneMapping("trackEvent", "type = \"track\"", "{\"userId\": {\"@path\": \"$.traits.email\"}}");
      assertTrue(error(m, "{\"type\":\"track\",\"anonymousId\":\"a\",\"event\":\"E\"}").contains("userId: required"));
    }

    @Test
    void segmentsSeparateAnonymousIdFieldIsHonoured() {
      // What Segment's own trackEvent mapping exports: userId and anonymousId as two fields.
      Mappings m = oneMapping("trackEvent", "type = \"track\"",
          "{\"userId\": {\"@path\": \"$.userId\"}, \"anonymousId\": {\"@path\": \"$.anonymousId\"},"
              + " \"name\": {\"@path\": \"$.event\"}, \"properties\": {\"@path\": \"$.properties\"}}");
      assertEquals("u1", request(m, "{\"type\":\"track\",\"userId\":\"u1\",\"anonymousId\":\"a\",\"event\":\"E\"}")
          .body().get("user_id").textValue());
      assertEquals("a", request(m, "{\"type\":\"track\",\"userId\":\"\",\"anonymousId\":\"a\",\"event\":\"E\"}")
          .body().get("user_id").textValue());
    }
  }

  @Nested
  class DeleteUserAction {
    @Test
    void deletesTheUser() {
      UserpilotRequest r = request("{\"type\":\"delete\",\"userId\":\"u1\",\"anonymousId\":\"a\"}");
      assertEquals("deleteUser", r.action());
      assertEquals("DELETE", r.method());
      assertEquals("v1/users", r.path());
      assertEquals(Json.parse("{\"users\":[\"u1\"]}"), r.body());
    }

    @Test
    void fallsBackOnAnonymousIdAndNeedsOne() {
      assertEquals(Json.parse("{\"users\":[\"a\"]}"), body("{\"type\":\"delete\",\"anonymousId\":\"a\"}"));
      assertTrue(error("{\"type\":\"delete\"}").startsWith("deleteUser 'Delete User': userId: required"));
    }
  }
}
