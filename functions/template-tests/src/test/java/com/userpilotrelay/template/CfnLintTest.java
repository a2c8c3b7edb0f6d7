package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * template.yaml through cfn-lint, AWS's CloudFormation linter (with the AWS SAM translator it runs the
 * template as SAM transforms it), informational checks included. Errors and warnings always fail;
 * an informational finding fails unless ALLOWED lists it with the reason. Where cfn-lint is not
 * installed (pip install cfn-lint) these tests are skipped and say so, except with REQUIRE_CFN_LINT=true,
 * which .ci/run sets so that CI cannot pass without linting.
 */
class CfnLintTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** An informational finding accepted for now: its rule, the template path it is about, and why. */
  record Allowed(String rule, String path, String reason) {
    boolean matches(Finding finding) {
      return finding.rule().equals(rule) && finding.path().equals(path);
    }
  }

  /**
   * Informational findings accepted, each with why it is not fixed (everyAllowedFindingStillOccurs fails when
   * an entry no longer matches anything). None today: every finding is fixed.
   */
  static final List<Allowed> ALLOWED = List.of();

  record Finding(String level, String rule, String path, int line, String message) {
    @Override
    public String toString() {
      return level + " " + rule + " at " + path + " (line " + line + "): " + message;
    }
  }

  private static List<Finding> templateFindings;

  private static synchronized List<Finding> templateFindings() throws Exception {
    if (templateFindings == null) {
      Template template = Template.load();
      templateFindings = lint(template.root, template.root.resolve("template.yaml"));
    }
    return templateFindings;
  }

  /** cfn-lint's findings for one template, or the calling test skipped where cfn-lint is absent. */
  static List<Finding> lint(Path workingDirectory, Path template) throws Exception {
    List<String> command = List.of("cfn-lint", "--format", "json", "--include-checks", "I", "--",
        template.toAbsolutePath().toString());
    Process process;
    try {
      process = new ProcessBuilder(command).directory(workingDirectory.toFile()).start();
    } catch (IOException notInstalled) {
      String message = "cfn-lint is not installed (pip install cfn-lint): template.yaml was not linted";
      if ("true".equals(System.getenv("REQUIRE_CFN_LINT"))) {
        throw new AssertionError(message + ", and REQUIRE_CFN_LINT=true (CI) requires it", notInstalled);
      }
      Assumptions.abort(message);
      throw notInstalled; // not reached
    }
    process.getOutputStream().close();
    byte[] stdout = process.getInputStream().readAllBytes();
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "cfn-lint did not finish in 2 minutes");
    JsonNode report;
    try {
      report = JSON.readTree(stdout);
    } catch (IOException e) {
      throw new AssertionError("cfn-lint (exit " + process.exitValue() + ") printed no JSON report: "
          + new String(stdout, StandardCharsets.UTF_8) + stderr, e);
    }
    assertTrue(report != null && report.isArray(), "cfn-lint's report is not a list: " + report + stderr);
    List<Finding> findings = new ArrayList<>();
    for (JsonNode f : report) {
      List<String> path = new ArrayList<>();
      f.path("Location").path("Path").forEach(p -> path.add(p.asText()));
      findings.add(new Finding(f.path("Level").asText(), f.path("Rule").path("Id").asText(), String.join("/", path),
          f.path("Location").path("Start").path("LineNumber").asInt(), f.path("Message").asText()));
    }
    // cfn-lint's exit code is a bit mask of the levels found (2 error, 4 warning, 8 informational);
    // anything else, or a level without a finding, means the run itself went wrong.
    int expected = 0;
    for (Finding finding : findings) {
      expected |= switch (finding.level()) {
        case "Error" -> 2;
        case "Warning" -> 4;
        case "Informational" -> 8;
        default -> throw new AssertionError("unknown cfn-lint level in " + finding);
      };
    }
    assertEquals(expected, process.exitValue(), "cfn-lint's exit code does not match its report: " + findings + stderr);
    return findings;
  }

  private static String describe(List<Finding> findings) {
    return findings.stream().map(Finding::toString).collect(Collectors.joining("\n  "));
  }

  @Test
  void templateHasNoErrorsNoWarningsAndNoUnexplainedFindings() throws Exception {
    List<Finding> unexplained = templateFindings().stream()
        .filter(f -> !f.level().equals("Informational") || ALLOWED.stream().noneMatch(a -> a.matches(f)))
        .toList();
    assertTrue(unexplained.isEmpty(), "cfn-lint on template.yaml:\n  " + describe(unexplained));
  }

  /** An entry that matches nothing any more is a fixed finding: remove it, so it cannot hide a new one. */
  @Test
  void everyAllowedFindingStillOccurs() throws Exception {
    List<Finding> findings = templateFindings();
    for (Allowed allowed : ALLOWED) {
      assertFalse(allowed.reason().isBlank(), allowed + " needs a reason");
      assertTrue(findings.stream().anyMatch(allowed::matches),
          "cfn-lint no longer reports " + allowed.rule() + " at " + allowed.path() + ": remove it from ALLOWED");
    }
  }

  /** The checks run as cfn-lint ships them: no rule is switched off by Metadata in the template. */
  @Test
  void theTemplateSwitchesNoCheckOff() {
    List<String> switches = new ArrayList<>();
    collectLintSettings(Template.load().tree, "", switches);
    assertTrue(switches.isEmpty(), "template.yaml configures cfn-lint at " + switches + ": rules must not be silenced there");
  }

  private static void collectLintSettings(JsonNode node, String path, List<String> found) {
    node.properties().forEach(e -> {
      if (e.getKey().equals("cfn-lint")) {
        found.add(path + "/" + e.getKey());
      }
      collectLintSettings(e.getValue(), path + "/" + e.getKey(), found);
    });
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collectLintSettings(node.get(i), path + "/" + i, found);
      }
    }
  }

  /** The linting really runs and is read: a wrong runtime is an error, an unused condition a warning. */
  @Test
  void aBrokenTemplateFails(@TempDir Path dir) throws Exception {
    Template template = Template.load();
    String text = Files.readString(template.root.resolve("template.yaml"));
    String broken = text.replaceFirst("Runtime: java21", "Runtime: java99")
        .replaceFirst("(?m)^Conditions:\n", "Conditions:\n  NeverUsed: !Equals [!Ref AlarmEmail, \"x\"]\n");
    assertFalse(broken.equals(text));
    Path copy = dir.resolve("template.yaml");
    Files.writeString(copy, broken);
    List<Finding> findings = lint(template.root, copy);
    assertTrue(findings.stream().anyMatch(f -> f.level().equals("Error") && f.rule().equals("E3030")
        && f.path().endsWith("/Properties/Runtime")), "no error for Runtime java99:\n  " + describe(findings));
    assertTrue(findings.stream().anyMatch(f -> f.level().equals("Warning") && f.path().equals("Conditions/NeverUsed")),
        "no warning for an unused condition:\n  " + describe(findings));
  }
}
