package com.userpilotrelay.bench.probe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's memory as the kernel counts it (/proc/self/status), in KiB. */
public final class ProcStatus {
  private ProcStatus() {}

  /** Peak resident set size ("high water mark"). */
  public static long vmHwmKib() {
    return field("VmHWM:");
  }

  public static long vmRssKib() {
    return field("VmRSS:");
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(name)) {
          return Long.parseLong(line.substring(name.length()).replace("kB", "").trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }
}
