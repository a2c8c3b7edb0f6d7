package com.userpilotrelay.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Finds the owner's shared fixtures ({@code ../shared} beside the project root). A user's clone has no
 * such folder: tests that need it are skipped with a message saying so, and the project's own fixtures
 * carry the coverage there.
 */
public final class SharedFixtures {
  private SharedFixtures() {}

  /** The project root: the nearest folder upwards that holds {@code functions/} and {@code pom.xml}. */
  public static Path projectRoot() {
    Path dir = Paths.get("").toAbsolutePath();
    while (dir != null) {
      if (Files.isDirectory(dir.resolve("functions")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("cannot find the project root above " + Paths.get("").toAbsolutePath());
  }

  /** {@code ../shared} (or {@code RELAY_SHARED_DIR}), or empty when absent. */
  public static java.util.Optional<Path> sharedDir() {
    String override = System.getenv("RELAY_SHARED_DIR");
    Path dir = override != null && !override.isBlank()
        ? Paths.get(override)
        : projectRoot().getParent().resolve("shared");
    return Files.isDirectory(dir) ? java.util.Optional.of(dir) : java.util.Optional.empty();
  }

  /** The shared sub-folder, or the calling test is skipped with a message naming what is missing. */
  public static Path require(String child) {
    var dir = sharedDir().map(d -> d.resolve(child));
    assumeTrue(dir.isPresent() && Files.exists(dir.get()),
        "skipped: ../shared/" + child + " is not present (it ships with the owner's workspace, not with a"
            + " clone); the project's own fixtures under events/ and src/test/resources still run");
    return dir.get();
  }

  /**
   * Dynamic tests over a shared sub-folder; without it, one test that is reported skipped with the
   * reason (an assumption thrown by the factory itself would make the tests vanish from the report).
   */
  public static java.util.stream.Stream<org.junit.jupiter.api.DynamicTest> dynamicTests(String child,
      java.util.function.Function<Path, java.util.stream.Stream<org.junit.jupiter.api.DynamicTest>> tests) {
    boolean present = sharedDir().map(d -> Files.exists(d.resolve(child))).orElse(false);
    if (present) {
      return tests.apply(require(child));
    }
    return java.util.stream.Stream.of(
        org.junit.jupiter.api.DynamicTest.dynamicTest("../shared/" + child, () -> require(child)));
  }
}
