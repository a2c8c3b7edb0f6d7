package com.userpilotrelay.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A function's deployment zip laid out as Lambda runs it (its classes and lib/*.jar), for fresh JVMs.
 * The few classes at the zip's root go into one jar, because class-data sharing archives only classes
 * that come from jars (a non-empty directory on the class path disables it) — every variant uses the
 * same layout so they compare fairly.
 */
record FunctionZip(String name, Path zip, Path dir, List<Path> classPath) {

  static FunctionZip unpack(Path repo, String name, Path work) throws IOException {
    Path zip = repo.resolve("functions").resolve(name).resolve("target").resolve(name + "-function.zip");
    if (!Files.isRegularFile(zip)) {
      throw new IllegalStateException(zip + " is missing: build it first (bench/run.sh does)");
    }
    Path dir = work.resolve("fn-" + name);
    IngestScenario.deleteTree(dir);
    Files.createDirectories(dir.resolve("lib"));
    Path rootJar = dir.resolve("function-root.jar");
    List<Path> libs = new ArrayList<>();
    try (ZipFile file = new ZipFile(zip.toFile());
        JarOutputStream root = new JarOutputStream(Files.newOutputStream(rootJar))) {
      Enumeration<? extends ZipEntry> entries = file.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        if (entry.isDirectory()) {
          continue;
        }
        try (InputStream in = file.getInputStream(entry)) {
          if (entry.getName().startsWith("lib/")) {
            Path target = dir.resolve(entry.getName()).normalize();
            if (!target.startsWith(dir)) {
              throw new IOException("zip entry outside the target: " + entry.getName());
            }
            try (OutputStream out = Files.newOutputStream(target)) {
              in.transferTo(out);
            }
            libs.add(target);
          } else {
            root.putNextEntry(new JarEntry(entry.getName()));
            in.transferTo(root);
            root.closeEntry();
          }
        }
      }
    }
    libs.sort(null);
    List<Path> cp = new ArrayList<>();
    cp.add(rootJar);
    cp.addAll(libs);
    return new FunctionZip(name, zip, dir, List.copyOf(cp));
  }

  double mib() throws IOException {
    return Files.size(zip) / 1024.0 / 1024.0;
  }

  /** The probe jar first, then the function as Lambda would load it. */
  String classPathWith(Path probeJar) {
    StringBuilder b = new StringBuilder(probeJar.toString());
    classPath.forEach(p -> b.append(java.io.File.pathSeparatorChar).append(p));
    return b.toString();
  }
}
