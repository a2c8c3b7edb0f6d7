package com.userpilotrelay.local;

import com.userpilotrelay.delivery.Attempt;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.observe.Log;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The local runner's console for a person (LOG_FORMAT=text, the default): one line per outcome, e.g.
 * {@code 12:00:01 delivered      identifyUser user=u1 msg=abc  202 in 35 ms}, one per ingest request, and
 * other log calls as {@code time LEVEL message key=value}. Event data is printed with control characters
 * replaced, so an event cannot move the cursor or recolour the terminal.
 */
final class ReadableConsole implements DeliveryObserver, Log.Format {
  private static final int MAX_REMEMBERED = 10_000;
  /** Wide enough for dead-lettered and a gap. */
  private static final int KIND_COLUMN = 15;
  private final PrintStream out;
  private final DateTimeFormatter time;
  /** The last Userpilot call per messageId, until its outcome is printed. */
  private final Map<String, Attempt> lastAttempt = new ConcurrentHashMap<>();

  ReadableConsole(PrintStream out, ZoneId zone) {
    this.out = out;
    this.time = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(zone);
  }

  @Override
  public void attempted(Attempt attempt) {
    if (attempt.messageId() != null) {
      if (lastAttempt.size() >= MAX_REMEMBERED) {
        lastAttempt.clear();
      }
      lastAttempt.put(attempt.messageId(), attempt);
    }
  }

  @Override
  public void finished(Outcome outcome) {
    out.println(outcomeLine(Instant.now(), outcome,
        outcome.messageId() == null ? null : lastAttempt.remove(outcome.messageId())));
  }

  String outcomeLine(Instant at, Outcome outcome, Attempt attempt) {
    String kind = String.valueOf(outcome.kind()).toLowerCase(Locale.ROOT).replace('_', '-');
    StringBuilder line = new StringBuilder();
    line.append(time.format(at)).append(' ').append(pad(kind, KIND_COLUMN));
    line.append(attempt == null ? "-" : clean(attempt.action(), 40));
    line.append(" user=").append(clean(outcome.userKey(), 80));
    line.append(" msg=").append(clean(outcome.messageId() != null ? outcome.messageId() : outcome.id(), 100));
    if (attempt != null) {
      line.append("  ").append(attempt.status() == 0 ? "no answer" : Integer.toString(attempt.status()))
          .append(" in ").append(attempt.millis()).append(" ms");
    }
    if (outcome.attempt() > 1) {
      line.append(", attempt ").append(outcome.attempt());
    }
    if (outcome.retryInSeconds() > 0) {
      line.append(", again in ").append(outcome.retryInSeconds()).append(" s");
    }
    if (outcome.reason() != null) {
      line.append(": ").append(clean(outcome.reason(), 300));
    } else if ("SKIPPED".equals(String.valueOf(outcome.kind()))) {
      line.append(": no mapping subscribes to it");
    }
    return line.toString();
  }

  /** Log calls as lines: the dispatcher's outcome line is left to {@link #finished}, which knows the call. */
  @Override
  public String line(Instant at, String level, String message, Map<String, ?> fields) {
    if ("dispatch".equals(message) && fields.containsKey("outcome")) {
      return null;
    }
    StringBuilder line = new StringBuilder(time.format(at)).append(' ');
    if ("ingest".equals(message) && fields.containsKey("accepted")) {
      line.append(pad("received", KIND_COLUMN)).append(fields.get("accepted")).append(" accepted, ")
          .append(fields.get("rejected")).append(" rejected  ").append(fields.get("status"))
          .append(" in ").append(fields.get("ms")).append(" ms");
      return line.toString();
    }
    line.append(pad(level, 6)).append(clean(message, 300));
    fields.forEach((k, v) -> line.append(' ').append(k).append('=').append(clean(String.valueOf(v), 300)));
    return line.toString();
  }

  /** Left-aligned in a column of {@code width}, and always followed by at least one space. */
  private static String pad(String s, int width) {
    return s.length() >= width ? s + " " : String.format(Locale.ROOT, "%-" + width + "s", s);
  }

  static String clean(String value, int max) {
    if (value == null) {
      return "-";
    }
    String c = value.replaceAll("[\\p{Cc}\\p{Cf}]", "?");
    return c.length() > max ? c.substring(0, max) + "…" : c;
  }
}
