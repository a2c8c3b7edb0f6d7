package com.userpilotrelay.mapping;

/**
 * A trigger ({@code subscribe}) that does not parse. Segment's own parser answers such a trigger by
 * matching nothing, which silently drops every event; here it is an error with the position.
 */
public final class TriggerSyntaxException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private static final int MAX_QUOTED = 200;

  private final int position;
  private final String reason;

  TriggerSyntaxException(String reason, int position, String source) {
    super("trigger syntax error at column " + (position + 1) + ": " + reason + " (in: " + quote(source) + ")");
    this.position = position;
    this.reason = reason;
  }

  /** Zero-based offset of the offending character in the trigger text. */
  public int position() {
    return position;
  }

  /** One-based column, as shown in the message. */
  public int column() {
    return position + 1;
  }

  /** The problem alone, without position and trigger text. */
  public String reason() {
    return reason;
  }

  private static String quote(String source) {
    String s = source == null ? "" : source;
    return s.length() <= MAX_QUOTED ? s : s.substring(0, MAX_QUOTED) + "…";
  }
}
