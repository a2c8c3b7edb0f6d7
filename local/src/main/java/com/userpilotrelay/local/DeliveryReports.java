package com.userpilotrelay.local;

import com.userpilotrelay.delivery.Attempt;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.observe.Log;
import java.util.List;
import java.util.Map;

/**
 * Hands the dispatcher's reports to everything in the runner that keeps them: the counts, the event
 * history, the readable console; one that fails does not keep the others from hearing.
 */
final class DeliveryReports implements DeliveryObserver {
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

  /** A report that fails must never fail a delivery. */
  private static void reportFailure(RuntimeException e) {
    Log.warn("delivery report failed", Map.of("error", e.getClass().getName()));
  }
}
