package com.userpilotrelay.observe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Map;

/**
 * One JSON object per line on standard output, which Lambda ships to CloudWatch as structured logs.
 * Callers pass identifiers and outcomes only — never trait or property values, never a credential.
 */
public final class Log {
  /** Turns one log call into the line printed, or null to print none. */
  @FunctionalInterface
  public interface Format {
    String line(Instant at, String level, String message, Map<String, ?> fields);
  }

  /** What Lambda prints: one JSON object per line. */
  public static final Format JSON = Log::json;

  private static volatile PrintStream out = System.out;
  private static volatile Format format = JSON;

  private Log() {}

  public static void info(String message, Map<String, ?> fields) {
    write("INFO", message, fields);
  }

  public static void warn(String message, Map<String, ?> fields) {
    write("WARN", message, fields);
  }

  public static void error(String message, Map<String, ?> fields) {
    write("ERROR", message, fields);
  }

  /** Tests capture the output to prove no secret is ever written. */
  public static void redirect(PrintStream stream) {
    out = stream == null ? System.out : stream;
  }

  /**
   * The local runner prints lines a person reads (LOG_FORMAT); Lambda never calls this, so CloudWatch
   * always gets JSON. Null restores JSON.
   */
  public static void format(Format lines) {
    format = lines == null ? JSON : lines;
  }

  /** True while lines are JSON: the metrics' EMF documents are only printed then (they are for CloudWatch). */
  public static boolean writesJson() {
    return format == JSON;
  }

  private static void write(String level, String message, Map<String, ?> fields) {
    String line = format.line(Instant.now(), level, message, fields);
    if (line != null) {
      out.println(line);
    }
  }

  private static String json(Instant at, String level, String message, Map<String, ?> fields) {
    ObjectNode line = Json.object();
    line.put("timestamp", at.toString());
    line.put("level", level);
    line.put("message", message);
    fields.forEach((k, v) -> line.set(k, Json.MAPPER.valueToTree(v)));
    return line.toString();
  }
}
