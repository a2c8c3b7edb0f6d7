package com.userpilotrelay.delivery;

/**
 * What the dispatcher reports as it works, beyond the log: the local runner keeps an event's path from
 * these ("where is my event?"), tests count with them. Called on dispatcher threads; must not block.
 */
public interface DeliveryObserver {
  DeliveryObserver NONE = new DeliveryObserver() { };

  /** One Userpilot call made for an event, with Userpilot's answer (status 0: no answer). */
  default void attempted(Attempt attempt) { }

  /** What became of one queued message in one dispatch. */
  default void finished(Outcome outcome) { }
}
