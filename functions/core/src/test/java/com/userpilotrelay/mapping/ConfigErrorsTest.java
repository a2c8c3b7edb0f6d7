package com.userpilotrelay.mapping;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mappings file that cannot work stops start-up with a message naming mapping, field and fix. */
class ConfigErrorsTest {

  private static String fails(String json, String... fragments) {
    MappingConfigException e = assertThrows(MappingConfigException.class, () -> Mappings.parse(json));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message should contain <" + f + ">: " + e.getMessage());
    }
    return e.getMessage();
  }

  /** One mapping named "M" with the given entry keys. */
  private static String entry(String keys) {
    return "{\"mappings\": [{\"name\": \"M\", " + keys + "}]}";
  }

  private static String withMapping(String action, String mapping) {
    return entry("\"subscribe\": \"type = \\\"identify\\\"\", \"action\": \"" + action + "\", \"mapping\": " + mapping);
  }

  @Nested
  class FileShape {
    @Test
    void invalidJsonNamesLineAndColumn() {
      fails("{\"mappings\": [\n  {\"name\": }]}", "not valid JSON at line 2, column");
      fails("", "empty");
      fails("{\"mappings\": [], \"mappings\": []}", "not valid JSON");
    }

    @Test
    void rootMustHoldOnlyAMappingsArray() {
      fails("[]", "must hold an object");
      fails("{\"mapping\": []}", "unknown top-level key \"mapping\"");
      fails("{\"mappings\": {}}", "\"mappings\" must be an array");
      fails("{\"mappings\": []}", "empty");
    }

    @Test
    void atMostFiftyMappings() {
      String one = "{\"name\": \"n\", \"subscribe\": \"type = \\\"track\\\"\", \"action\": \"trackEvent\"}";
      String fifty = "{\"mappings\": [" + String.join(",", java.util.Collections.nCopies(50, one)) + "]}";
      assertDoesNotThrow(() -> Mappings.parse(fifty));
      fails(fifty.replace("]}", "," + one + "]}"), "51 mappings", "at most 50");
    }
  }

  @Nested
  class Entries {
    @Test
    void unknownKeysAreNamed() {
      fails(entry("\"subcribe\": \"type = \\\"track\\\"\", \"action\": \"trackEvent\""),
          "mappings[0] \"M\"", "subcribe", "unknown key");
    }

    @Test
    void theIndexCountsFromZeroInFileOrder() {
      String ok = "{\"name\": \"A\", \"subscribe\": \"type = \\\"track\\\"\", \"action\": \"trackEvent\"}";
      String bad = "{\"name\": \"B\", \"subscribe\": \"type = \\\"track\\\"\", \"action\": \"track\"}";
      fails("{\"mappings\": [" + ok + ", " + bad + "]}", "mappings[1] \"B\", action:", "\"track\" is not an action",
          "identifyUser, identifyCompany, trackEvent, deleteUser");
    }

    @Test
    void nameIsRequired() {
      fails("{\"mappings\": [{\"subscribe\": \"type = \\\"track\\\"\", \"action\": \"trackEvent\"}]}",
          "mappings[0] (unnamed), name:", "missing or blank");
      fails("{\"mappings\": [5]}", "mappings[0]", "must be an object");
    }

    @Test
    void enabledMustBeABoolean() {
      fails(entry("\"enabled\": \"yes\", \"subscribe\": \"type = \\\"track\\\"\", \"action\": \"trackEvent\""),
          "mappings[0] \"M\", enabled:");
    }

    @Test
    void actionAndSubscribeAreRequired() {
      fails(entry("\"subscribe\": \"type = \\\"track\\\"\""), "mappings[0] \"M\", action: missing");
      fails(entry("\"action\": \"trackEvent\""), "mappings[0] \"M\", subscribe: missing");
    }

    @Test
    void aTriggerThatDoesNotParseIsAStartUpErrorWithItsColumn() {
      MappingConfigException e = assertThrows(MappingConfigException.class, () -> Mappings.parse(
          entry("\"subscribe\": \"type = \\\"track\\\" and\", \"action\": \"trackEvent\"")));
      assertTrue(e.getMessage().contains("mappings[0] \"M\", subscribe: trigger syntax error at column 19"),
          e.getMessage());
      assertInstanceOf(TriggerSyntaxException.class, e.getCause());
    }

    @Test
    void mappingMustBeAnObject() {
      fails(withMapping("identifyUser", "[]"), "mappings[0] \"M\", mapping:", "must be an object");
    }
  }

  @Nested
  class Fields {
    @Test
    void unknownFieldsOfTheActionAreNamed() {
      fails(withMapping("identifyUser", "{\"email\": {\"@path\": \"$.traits.email\"}}"),
          "mappings[0] \"M\", mapping.email:", "is not a field of identifyUser", "[userId, createdAt, traits]");
      fails(withMapping("identifyUser", "{\"anonymousId\": {\"@path\": \"$.anonymousId\"}}"), "mapping.anonymousId");
      fails(withMapping("trackEvent", "{\"__segment_internal_directive\": {}}"), "root-level directives");
    }

    @Test
    void directiveErrorsNameTheNestedField() {
      fails(withMapping("identifyUser", "{\"traits\": {\"email\": {\"@replace\": {\"value\": \"x\"}}}}"),
          "mappings[0] \"M\", mapping.traits.email.@replace:", "needs \"pattern\"");
      fails(withMapping("identifyUser", "{\"traits\": {\"list\": [1, {\"@nope\": 1}]}}"),
          "mapping.traits.list[1]:", "unknown directive @nope");
      fails(withMapping("identifyUser", "{\"traits\": {\"@transform\": {}}}"), "mapping.traits:", "does not support");
    }

    @Test
    void aRequiredFieldThatCanNeverBeFilled() {
      fails(withMapping("identifyUser", "{\"userId\": \"\"}"), "mapping.userId:", "can never be filled");
      fails(withMapping("identifyUser", "{\"userId\": null}"), "mapping.userId:", "can never be filled");
      fails(withMapping("identifyCompany", "{\"groupId\": {\"@literal\": \"  \"}}"), "mapping.groupId:", "can never be filled");
      fails(withMapping("identifyUser", "{\"userId\": {\"a\": 1}}"), "mapping.userId:");
    }

    @Test
    void aConstantOfTheWrongKindCanNeverWork() {
      fails(withMapping("identifyUser", "{\"createdAt\": \"yesterday\"}"), "mapping.createdAt:", "is not a date");
      fails(withMapping("identifyUser", "{\"traits\": \"all\"}"), "mapping.traits:", "not an object");
      fails(withMapping("trackEvent", "{\"name\": true}"), "mapping.name:", "is not text");
    }

    @Test
    void constantsThatWorkAreFine() {
      assertDoesNotThrow(() -> Mappings.parse(withMapping("identifyUser", "{\"createdAt\": null, \"userId\": 42}")));
      assertDoesNotThrow(() -> Mappings.parse(withMapping("trackEvent", "{\"name\": \"Fixed name\"}")));
    }
  }

  @Nested
  class Files {
    @TempDir
    Path dir;

    @Test
    void loadNamesTheFile() throws IOException {
      Path file = dir.resolve("my-mappings.json");
      java.nio.file.Files.writeString(file, entry("\"subscribe\": \"type = 1 = 2\", \"action\": \"trackEvent\""));
      MappingConfigException e = assertThrows(MappingConfigException.class, () -> Mappings.load(file));
      assertTrue(e.getMessage().startsWith(file + ": mappings[0] \"M\", subscribe:"), e.getMessage());
    }

    @Test
    void anUnreadableFileNamesTheFile() {
      Path missing = dir.resolve("absent.json");
      MappingConfigException e = assertThrows(MappingConfigException.class, () -> Mappings.load(missing));
      assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void invalidJsonInAFileNamesTheFile() throws IOException {
      Path file = dir.resolve("broken.json");
      java.nio.file.Files.writeString(file, "{\"mappings\": [");
      MappingConfigException e = assertThrows(MappingConfigException.class, () -> Mappings.load(file));
      assertTrue(e.getMessage().startsWith(file + ": not valid JSON"), e.getMessage());
    }
  }
}
