package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.observe.Metrics;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** EmittedTelemetry, the names the dashboard and queries rely on, against the functions' code. */
class EmittedTelemetryTest {
  private final String sources = EmittedTelemetry.mainSources(Template.load().root);

  private Set<String> allNames() {
    Set<String> names = new LinkedHashSet<>(EmittedTelemetry.METRICS.keySet());
    names.addAll(EmittedTelemetry.LOG_FIELDS);
    names.addAll(EmittedTelemetry.LOG_MESSAGES);
    return names;
  }

  @Test
  void everyNameIsInTheCode() {
    for (String name : allNames()) {
      if (!EmittedTelemetry.PENDING.contains(name)) {
        assertTrue(sources.contains("\"" + name + "\""), "no code writes \"" + name + "\"; the dashboard or a query"
            + " reads it (EmittedTelemetry)");
      }
    }
  }

  /** Once the code emits a pending name, it leaves PENDING, so a name dropped later fails the test above. */
  @Test
  void pendingNamesAreNotInTheCodeYet() {
    for (String name : EmittedTelemetry.PENDING) {
      assertTrue(allNames().contains(name), name + " is pending but not listed");
      assertFalse(sources.contains("\"" + name + "\""),
          "the code now writes \"" + name + "\": remove it from EmittedTelemetry.PENDING");
    }
  }

  @Test
  void theNamespaceIsTheOneMetricsWrites() {
    assertEquals(Metrics.NAMESPACE, EmittedTelemetry.NAMESPACE);
  }
}
