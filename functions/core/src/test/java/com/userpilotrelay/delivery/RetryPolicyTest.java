package com.userpilotrelay.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.queue.SqsEventQueue;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static RetryPolicy policy(double random) {
    return new RetryPolicy(Duration.ofSeconds(30), RetryPolicy.DEFAULT_CAP, Duration.ofHours(24), () -> random);
  }

  @Test
  void backoffDoublesWithEqualJitterUpToTheCap() {
    RetryPolicy low = policy(0.0);
    RetryPolicy high = policy(0.999999);
    assertEquals(Duration.ofSeconds(15), low.delayAfter(1, null, T0, T0));
    assertEquals(Duration.ofSeconds(30), high.delayAfter(1, null, T0, T0));
    assertEquals(Duration.ofSeconds(60), high.delayAfter(2, null, T0, T0));
    assertEquals(Duration.ofMinutes(15), low.delayAfter(20, null, T0, T0));
    assertEquals(Duration.ofMinutes(30), high.delayAfter(20, null, T0, T0));
  }

  @Test
  void retryAfterIsNeverUndercutButTheHorizonCapsIt() {
    RetryPolicy p = policy(0.0);
    assertEquals(Duration.ofSeconds(75), p.delayAfter(1, Duration.ofSeconds(75), T0, T0));
    // Whole seconds, rounded up: a Retry-After of 100.5 s waits 101 s.
    assertEquals(Duration.ofSeconds(101), p.delayAfter(1, Duration.ofMillis(100_500), T0, T0));
    // An HTTP date two days away: capped at what is left of the horizon (1 h here), not SQS's 12 h refusal.
    Instant now = T0.plus(Duration.ofHours(23));
    assertEquals(Duration.ofHours(1), p.delayAfter(3, Duration.ofDays(2), T0, now));
  }

  @Test
  void nothingAsksSqsForMoreVisibilityThanItAllows() {
    RetryPolicy p = new RetryPolicy(Duration.ofSeconds(30), Duration.ofHours(20), Duration.ofDays(7), () -> 0.999);
    assertTrue(p.delayAfter(40, Duration.ofDays(3), T0, T0).compareTo(SqsEventQueue.MAX_VISIBILITY) <= 0);
    assertTrue(SqsEventQueue.MAX_VISIBILITY.compareTo(Duration.ofHours(12)) < 0);
  }

  @Test
  void theHorizonIsATimeNotACount() {
    RetryPolicy p = policy(0.5);
    assertFalse(p.expired(T0, T0.plus(Duration.ofHours(23).plusMinutes(59))));
    assertTrue(p.expired(T0, T0.plus(Duration.ofHours(24))));
    // Many attempts in a short time do not expire it.
    assertFalse(p.expired(T0, T0.plusSeconds(60)));
  }

  @Test
  void theLastDelayEndsAtTheHorizonSoTheFinalAttemptHappens() {
    RetryPolicy p = policy(0.999);
    Instant now = T0.plus(Duration.ofHours(24)).minusSeconds(100);
    assertEquals(Duration.ofSeconds(100), p.delayAfter(30, null, T0, now));
  }

  @Test
  void aHorizonOutsideWhatTheQueueKeepsIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new RetryPolicy(Duration.ofSeconds(30), Duration.ofMinutes(30), Duration.ofDays(8), () -> 0.5));
  }
}
