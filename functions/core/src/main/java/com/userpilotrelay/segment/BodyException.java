package com.userpilotrelay.segment;

/** The request body as a whole cannot be read: malformed JSON, an unknown shape, or over a limit. */
public final class BodyException extends Exception {
  private static final long serialVersionUID = 1L;
  private final boolean tooLarge;

  public BodyException(String message, boolean tooLarge) {
    super(message, null, false, false);
    this.tooLarge = tooLarge;
  }

  /** True when the answer is 413 rather than 400. */
  public boolean tooLarge() {
    return tooLarge;
  }
}
