package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class CloudFormationYamlTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static void assertReads(String yaml, String json) throws IOException {
    assertEquals(JSON.readTree(json), CloudFormationYaml.read(yaml));
  }

  @Test
  void shortFormsBecomeLongForms() throws IOException {
    assertReads("a: !Ref Queue", "{\"a\":{\"Ref\":\"Queue\"}}");
    assertReads("a: !GetAtt Queue.Arn", "{\"a\":{\"Fn::GetAtt\":[\"Queue\",\"Arn\"]}}");
    assertReads("a: !GetAtt Stack.Outputs.Url", "{\"a\":{\"Fn::GetAtt\":[\"Stack\",\"Outputs.Url\"]}}");
    assertReads("a: !Sub \"x-${AWS::Region}\"", "{\"a\":{\"Fn::Sub\":\"x-${AWS::Region}\"}}");
    assertReads("a: !Condition HasEmail", "{\"a\":{\"Condition\":\"HasEmail\"}}");
  }

  @Test
  void nestedAndCollectionTaggedFunctions() throws IOException {
    assertReads("a: !If [C, !Ref X, !Ref AWS::NoValue]",
        "{\"a\":{\"Fn::If\":[\"C\",{\"Ref\":\"X\"},{\"Ref\":\"AWS::NoValue\"}]}}");
    assertReads("a: !Sub\n  - \"${N}\"\n  - N: !Select [6, !Split [\":\", !Ref Arn]]",
        "{\"a\":{\"Fn::Sub\":[\"${N}\",{\"N\":{\"Fn::Select\":[6,{\"Fn::Split\":[\":\",{\"Ref\":\"Arn\"}]}]}}]}}");
    assertReads("a: !Not [!Equals [!Ref P, \"\"]]", "{\"a\":{\"Fn::Not\":[{\"Fn::Equals\":[{\"Ref\":\"P\"},\"\"]}]}}");
  }

  @Test
  void plainValuesKeepTheirTypes() throws IOException {
    JsonNode node = CloudFormationYaml.read("n: 360\ns: \"2.0\"\nb: true\nt: 5xx\nl: [arm64]\nq: !!str 10");
    assertEquals(360, node.get("n").intValue());
    assertEquals("2.0", node.get("s").textValue());
    assertEquals(true, node.get("b").booleanValue());
    assertEquals("5xx", node.get("t").textValue());
    assertEquals("arm64", node.get("l").get(0).textValue());
    assertEquals("10", node.get("q").textValue());
  }

  @Test
  void refusesWhatCloudFormationWouldRefuse() {
    assertThrows(IOException.class, () -> CloudFormationYaml.read("a: !Reff X"));
    assertThrows(IOException.class, () -> CloudFormationYaml.read("a: !GetAtt NoAttribute"));
    assertThrows(IOException.class, () -> CloudFormationYaml.read("a: 1\na: 2"));
  }
}
