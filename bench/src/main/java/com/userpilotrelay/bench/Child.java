package com.userpilotrelay.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A JVM started by the benchmark: its stdout read line by line (stderr kept for errors), the time from
 * just before the fork to a line the caller waits for, and always stopped and reaped, by its own pid.
 */
final class Child implements AutoCloseable {
  private final Process process;
  private final long startedNanos;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();
  private final StringBuilder stderr = new StringBuilder();

  private Child(Process process, long startedNanos) {
    this.process = process;
    this.startedNanos = startedNanos;
    Thread out = new Thread(() -> pump(new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8)), true), "child-out");
    out.setDaemon(true);
    out.start();
    Thread err = new Thread(() -> pump(new BufferedReader(new InputStreamReader(process.getErrorStream(),
        StandardCharsets.UTF_8)), false), "child-err");
    err.setDaemon(true);
    err.start();
  }

  /** Starts {@code command} with exactly {@code env} (plus PATH and HOME), in {@code dir}. */
  static Child start(List<String> command, Map<String, String> env, Path dir) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().clear();
    builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    builder.environment().put("HOME", System.getProperty("java.io.tmpdir"));
    builder.environment().put("LANG", "C.UTF-8");
    builder.environment().putAll(env);
    if (dir != null) {
      builder.directory(dir.toFile());
    }
    long started = System.nanoTime();
    try {
      return new Child(builder.start(), started);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private void pump(BufferedReader reader, boolean stdout) {
    try (reader) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (stdout) {
          lines.add(line);
        } else {
          synchronized (stderr) {
            if (stderr.length() < 20_000) {
              stderr.append(line).append('\n');
            }
          }
        }
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  /**
   * Waits for the first stdout line matching {@code wanted} and returns it with the nanoseconds since the
   * fork; fails when the process ends or {@code timeoutMillis} passes first.
   */
  Line await(Predicate<String> wanted, long timeoutMillis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("timed out after " + timeoutMillis + " ms waiting for the child; "
            + describe());
      }
      String line;
      try {
        line = lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      if (line == null) {
        if (!process.isAlive() && lines.isEmpty()) {
          throw new IllegalStateException("the child ended (exit " + process.exitValue() + ") first; " + describe());
        }
        continue;
      }
      long at = System.nanoTime();
      seen.add(line);
      if (wanted.test(line)) {
        return new Line(line, at - startedNanos);
      }
    }
  }

  /** Waits for the process to end by itself; kills it after {@code timeoutMillis}. Returns the exit code. */
  int waitFor(long timeoutMillis) {
    try {
      if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return -1;
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return -1;
    }
  }

  double millisSinceStart(long nanoTime) {
    return (nanoTime - startedNanos) / 1e6;
  }

  long pid() {
    return process.pid();
  }

  String describe() {
    String err;
    synchronized (stderr) {
      err = stderr.toString();
    }
    List<String> tail = seen.size() > 20 ? seen.subList(seen.size() - 20, seen.size()) : seen;
    return "stdout tail: " + String.join(" | ", tail) + (err.isBlank() ? "" : "; stderr: " + err.strip());
  }

  /** SIGTERM (a graceful stop), then SIGKILL if it is still there after {@code graceMillis}. */
  void stop(long graceMillis) {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  @Override
  public void close() {
    stop(5_000);
  }

  record Line(String text, long nanosSinceStart) {
    double millis() {
      return nanosSinceStart / 1e6;
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
