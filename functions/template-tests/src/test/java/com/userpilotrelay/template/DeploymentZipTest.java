package com.userpilotrelay.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The zips template.yaml deploys, as Lambda's Java runtime will see them: the handler class at the root,
 * the jars under lib/, and nothing else on the class path. The reactor builds (and zips) ingest and
 * dispatch before this module, so in {@code mvn verify} the zips are those of this very build.
 */
class DeploymentZipTest {
  private static final long MAX_ZIP_BYTES = 10L * 1024 * 1024;
  private final Template template = Template.load();

  private Path zipOf(DeployedFunction function) {
    String codeUri = template.functionProperties(function.logicalId).path("CodeUri").asText();
    Path zip = template.root.resolve(codeUri);
    if (!Files.isRegularFile(zip)) {
      fail(codeUri + " does not exist: build it with `mvn package` (or verify) from the project root; the reactor"
          + " zips both functions before these tests run");
    }
    return zip;
  }

  private String handlerClass(DeployedFunction function) {
    String handler = template.functionProperties(function.logicalId).path("Handler").asText();
    int separator = handler.indexOf("::");
    return separator < 0 ? handler : handler.substring(0, separator);
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void theZipStaysUnderTenMebibytes(DeployedFunction function) throws IOException {
    long size = Files.size(zipOf(function));
    assertTrue(size < MAX_ZIP_BYTES, function.zip + " is " + size + " bytes; the budget is " + MAX_ZIP_BYTES);
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void theZipHasTheCoreJarUnderLib(DeployedFunction function) throws IOException {
    try (ZipFile zip = new ZipFile(zipOf(function).toFile())) {
      assertTrue(zip.stream().anyMatch(e -> e.getName().matches("lib/relay-core-[^/]+\\.jar")),
          function.zip + " has no lib/relay-core-*.jar");
      assertTrue(zip.stream().noneMatch(e -> e.getName().matches("lib/.*-tests?\\.jar")),
          function.zip + " ships a test jar");
    }
  }

  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void theHandlerTheTemplateNamesIsTheClassAtTheZipsRoot(DeployedFunction function) throws IOException {
    String entry = handlerClass(function).replace('.', '/') + ".class";
    try (ZipFile zip = new ZipFile(zipOf(function).toFile())) {
      assertNotNull(zip.getEntry(entry), function.zip + " has no " + entry + " at its root (Handler in template.yaml: "
          + handlerClass(function) + ")");
    }
  }

  /** Loads the handler from the unpacked zip alone, with the types Lambda will hand it. */
  @ParameterizedTest
  @EnumSource(DeployedFunction.class)
  void theHandlerLoadsFromTheZipAsARequestHandlerOfTheRightTypes(DeployedFunction function, @TempDir Path dir)
      throws Exception {
    unzip(zipOf(function), dir);
    List<URL> classPath = new ArrayList<>();
    classPath.add(dir.toUri().toURL());
    Path lib = dir.resolve("lib");
    if (Files.isDirectory(lib)) {
      try (Stream<Path> jars = Files.list(lib)) {
        for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
          classPath.add(jar.toUri().toURL());
        }
      }
    }
    try (URLClassLoader loader = new URLClassLoader(classPath.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      Class<?> handler;
      try {
        // initialize = false: the class is checked, not started (its start-up reads AWS settings).
        handler = Class.forName(handlerClass(function), false, loader);
      } catch (ClassNotFoundException e) {
        throw new AssertionError(function.zip + " does not contain " + handlerClass(function), e);
      }
      assertTrue(Modifier.isPublic(handler.getModifiers()) && !Modifier.isAbstract(handler.getModifiers()),
          handler + " must be a public concrete class");
      assertTrue(Modifier.isPublic(handler.getConstructor().getModifiers()), "Lambda needs a public no-argument constructor");

      Class<?> requestHandler = Class.forName("com.amazonaws.services.lambda.runtime.RequestHandler", false, loader);
      assertTrue(requestHandler.isAssignableFrom(handler), handler + " is not a RequestHandler");
      Type[] arguments = requestHandlerArguments(handler);
      assertNotNull(arguments, handler + " does not name RequestHandler's type arguments");
      assertEquals(function.eventType, arguments[0].getTypeName());
      assertEquals(function.responseType, arguments[1].getTypeName());

      Class<?> event = Class.forName(function.eventType, false, loader);
      Class<?> context = Class.forName("com.amazonaws.services.lambda.runtime.Context", false, loader);
      Method method = handler.getMethod("handleRequest", event, context);
      assertEquals(function.responseType, method.getReturnType().getName());
    }
  }

  private static Type[] requestHandlerArguments(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Type t : c.getGenericInterfaces()) {
        if (t instanceof ParameterizedType p
            && ((Class<?>) p.getRawType()).getName().equals("com.amazonaws.services.lambda.runtime.RequestHandler")) {
          return p.getActualTypeArguments();
        }
      }
    }
    return null;
  }

  private static void unzip(Path zip, Path target) throws IOException {
    try (ZipFile file = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> entries = file.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        Path out = target.resolve(entry.getName()).normalize();
        assertTrue(out.startsWith(target), "zip entry escapes its folder: " + entry.getName());
        if (entry.isDirectory()) {
          Files.createDirectories(out);
        } else {
          Files.createDirectories(out.getParent());
          try (InputStream in = file.getInputStream(entry)) {
            Files.copy(in, out);
          }
        }
      }
    }
  }
}
