package com.userpilotrelay.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.json.Json;
import java.util.Locale;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** mapping-kit directives, including what each does with a missing value. */
class DirectivesTest {
  private static final String EVENT = """
      {"type": "identify", "userId": "u1", "anonymousId": null, "n": 39.95, "one": 1.0, "yes": true,
       "traits": {"email": "Jane@Example.COM", "name": "Jane", "empty": "", "blank": "  ", "zero": 0,
                  "no": false, "nothing": null, "tags": ["a", "b"], "address": {"city": "Paris", "zip": "75001"},
                  "settings": "{\\"theme\\":\\"dark\\"}", "bad": "{nope", "a.b": "dotted"},
       "properties": {"items": [{"sku": "x"}, {"sku": "y"}], "price": "1+1=2"}}
      """;

  private static JsonNode resolve(String mapping) {
    return resolve(mapping, EVENT);
  }

  private static JsonNode resolve(String mapping, String event) {
    return compile(mapping).resolve(Json.parse(event));
  }

  private static Value compile(String mapping) {
    return new DirectiveCompiler(ConfigContext.file(null)).compile(Json.parse(mapping), "field");
  }

  private static void assertResolves(String expectedJson, String mapping) {
    JsonNode actual = resolve(mapping);
    assertEquals(Json.parse(expectedJson), actual, mapping);
  }

  private static void assertNothing(String mapping) {
    assertNull(resolve(mapping), mapping);
  }

  private static String rejects(String mapping) {
    MappingConfigException e = assertThrows(MappingConfigException.class, () -> compile(mapping));
    assertTrue(e.getMessage().contains("mapping.field"), "names the field: " + e.getMessage());
    return e.getMessage();
  }

  private static MappingFailure failsOn(String mapping) {
    Value v = compile(mapping);
    return assertThrows(MappingFailure.class, () -> v.resolve(Json.parse(EVENT)));
  }

  @Nested
  class PlainValues {
    @Test
    void scalarsAreLiterals() {
      assertResolves("\"v1\"", "\"v1\"");
      assertResolves("42", "42");
      assertResolves("null", "null");
      assertResolves("false", "false");
    }

    @Test
    void objectsResolveRecursivelyAndDropKeysThatResolveToNothing() {
      assertResolves("{\"a\": {\"city\": \"Paris\", \"fixed\": 1}, \"n\": null}",
          "{\"a\": {\"city\": {\"@path\": \"$.traits.address.city\"}, \"fixed\": 1,"
              + " \"gone\": {\"@path\": \"$.missing\"}}, \"n\": null}");
    }

    @Test
    void arrayItemsResolveAndNothingBecomesNull() {
      assertResolves("[\"u1\", null, 3]", "[{\"@path\": \"$.userId\"}, {\"@path\": \"$.missing\"}, 3]");
    }

    @Test
    void directiveShapeErrors() {
      assertTrue(rejects("{\"@path\": \"$.a\", \"@template\": \"b\"}").contains("several directives"));
      assertTrue(rejects("{\"@path\": \"$.a\", \"plain\": 1}").contains("mixed with plain keys"));
      assertTrue(rejects("{\"x\": {\"@pathh\": \"$.a\"}}").contains("unknown directive @pathh"));
      assertTrue(rejects("{\"x\": {\"@pathh\": \"$.a\"}}").contains("mapping.field.x"));
      assertTrue(rejects("{\"@arrayPath\": [\"$.a\"]}").contains("does not support"));
      assertTrue(rejects("[{\"@excludeWhenNull\": {\"@path\": \"$.a\"}}]").contains("field[0]"));
    }

    @Test
    void metadataNextToADirectiveIsIgnored() {
      assertResolves("\"u1\"", "{\"@path\": \"$.userId\", \"_metadata\": {\"label\": \"x\"}}");
    }
  }

  @Nested
  class Path {
    @Test
    void dotsAndBrackets() {
      assertResolves("\"Paris\"", "{\"@path\": \"$.traits.address.city\"}");
      assertResolves("\"Paris\"", "{\"@path\": \"traits.address.city\"}");
      assertResolves("\"y\"", "{\"@path\": \"$.properties.items[1].sku\"}");
      assertResolves("\"y\"", "{\"@path\": \"$.properties.items.1.sku\"}");
    }

    @Test
    void rootPaths() {
      assertEquals(Json.parse(EVENT), resolve("{\"@path\": \"$.\"}"));
      assertEquals(Json.parse(EVENT), resolve("{\"@path\": \"\"}"));
    }

    @Test
    void aListOfNamesReachesKeysWithDots() {
      assertResolves("\"dotted\"", "{\"@path\": [\"traits\", \"a.b\"]}");
    }

    @Test
    void missingIsNothingButNullIsNull() {
      assertNothing("{\"@path\": \"$.traits.missing\"}");
      assertNothing("{\"@path\": \"$.traits.name.first\"}");
      assertNothing("{\"@path\": \"$.properties.items[7].sku\"}");
      assertResolves("null", "{\"@path\": \"$.traits.nothing\"}");
    }

    @Test
    void thePathMayComeFromAnotherDirective() {
      assertEquals(Json.parse("\"Jane\""), resolve("{\"@path\": {\"@template\": \"traits.{{properties.items[0].sku}}\"}}",
          "{\"properties\":{\"items\":[{\"sku\":\"name\"}]},\"traits\":{\"name\":\"Jane\"}}"));
      assertTrue(failsOn("{\"@path\": {\"@path\": \"$.traits.zero\"}}").problem().contains("not a string"));
    }

    @Test
    void shapeErrors() {
      rejects("{\"@path\": 5}");
      rejects("{\"@path\": {\"not\": \"a directive\"}}");
      rejects("{\"@path\": [\"a\", 1]}");
    }
  }

  @Nested
  class Template {
    @Test
    void fillsPlaceholders() {
      assertResolves("\"Hi Jane (u1)\"", "{\"@template\": \"Hi {{traits.name}} ({{userId}})\"}");
      assertResolves("\"Hi Jane\"", "{\"@template\": \"Hi {{ traits.name }}\"}");
      assertResolves("\"Hi Jane\"", "{\"@template\": \"Hi {{{traits.name}}}\"}");
      assertResolves("\"Hi Jane\"", "{\"@template\": \"Hi {{$.traits.name}}\"}");
    }

    @Test
    void missingAndNullBecomeEmptyText() {
      assertResolves("\"[]\"", "{\"@template\": \"[{{traits.missing}}]\"}");
      assertResolves("\"[]\"", "{\"@template\": \"[{{traits.nothing}}]\"}");
      assertResolves("\"\"", "{\"@template\": \"{{a.b.c}}\"}");
    }

    @Test
    void numbersBooleansAndObjectsAsText() {
      assertResolves("\"39.95 1 true 0 false\"",
          "{\"@template\": \"{{n}} {{one}} {{yes}} {{traits.zero}} {{traits.no}}\"}");
      assertResolves("\"{\\\"city\\\":\\\"Paris\\\",\\\"zip\\\":\\\"75001\\\"} [\\\"a\\\",\\\"b\\\"]\"",
          "{\"@template\": \"{{traits.address}} {{traits.tags}}\"}");
    }

    @Test
    void noHtmlEscapingAndUnmatchedBracesStay() {
      assertResolves("\"<b>1+1=2</b> {x} {{ }\"", "{\"@template\": \"<b>{{properties.price}}</b> {x} {{ }\"}");
    }

    @Test
    void shapeErrors() {
      rejects("{\"@template\": false}");
      rejects("{\"@template\": [\"a\"]}");
    }
  }

  @Nested
  class Literal {
    @Test
    void returnsItsValue() {
      assertResolves("false", "{\"@literal\": false}");
      assertResolves("\"{{not a template}}\"", "{\"@literal\": \"{{not a template}}\"}");
      assertResolves("null", "{\"@literal\": null}");
    }

    @Test
    void resolvesDirectivesInsideLikeMappingKit() {
      assertResolves("{\"a\": \"u1\"}", "{\"@literal\": {\"a\": {\"@path\": \"$.userId\"}, \"b\": {\"@path\": \"$.x\"}}}");
    }
  }

  @Nested
  class If {
    private String ifExists(String path) {
      return "{\"@if\": {\"exists\": {\"@path\": \"" + path + "\"}, \"then\": \"yes\", \"else\": \"no\"}}";
    }

    private String ifBlank(String path) {
      return "{\"@if\": {\"blank\": {\"@path\": \"" + path + "\"}, \"then\": \"filled\", \"else\": \"blank\"}}";
    }

    @Test
    void existsMeansPresentAndNotNull() {
      assertResolves("\"yes\"", ifExists("$.traits.email"));
      assertResolves("\"yes\"", ifExists("$.traits.empty"));
      assertResolves("\"yes\"", ifExists("$.traits.zero"));
      assertResolves("\"no\"", ifExists("$.traits.nothing"));
      assertResolves("\"no\"", ifExists("$.traits.missing"));
    }

    @Test
    void blankThenMeansNotBlank() {
      assertResolves("\"filled\"", ifBlank("$.traits.email"));
      assertResolves("\"blank\"", ifBlank("$.traits.empty"));
      assertResolves("\"blank\"", ifBlank("$.traits.blank"));
      assertResolves("\"blank\"", ifBlank("$.traits.nothing"));
      assertResolves("\"blank\"", ifBlank("$.traits.missing"));
      // JavaScript's loose != '' makes 0 and false "blank" in mapping-kit; here they are values.
      assertResolves("\"filled\"", ifBlank("$.traits.zero"));
      assertResolves("\"filled\"", ifBlank("$.traits.no"));
    }

    @Test
    void aMissingBranchIsNothing() {
      assertNothing("{\"@if\": {\"exists\": {\"@path\": \"$.missing\"}, \"then\": 1}}");
      assertNothing("{\"@if\": {\"exists\": {\"@path\": \"$.userId\"}, \"else\": 1}}");
    }

    @Test
    void aFalsyElseIsStillTaken() {
      // mapping-kit tests `opts.else` for truthiness and drops "", 0 and false.
      assertResolves("\"\"", "{\"@if\": {\"exists\": {\"@path\": \"$.missing\"}, \"then\": 1, \"else\": \"\"}}");
      assertResolves("false", "{\"@if\": {\"exists\": {\"@path\": \"$.missing\"}, \"then\": 1, \"else\": false}}");
    }

    @Test
    void branchesAreDirectives() {
      assertResolves("\"u1\"", "{\"@if\": {\"blank\": {\"@path\": \"$.anonymousId\"}, \"then\": 1,"
          + " \"else\": {\"@path\": \"$.userId\"}}}");
    }

    @Test
    void shapeErrors() {
      assertTrue(rejects("{\"@if\": {\"then\": 1}}").contains("exactly one condition"));
      assertTrue(rejects("{\"@if\": {\"exists\": 1, \"blank\": 1, \"then\": 1}}").contains("exactly one condition"));
      assertTrue(rejects("{\"@if\": {\"exists\": 1}}").contains("neither"));
      assertTrue(rejects("{\"@if\": {\"true\": 1, \"then\": 1}}").contains("unknown option \"true\""));
      rejects("{\"@if\": \"x\"}");
    }
  }

  @Nested
  class Case {
    @Test
    void lowerAndUpper() {
      assertResolves("\"jane@example.com\"", "{\"@case\": {\"operator\": \"lower\", \"value\": {\"@path\": \"$.traits.email\"}}}");
      assertResolves("\"JANE\"", "{\"@case\": {\"operator\": \"upper\", \"value\": {\"@path\": \"$.traits.name\"}}}");
    }

    @Test
    void nonStringsPassUnchanged() {
      assertResolves("0", "{\"@case\": {\"operator\": \"upper\", \"value\": {\"@path\": \"$.traits.zero\"}}}");
      assertResolves("null", "{\"@case\": {\"operator\": \"upper\", \"value\": {\"@path\": \"$.traits.nothing\"}}}");
      assertResolves("[\"a\",\"b\"]", "{\"@case\": {\"operator\": \"upper\", \"value\": {\"@path\": \"$.traits.tags\"}}}");
      assertNothing("{\"@case\": {\"operator\": \"upper\", \"value\": {\"@path\": \"$.missing\"}}}");
    }

    @Test
    void independentOfTheDefaultLocale() {
      Locale before = Locale.getDefault();
      try {
        Locale.setDefault(Locale.forLanguageTag("tr"));
        assertResolves("\"title\"", "{\"@case\": {\"operator\": \"lower\", \"value\": \"TITLE\"}}");
      } finally {
        Locale.setDefault(before);
      }
    }

    @Test
    void shapeErrors() {
      assertTrue(rejects("{\"@case\": {\"operator\": \"snake\", \"value\": \"x\"}}").contains("lower"));
      rejects("{\"@case\": {\"value\": \"x\"}}");
      rejects("{\"@case\": {\"operator\": \"lower\"}}");
      rejects("{\"@case\": \"lower\"}");
    }
  }

  @Nested
  class Replace {
    private String replace(String options) {
      return "{\"@replace\": {" + options + "}}";
    }

    @Test
    void replacesEveryOccurrenceByDefault() {
      assertResolves("\"a_b_c\"", replace("\"pattern\": \"+\", \"replacement\": \"_\", \"value\": \"a+b+c\""));
    }

    @Test
    void onlyTheFirstWhenNotGlobal() {
      assertResolves("\"a_b+c\"", replace("\"pattern\": \"+\", \"replacement\": \"_\", \"global\": false, \"value\": \"a+b+c\""));
    }

    @Test
    void patternAndReplacementAreLiteralText() {
      assertResolves("\"1$12\"", replace("\"pattern\": \"+1=\", \"replacement\": \"$1\", \"value\": {\"@path\": \"$.properties.price\"}"));
      assertResolves("\"x.y\"", replace("\"pattern\": \".*\", \"replacement\": \".\", \"value\": \"x.*y\""));
    }

    @Test
    void caseSensitiveUnlessIgnorecase() {
      assertResolves("\"cool-story-ww\"", replace("\"pattern\": \"WW\", \"replacement\": \"oo\", \"value\": \"cWWl-story-ww\""));
      assertResolves("\"nice-nice\"", replace("\"pattern\": \"AaB\", \"replacement\": \"nice\", \"ignorecase\": true, \"value\": \"aab-AAB\""));
    }

    @Test
    void missingReplacementRemovesAndSecondPatternFollows() {
      assertResolves("\"something awesome!\"", replace(
          "\"pattern\": \"-\", \"replacement\": \" \", \"pattern2\": \"great\", \"replacement2\": \"awesome\", \"value\": \"something-great!\""));
      assertResolves("\"abc\"", replace("\"pattern\": \"_\", \"value\": \"a_b_c\""));
    }

    @Test
    void longPatternsAreAccepted() {
      // Segment's UI limits pattern and replacement to 10 characters; nothing here depends on that.
      assertResolves("\"x\"", replace("\"pattern\": \"a very long pattern\", \"replacement\": \"x\", \"value\": \"a very long pattern\""));
    }

    @Test
    void numbersAndBooleansAreReplacedAsText() {
      assertResolves("\"granted\"", replace("\"pattern\": \"true\", \"replacement\": \"granted\", \"value\": {\"@path\": \"$.yes\"}"));
      assertResolves("\"39,95\"", replace("\"pattern\": \".\", \"replacement\": \",\", \"value\": {\"@path\": \"$.n\"}"));
    }

    @Test
    void missingNullAndContainersPassUnchanged() {
      assertNothing(replace("\"pattern\": \"a\", \"value\": {\"@path\": \"$.missing\"}"));
      assertResolves("null", replace("\"pattern\": \"a\", \"value\": {\"@path\": \"$.traits.nothing\"}"));
      assertResolves("[\"a\",\"b\"]", replace("\"pattern\": \"a\", \"value\": {\"@path\": \"$.traits.tags\"}"));
    }

    @Test
    void shapeErrors() {
      assertTrue(rejects(replace("\"value\": \"x\"")).contains("\"pattern\""));
      rejects(replace("\"pattern\": \"\", \"value\": \"x\""));
      rejects(replace("\"pattern\": 5, \"value\": \"x\""));
      rejects(replace("\"pattern\": \"a\""));
      rejects(replace("\"pattern\": \"a\", \"ignorecase\": \"yes\", \"value\": \"x\""));
      rejects(replace("\"pattern\": \"a\", \"replacement2\": \"b\", \"value\": \"x\""));
      rejects(replace("\"pattern\": \"a\", \"regex\": true, \"value\": \"x\""));
    }
  }

  @Nested
  class Merge {
    @Test
    void rightMeansLaterObjectsWin() {
      assertResolves("{\"city\": \"Lyon\", \"zip\": \"75001\", \"x\": 1}",
          "{\"@merge\": {\"direction\": \"right\", \"objects\": [{\"@path\": \"$.traits.address\"}, {\"city\": \"Lyon\", \"x\": 1}]}}");
    }

    @Test
    void leftMeansEarlierObjectsWin() {
      assertResolves("{\"city\": \"Paris\", \"zip\": \"75001\", \"x\": 1}",
          "{\"@merge\": {\"direction\": \"left\", \"objects\": [{\"@path\": \"$.traits.address\"}, {\"city\": \"Lyon\", \"x\": 1}]}}");
    }

    @Test
    void missingAndNullObjectsAreSkipped() {
      assertResolves("{\"a\": 1}",
          "{\"@merge\": {\"direction\": \"right\", \"objects\": [{\"@path\": \"$.missing\"}, null, {\"a\": 1}, {\"@path\": \"$.traits.nothing\"}]}}");
      assertResolves("{}", "{\"@merge\": {\"direction\": \"left\", \"objects\": []}}");
    }

    @Test
    void aNonObjectFailsTheEvent() {
      MappingFailure f = failsOn("{\"@merge\": {\"direction\": \"right\", \"objects\": [{\"@path\": \"$.traits.email\"}]}}");
      assertTrue(f.where().contains("@merge"), f.where());
    }

    @Test
    void shapeErrors() {
      rejects("{\"@merge\": {\"objects\": []}}");
      rejects("{\"@merge\": {\"direction\": \"up\", \"objects\": []}}");
      rejects("{\"@merge\": {\"direction\": \"left\", \"objects\": {\"a\": 1}}}");
      assertTrue(rejects("{\"@merge\": {\"direction\": \"left\", \"objects\": [{}, 1]}}").contains("objects[1]"));
      rejects("{\"@merge\": [{}, {}]}");
    }
  }

  @Nested
  class JsonCodec {
    @Test
    void encodes() {
      assertResolves("\"[\\\"a\\\",\\\"b\\\"]\"", "{\"@json\": {\"mode\": \"encode\", \"value\": {\"@path\": \"$.traits.tags\"}}}");
      assertResolves("\"\\\"Jane\\\"\"", "{\"@json\": {\"mode\": \"encode\", \"value\": {\"@path\": \"$.traits.name\"}}}");
      assertResolves("\"39.95\"", "{\"@json\": {\"mode\": \"encode\", \"value\": {\"@path\": \"$.n\"}}}");
      assertResolves("\"null\"", "{\"@json\": {\"mode\": \"encode\", \"value\": {\"@path\": \"$.traits.nothing\"}}}");
      assertNothing("{\"@json\": {\"mode\": \"encode\", \"value\": {\"@path\": \"$.missing\"}}}");
    }

    @Test
    void decodes() {
      assertResolves("{\"theme\": \"dark\"}", "{\"@json\": {\"mode\": \"decode\", \"value\": {\"@path\": \"$.traits.settings\"}}}");
      assertResolves("[1, 2.50]", "{\"@json\": {\"mode\": \"decode\", \"value\": \"[1, 2.50]\"}}");
      assertResolves("0", "{\"@json\": {\"mode\": \"decode\", \"value\": {\"@path\": \"$.traits.zero\"}}}");
      assertNothing("{\"@json\": {\"mode\": \"decode\", \"value\": {\"@path\": \"$.missing\"}}}");
    }

    @Test
    void textThatIsNotJsonFailsTheEvent() {
      MappingFailure f = failsOn("{\"@json\": {\"mode\": \"decode\", \"value\": {\"@path\": \"$.traits.bad\"}}}");
      assertTrue(f.problem().contains("not valid JSON"), f.problem());
      assertTrue(f.where().endsWith("@json"), f.where());
      failsOn("{\"@json\": {\"mode\": \"decode\", \"value\": {\"@path\": \"$.traits.empty\"}}}");
      failsOn("{\"@json\": {\"mode\": \"decode\", \"value\": \"1 2\"}}");
    }

    @Test
    void shapeErrors() {
      rejects("{\"@json\": {\"mode\": \"ENCODE\", \"value\": 1}}");
      rejects("{\"@json\": {\"value\": 1}}");
      rejects("{\"@json\": {\"mode\": \"encode\"}}");
    }
  }

  @Nested
  class Flatten {
    @Test
    void joinsNestedKeys() {
      assertResolves("{\"email\": \"x\", \"address.city\": \"Paris\", \"address.geo.lat\": 1}",
          "{\"@flatten\": {\"separator\": \".\", \"value\": {\"email\": \"x\", \"address\": {\"city\": \"Paris\", \"geo\": {\"lat\": 1}}}}}");
    }

    @Test
    void arraysGetIndexesUnlessOmitted() {
      assertResolves("{\"items_0_sku\": \"x\", \"items_1_sku\": \"y\", \"price\": \"1+1=2\"}",
          "{\"@flatten\": {\"separator\": \"_\", \"value\": {\"@path\": \"$.properties\"}}}");
      assertResolves("{\"items\": [{\"sku\": \"x\"}, {\"sku\": \"y\"}], \"price\": \"1+1=2\"}",
          "{\"@flatten\": {\"separator\": \"_\", \"omitArrays\": true, \"value\": {\"@path\": \"$.properties\"}}}");
      assertResolves("{\"0\": \"a\", \"1\": \"b\"}", "{\"@flatten\": {\"separator\": \".\", \"value\": {\"@path\": \"$.traits.tags\"}}}");
    }

    @Test
    void emptyContainersVanishAndNullsStay() {
      assertResolves("{\"c\": null}", "{\"@flatten\": {\"separator\": \".\", \"value\": {\"a\": {}, \"b\": [], \"c\": null}}}");
    }

    @Test
    void missingAndScalarsPassUnchanged() {
      assertNothing("{\"@flatten\": {\"separator\": \".\", \"value\": {\"@path\": \"$.missing\"}}}");
      assertResolves("\"Jane\"", "{\"@flatten\": {\"separator\": \".\", \"value\": {\"@path\": \"$.traits.name\"}}}");
    }

    @Test
    void shapeErrors() {
      rejects("{\"@flatten\": {\"value\": {}}}");
      rejects("{\"@flatten\": {\"separator\": \"\", \"value\": {}}}");
      rejects("{\"@flatten\": {\"separator\": \".\"}}");
      rejects("{\"@flatten\": {\"separator\": \".\", \"value\": {}, \"omitArrays\": \"yes\"}}");
    }
  }
}
