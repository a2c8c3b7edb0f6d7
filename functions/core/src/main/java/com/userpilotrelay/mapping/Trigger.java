package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A mapping's {@code subscribe} condition (Segment's trigger language), parsed once and then tested
 * against each event. Immutable and safe to share between threads.
 */
public final class Trigger {
  private final String source;
  private final Condition condition;

  private Trigger(String source, Condition condition) {
    this.source = source;
    this.condition = condition;
  }

  /**
   * @throws TriggerSyntaxException when the text is not a valid trigger (never anything else)
   */
  public static Trigger parse(String text) {
    return new Trigger(text, TriggerParser.parse(text));
  }

  public boolean matches(JsonNode event) {
    Objects.requireNonNull(event, "event");
    return condition.test(event);
  }

  @Override
  public String toString() {
    return source;
  }
}
