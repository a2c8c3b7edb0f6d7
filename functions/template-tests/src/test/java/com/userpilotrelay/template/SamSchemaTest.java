package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.userpilotrelay.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * template.yaml against the AWS SAM JSON Schema (draft-04) from the owner's ../shared/schemas. The schema
 * is not copied into the project: where ../shared is absent (a user's clone) this test is skipped with
 * the reason, and the other template tests still run. The short-form functions are read in their long
 * form (CloudFormationYaml), which is what the schema's "object or string" alternatives are written for.
 */
class SamSchemaTest {
  private static JsonSchema schema;

  /** The schema, read once (750 KB); the calling test is skipped where ../shared is absent. */
  private static synchronized JsonSchema samSchema() throws IOException {
    Path schemaFile = SharedFixtures.require("schemas/sam.schema.json");
    if (schema == null) {
      JsonNode json = new ObjectMapper().readTree(schemaFile.toFile());
      schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(json);
    }
    return schema;
  }

  private static String describe(Set<ValidationMessage> errors) {
    return errors.stream().limit(30).map(ValidationMessage::toString).collect(Collectors.joining("\n  "));
  }

  @Test
  void templateMatchesTheSamSchema() throws IOException {
    JsonSchema schema = samSchema();
    Set<ValidationMessage> errors = schema.validate(Template.load().tree);
    assertTrue(errors.isEmpty(), "template.yaml breaks the SAM schema:\n  " + describe(errors));
  }

  /** The schema really checks SAM resources: a property SAM does not know is refused. */
  @Test
  void theSchemaCatchesAnUnknownFunctionProperty() throws IOException {
    JsonSchema schema = samSchema();
    JsonNode broken = Template.load().tree.deepCopy();
    ((ObjectNode) broken.path("Resources").path("DispatchFunction").path("Properties")).put("Timout", 60);
    assertFalse(schema.validate(broken).isEmpty(), "a misspelt function property passed the schema");

    JsonNode misplaced = Template.load().tree.deepCopy();
    ((ObjectNode) misplaced.path("Globals").path("Function")).put("AutoPublishAliasAllProperties", true);
    assertFalse(schema.validate(misplaced).isEmpty(), "a property Globals does not allow passed the schema");
  }
}
