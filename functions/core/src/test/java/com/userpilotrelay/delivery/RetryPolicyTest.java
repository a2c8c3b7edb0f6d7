package com.userpilotrelay.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  @Test
  void backoffDoublesWithinEqualJitterBoundsAndStopsAtTheCap() {
    RetryPolicy low = new RetryPolicy(Duration.ofSeconds(30), RetryPolicy.DEFAULT_CAP, 25, () -> 0.0);
    RetryPolicy high = new RetryPolicy(Duration.ofSeconds(30), RetryPolicy.DEFAULT_CAP, 25, () -> 0.999999);
    assertEquals(Duration.ofSeconds(15), low.delayAfter(1, null));
    assertEquals(Duration.ofSeconds(30), high.delayAfter(1, null));
    assertEquals(Duration.ofSeconds(30), low.delayAfter(2, null));
    assertEquals(Duration.ofSeconds(60), high.delayAfter(2, null));
    assertEquals(Duration.ofSeconds(900), low.delayAfter(20, null));
    assertEquals(Duration.ofSeconds(1800), high.delayAfter(20, null));
    assertEquals(Duration.ofSeconds(1800), high.delayAfter(1000, null));
  }

  @Test
  void retryAfterIsNeverUndercutAndSqsLimitIsNeverExceeded() {
    RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(30), RetryPolicy.DEFAULT_CAP, 25, () -> 0.5);
    assertEquals(Duration.ofSeconds(120), policy.delayAfter(1, Duration.ofSeconds(120)));
    assertEquals(Duration.ofSeconds(3), new RetryPolicy(Duration.ofSeconds(1), 25).delayAfter(1, Duration.ofMillis(2100)));
    assertEquals(RetryPolicy.SQS_MAX_VISIBILITY, policy.delayAfter(1, Duration.ofDays(2)));
  }

  @Test
  void theDefaultScheduleSpansSegmentsFourHoursBeforeDeadLettering() {
    RetryPolicy policy = new RetryPolicy(RetryPolicy.DEFAULT_BASE, 25);
    Duration horizon = policy.minimumHorizon();
    assertTrue(horizon.compareTo(RetryPolicy.REQUIRED_HORIZON) >= 0, horizon.toString());
    // And the horizon really is the sum of the unluckiest delays.
    RetryPolicy unlucky = new RetryPolicy(RetryPolicy.DEFAULT_BASE, RetryPolicy.DEFAULT_CAP, 25, () -> 0.0);
    long sum = 0;
    for (int n = 1; n < 25; n++) {
      sum += unlucky.delayAfter(n, null).toSeconds();
    }
    assertEquals(horizon.toSeconds(), sum);
    assertFalse(new RetryPolicy(RetryPolicy.DEFAULT_BASE, 10).minimumHorizon().compareTo(RetryPolicy.REQUIRED_HORIZON) >= 0);
  }

  @Test
  void exhaustedOnTheLastReceiveTheQueueAllows() {
    RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(1), 3);
    assertFalse(policy.exhausted(2));
    assertTrue(policy.exhausted(3));
  }
}
