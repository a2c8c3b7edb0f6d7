package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the figures were measured on, and how busy the machine was while they were. */
final class Machine {
  private Machine() {}

  static ObjectNode describe() {
    ObjectNode m = Json.object();
    m.put("nproc", Runtime.getRuntime().availableProcessors());
    m.put("cpu_model", cpuModel());
    m.put("memory_gib", Stats.round(memoryKib() / 1024.0 / 1024.0, 1));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    m.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.name") + " "
        + System.getProperty("java.runtime.version"));
    m.put("java_home", System.getProperty("java.home"));
    return m;
  }

  /** The 1-minute load average; on a 2-core machine anything near or above 1 means someone else is busy. */
  static double loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return Double.parseDouble(parts[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** CPU time (user + system, all processes) and idle time since boot, in clock ticks, from /proc/stat. */
  static long[] cpuTicks() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = first.trim().split("\\s+");
      long busy = 0;
      long idle = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        long v = Long.parseLong(f[i]);
        if (i == 4 || i == 5) {
          idle += v;
        } else {
          busy += v;
        }
      }
      return new long[] {busy, idle};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  /** CPU ticks this process (and its finished children) used, from /proc/self/stat. */
  static long ownTicks() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      // fields after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
      return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return System.getProperty("os.arch");
  }

  private static long memoryKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return 0;
  }
}
