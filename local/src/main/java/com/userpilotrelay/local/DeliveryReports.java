package com.userpilotrelay.local;

import com.userpilotrelay.delivery.Attempt;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.observe.Log;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Hands the dispatcher's reports to everything in the runner that keeps them: the counts, the event
 * history, the readable console. It is also the dispatcher's {@code Consumer<Outcome>} listener, which the
 * dispatcher recognises as an observer and tells of each Userpilot call too.
 */
final class DeliveryReports implements DeliveryObserver, Consumer<Outcome> {
  private final List<DeliveryObserver> observers;

  DeliveryReports(List<DeliveryObserver> observers) {
    this.observers = List.copyOf(observers);
  }

  @Override
  public void attempted(Attempt attempt) {
    for (DeliveryObserver o : observers) {
      try {
        o.attempted(attempt);
      } catch (RuntimeException e) {
        reportFailure(e);
      }
    }
  }

  @Override
  public void finished(Outcome outcome) {
    for (DeliveryObserver o : observers) {
      try {
        o.finished(outcome);
      } catch (RuntimeException e) {
        reportFailure(e);
      }
    }
  }

  @Override
  public void accept(Outcome outcome) {
    finished(outcome);
  }

  /** A report that fails must never fail a delivery. */
  private static void reportFailure(RuntimeException e) {
    Log.warn("delivery report failed", Map.of("error", e.getClass().getName()));
  }
}
