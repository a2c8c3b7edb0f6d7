package com.userpilotrelay.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TriggerTest {

  private static boolean matches(String trigger, String eventJson) {
    return Trigger.parse(trigger).matches(Json.parse(eventJson));
  }

  private static TriggerSyntaxException syntaxError(String trigger) {
    return assertThrows(TriggerSyntaxException.class, () -> Trigger.parse(trigger));
  }

  @Nested
  class Fields {
    @Test
    void typeEventNameAndUserId() {
      assertTrue(matches("type = \"track\"", "{\"type\":\"track\"}"));
      assertFalse(matches("type = \"track\"", "{\"type\":\"identify\"}"));
      assertTrue(matches("event = \"Order Completed\"", "{\"event\":\"Order Completed\"}"));
      assertTrue(matches("name = \"Home\"", "{\"type\":\"page\",\"name\":\"Home\"}"));
      assertTrue(matches("userId = \"u1\"", "{\"userId\":\"u1\"}"));
    }

    @Test
    void dottedPathsIntoPropertiesTraitsAndContext() {
      assertTrue(matches("properties.plan = \"pro\"", "{\"properties\":{\"plan\":\"pro\"}}"));
      assertTrue(matches("traits.address.city = \"Paris\"", "{\"traits\":{\"address\":{\"city\":\"Paris\"}}}"));
      assertTrue(matches("context.library.name = \"analytics.js\"",
          "{\"context\":{\"library\":{\"name\":\"analytics.js\"}}}"));
    }

    @Test
    void pathSegmentsMayBeArrayIndexesOrUuidLikeKeys() {
      assertTrue(matches("properties.items.0.sku = \"x\"", "{\"properties\":{\"items\":[{\"sku\":\"x\"}]}}"));
      assertTrue(matches("traits.740107d2-7737-4c1a = true", "{\"traits\":{\"740107d2-7737-4c1a\":true}}"));
      assertTrue(matches("properties.größe = \"L\"", "{\"properties\":{\"größe\":\"L\"}}"));
    }

    @Test
    void propertiesAreReadFromPropertiesEvenOnIdentify() {
      // Older Segment versions read traits for properties.x on identify/group; the current one does not.
      assertFalse(matches("properties.plan = \"pro\"", "{\"type\":\"identify\",\"traits\":{\"plan\":\"pro\"}}"));
    }

    @Test
    void unicodeAndEscapesInStrings() {
      assertTrue(matches("event = \"Produkt angesehen ✓\"", "{\"event\":\"Produkt angesehen ✓\"}"));
      assertTrue(matches("event = \"say \\\"hi\\\" \\\\ \\u00e9\"", "{\"event\":\"say \\\"hi\\\" \\\\ é\"}"));
    }

    @Test
    void toStringIsTheSourceText() {
      assertEquals("type = \"track\"", Trigger.parse("type = \"track\"").toString());
    }
  }

  @Nested
  class Precedence {
    @Test
    void andBindsTighterThanOr() {
      String t = "type = \"track\" or type = \"identify\" and event = \"X\"";
      // Segment's parser applies the last conjunction (and) to all three: a plain track would not match.
      assertTrue(matches(t, "{\"type\":\"track\"}"));
      assertFalse(matches(t, "{\"type\":\"identify\",\"event\":\"Y\"}"));
      assertTrue(matches(t, "{\"type\":\"identify\",\"event\":\"X\"}"));
    }

    @Test
    void andBeforeOrOnTheLeftToo() {
      String t = "type = \"track\" and event = \"A\" or type = \"identify\"";
      // Segment would use or for all three, so any track would match.
      assertFalse(matches(t, "{\"type\":\"track\",\"event\":\"B\"}"));
      assertTrue(matches(t, "{\"type\":\"track\",\"event\":\"A\"}"));
      assertTrue(matches(t, "{\"type\":\"identify\"}"));
    }

    @Test
    void parenthesesOverridePrecedence() {
      String t = "type = \"track\" and (event = \"A\" or event = \"B\")";
      assertTrue(matches(t, "{\"type\":\"track\",\"event\":\"B\"}"));
      assertFalse(matches(t, "{\"type\":\"identify\",\"event\":\"B\"}"));
    }

    @Test
    void nestedParenthesesWork() {
      // Segment's parser closes a group at the first ')', which breaks nesting.
      String t = "((type = \"track\") and (event = \"A\" or (event = \"B\" and properties.n > 1)))";
      assertTrue(matches(t, "{\"type\":\"track\",\"event\":\"B\",\"properties\":{\"n\":2}}"));
      assertFalse(matches(t, "{\"type\":\"track\",\"event\":\"B\",\"properties\":{\"n\":1}}"));
      assertTrue(matches(t, "{\"type\":\"track\",\"event\":\"A\"}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "type = \"track\" AND event = \"A\"",
        "type = \"track\" And event = \"A\"",
        "type = \"x\" OR type = \"track\" aNd event = \"A\""})
    void conjunctionsAreCaseInsensitive(String trigger) {
      assertTrue(matches(trigger, "{\"type\":\"track\",\"event\":\"A\"}"));
    }

    @Test
    void fieldNamesKeepTheirCase() {
      syntaxError("TYPE = \"track\"");
      syntaxError("userid = \"u1\"");
    }

    @Test
    void literalAndFunctionKeywordsAreCaseInsensitive() {
      assertTrue(matches("properties.ok = TRUE and traits.x = Null", "{\"properties\":{\"ok\":true}}"));
      assertTrue(matches("CONTAINS(event, \"der\") Or MATCH(event, \"Z*\")", "{\"event\":\"Order\"}"));
    }
  }

  @Nested
  class TypeStrictness {
    @Test
    void stringLiteralMatchesOnlyStrings() {
      assertFalse(matches("properties.n = \"5\"", "{\"properties\":{\"n\":5}}"));
      assertTrue(matches("properties.n = \"5\"", "{\"properties\":{\"n\":\"5\"}}"));
    }

    @Test
    void numberLiteralMatchesOnlyNumbersByValue() {
      assertTrue(matches("properties.n = 5", "{\"properties\":{\"n\":5}}"));
      assertTrue(matches("properties.n = 5", "{\"properties\":{\"n\":5.0}}"));
      assertFalse(matches("properties.n = 5", "{\"properties\":{\"n\":\"5\"}}"));
      assertTrue(matches("properties.n = -0.5", "{\"properties\":{\"n\":-5e-1}}"));
    }

    @Test
    void booleanLiteralMatchesOnlyBooleans() {
      assertTrue(matches("traits.vip = true", "{\"traits\":{\"vip\":true}}"));
      assertFalse(matches("traits.vip = true", "{\"traits\":{\"vip\":\"true\"}}"));
      assertTrue(matches("traits.vip = false", "{\"traits\":{\"vip\":false}}"));
      assertTrue(matches("traits.vip != true", "{\"traits\":{\"vip\":\"true\"}}"));
    }

    @Test
    void numericUserIdDoesNotEqualItsText() {
      assertFalse(matches("userId = \"12345\"", "{\"userId\":12345}"));
      assertTrue(matches("userId = 12345", "{\"userId\":12345}"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "properties.n < 10  | 5   | true",
        "properties.n < 10  | 10  | false",
        "properties.n <= 10 | 10  | true",
        "properties.n > 10  | 10.5| true",
        "properties.n >= 10 | 9.99| false",
        "properties.n > -1  | 0   | true"})
    void orderingComparesNumbers(String trigger, String value, boolean expected) {
      assertEquals(expected, matches(trigger, "{\"properties\":{\"n\":" + value + "}}"));
    }

    @Test
    void orderingNeverMatchesNonNumbers() {
      assertFalse(matches("properties.n < 10", "{\"properties\":{\"n\":\"5\"}}"));
      assertFalse(matches("properties.n < 10", "{\"properties\":{\"n\":true}}"));
      assertFalse(matches("properties.n < 10", "{\"properties\":{\"n\":null}}"));
    }

    @Test
    void orderingNeedsANumberLiteral() {
      TriggerSyntaxException e = syntaxError("properties.n < \"10\"");
      assertTrue(e.getMessage().contains("without quotes"), e.getMessage());
      assertEquals(15, e.position());
      syntaxError("properties.n > true");
      syntaxError("properties.n >= null");
    }
  }

  @Nested
  class NullAndMissing {
    @Test
    void equalsNullMeansAbsentOrNull() {
      assertTrue(matches("traits.email = null", "{\"traits\":{}}"));
      assertTrue(matches("traits.email = null", "{\"traits\":{\"email\":null}}"));
      assertTrue(matches("traits.email = null", "{}"));
      assertFalse(matches("traits.email = null", "{\"traits\":{\"email\":\"\"}}"));
    }

    @Test
    void notEqualsNullMeansPresent() {
      assertTrue(matches("traits.email != null", "{\"traits\":{\"email\":\"a@b.c\"}}"));
      assertTrue(matches("traits.email != null", "{\"traits\":{\"email\":\"\"}}"));
      assertFalse(matches("traits.email != null", "{\"traits\":{\"email\":null}}"));
      assertFalse(matches("type != null", "{}"));
    }

    @Test
    void aMissingFieldSatisfiesNotEqualsOnly() {
      String event = "{\"type\":\"track\"}";
      assertTrue(matches("properties.x != \"a\"", event));
      assertTrue(matches("properties.x != 1", event));
      assertFalse(matches("properties.x = \"a\"", event));
      assertFalse(matches("properties.x < 1", event));
      assertFalse(matches("properties.x >= 1", event));
      assertFalse(matches("contains(properties.x, \"a\")", event));
      assertFalse(matches("!contains(properties.x, \"a\")", event));
      assertFalse(matches("match(properties.x, \"a*\")", event));
      assertFalse(matches("!match(properties.x, \"a*\")", event));
    }

    @Test
    void aPathThroughAScalarIsMissing() {
      assertTrue(matches("properties.a.b = null", "{\"properties\":{\"a\":\"text\"}}"));
    }
  }

  @Nested
  class Functions {
    @Test
    void containsTestsSubstrings() {
      assertTrue(matches("contains(properties.url, \"/pricing\")", "{\"properties\":{\"url\":\"https://x/pricing?a\"}}"));
      assertFalse(matches("contains(properties.url, \"/pricing\")", "{\"properties\":{\"url\":\"https://x/\"}}"));
      assertFalse(matches("contains(properties.n, \"1\")", "{\"properties\":{\"n\":123}}"));
    }

    @Test
    void matchWithTrailingStarIsStartsWith() {
      assertTrue(matches("match(event, \"Order*\")", "{\"event\":\"Order Completed\"}"));
      assertFalse(matches("match(event, \"Order*\")", "{\"event\":\"New Order\"}"));
    }

    @Test
    void matchWithLeadingStarIsEndsWith() {
      assertTrue(matches("match(event, \"*Completed\")", "{\"event\":\"Order Completed\"}"));
      assertFalse(matches("match(event, \"*Completed\")", "{\"event\":\"Completed Order\"}"));
    }

    @Test
    void matchStarAloneMatchesAnyString() {
      assertTrue(matches("match(name, \"*\")", "{\"name\":\"\"}"));
      assertFalse(matches("match(name, \"*\")", "{\"name\":5}"));
    }

    @Test
    void bangNegatesAFunction() {
      assertTrue(matches("!contains(event, \"Test\")", "{\"event\":\"Order\"}"));
      assertFalse(matches("!contains(event, \"Test\")", "{\"event\":\"Test Order\"}"));
      assertTrue(matches("!match(event, \"Test*\") and type = \"track\"", "{\"type\":\"track\",\"event\":\"Order\"}"));
    }

    @Test
    void matchPatternsOtherThanOneEdgeStarAreRejected() {
      // Segment reads "abc" as ends-with "bc" and "*a*" as starts-with "*a".
      for (String pattern : new String[] {"abc", "a*c", "*a*", "**"}) {
        TriggerSyntaxException e = syntaxError("match(event, \"" + pattern + "\")");
        assertEquals(13, e.position(), pattern);
      }
    }

    @Test
    void functionArgumentsAreChecked() {
      assertTrue(syntaxError("contains(event, 5)").getMessage().contains("2nd argument"));
      assertTrue(syntaxError("contains(\"event\", \"x\")").getMessage().contains("1st argument"));
      syntaxError("contains(event \"x\")");
      syntaxError("contains(event, \"x\"");
      syntaxError("contains(foo, \"x\")");
    }
  }

  @Nested
  class SyntaxErrors {
    @Test
    void emptyOrBlank() {
      assertEquals(0, syntaxError("").position());
      syntaxError("   ");
      syntaxError(null);
    }

    @Test
    void missingValueIsReportedAtTheEnd() {
      String t = "type = \"track\" and event =";
      TriggerSyntaxException e = syntaxError(t);
      assertEquals(t.length(), e.position());
      assertEquals(t.length() + 1, e.column());
      assertTrue(e.getMessage().contains("column " + (t.length() + 1)), e.getMessage());
      assertTrue(e.getMessage().contains(t), "the message quotes the trigger: " + e.getMessage());
    }

    @Test
    void missingOperator() {
      assertEquals(5, syntaxError("type \"track\"").position());
    }

    @Test
    void unknownFieldsAreNamed() {
      TriggerSyntaxException e = syntaxError("anonymousId = \"a\"");
      assertTrue(e.reason().contains("unknown field 'anonymousId'"), e.reason());
      syntaxError("Type = \"track\"");
      syntaxError("properties = 1");
      syntaxError("type.x = 1");
    }

    @Test
    void unbalancedParentheses() {
      assertTrue(syntaxError("(type = \"a\"").reason().contains("')'"));
      assertEquals(10, syntaxError("type = \"a\")").position());
      syntaxError("()");
    }

    @Test
    void badTokens() {
      assertEquals(7, syntaxError("type = \"track").position());
      assertTrue(syntaxError("type = 'track'").reason().contains("double quotes"));
      syntaxError("type == \"track\"");
      syntaxError("type = track");
      syntaxError("properties.n = 1x");
      syntaxError("properties.n = 1.");
      syntaxError("type = \"a\" # comment");
      syntaxError("properties. = 1");
    }

    @Test
    void conditionsMustBeJoined() {
      assertEquals(11, syntaxError("type = \"a\" event = \"b\"").position());
      syntaxError("type = \"a\" and");
      syntaxError("or type = \"a\"");
      syntaxError("type = \"a\" and and event = \"b\"");
    }

    @Test
    void bangOnlyBeforeAFunction() {
      assertTrue(syntaxError("!type = \"a\"").reason().contains("!="));
      syntaxError("!(type = \"a\")");
      syntaxError("!!contains(event, \"a\")");
    }

    @Test
    void nestingDepthIsBounded() {
      String deep = "(".repeat(TriggerParser.MAX_DEPTH + 1) + "type = \"a\"" + ")".repeat(TriggerParser.MAX_DEPTH + 1);
      assertTrue(syntaxError(deep).reason().contains("nested"));
      String ok = "(".repeat(TriggerParser.MAX_DEPTH) + "type = \"a\"" + ")".repeat(TriggerParser.MAX_DEPTH);
      assertTrue(matches(ok, "{\"type\":\"a\"}"));
    }
  }
}
