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
  private static volatile PrintStream out = System.out;

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

  private static void write(String level, String message, Map<String, ?> fields) {
    ObjectNode line = Json.object();
    line.put("timestamp", Instant.now().toString());
    line.put("level", level);
    line.put("message", message);
    fields.forEach((k, v) -> line.set(k, Json.MAPPER.valueToTree(v)));
    out.println(line);
  }
}
