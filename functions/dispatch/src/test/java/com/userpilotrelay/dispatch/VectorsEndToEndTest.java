package com.userpilotrelay.dispatch;

import com.userpilotrelay.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every vector — the owner's shared ones and this project's own — posted to the real ingest handler,
 * queued in ElasticMQ, dispatched by the real dispatch handler, and compared request by request with
 * what a real local HTTP server standing in for Userpilot received.
 */
class VectorsEndToEndTest {
  private static Pipeline pipeline;

  @BeforeAll
  static void start() {
    pipeline = new Pipeline();
  }

  @AfterAll
  static void stop() {
    pipeline.close();
  }

  @TestFactory
  Stream<DynamicTest> sharedVectors() {
    return SharedFixtures.dynamicTests("vectors", dir -> VectorRunner.tests(pipeline, dir));
  }

  @TestFactory
  Stream<DynamicTest> projectVectors() throws IOException {
    return VectorRunner.tests(pipeline, Path.of("src/test/resources/vectors"));
  }
}
