package com.userpilotrelay.delivery;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with "equal jitter" for retryable delivery failures. The delay lives in the
 * queue (as the message's visibility timeout), never in a sleeping Lambda, so an outage of hours costs
 * nothing but the messages' patience.
 *
 * <p>Attempt n (the message's ApproximateReceiveCount) waits a random time in [d/2, d] with
 * d = min(cap, base * 2^(n-1)); never less than Userpilot's Retry-After, never more than SQS allows.
 */
public final class RetryPolicy {
  /** SQS refuses a visibility timeout above 12 hours. */
  public static final Duration SQS_MAX_VISIBILITY = Duration.ofHours(12);
  /** What a standard deployment must survive before anything is dead-lettered: Segment's own retry window. */
  public static final Duration REQUIRED_HORIZON = Duration.ofHours(4);
  public static final Duration DEFAULT_BASE = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CAP = Duration.ofMinutes(30);

  private final Duration base;
  private final Duration cap;
  private final int maxReceiveCount;
  private final DoubleSupplier random;

  public RetryPolicy(Duration base, Duration cap, int maxReceiveCount, DoubleSupplier random) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("retry base must be positive");
    }
    if (cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("retry cap must be at least the base");
    }
    if (maxReceiveCount < 1) {
      throw new IllegalArgumentException("maxReceiveCount must be at least 1");
    }
    this.base = base;
    this.cap = cap.compareTo(SQS_MAX_VISIBILITY) > 0 ? SQS_MAX_VISIBILITY : cap;
    this.maxReceiveCount = maxReceiveCount;
    this.random = random;
  }

  public RetryPolicy(Duration base, int maxReceiveCount) {
    this(base, DEFAULT_CAP, maxReceiveCount, Math::random);
  }

  public int maxReceiveCount() {
    return maxReceiveCount;
  }

  /** True when the attempt that just failed was the last one the queue allows. */
  public boolean exhausted(int receiveCount) {
    return receiveCount >= maxReceiveCount;
  }

  /** The delay before attempt {@code receiveCount + 1}, at least {@code retryAfter} (may be null). */
  public Duration delayAfter(int receiveCount, Duration retryAfter) {
    Duration ceiling = ceiling(receiveCount);
    long ceilingMillis = ceiling.toMillis();
    long jittered = ceilingMillis / 2 + (long) (random.getAsDouble() * (ceilingMillis - ceilingMillis / 2));
    Duration delay = Duration.ofMillis(jittered);
    if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
      delay = retryAfter;
    }
    if (delay.compareTo(SQS_MAX_VISIBILITY) > 0) {
      delay = SQS_MAX_VISIBILITY;
    }
    // SQS counts visibility in whole seconds; round up so Retry-After is never undercut.
    long seconds = (delay.toMillis() + 999) / 1000;
    return Duration.ofSeconds(Math.max(1, seconds));
  }

  /** The longest delay {@link #delayAfter} can pick after attempt {@code receiveCount} (before Retry-After). */
  public Duration ceiling(int receiveCount) {
    int exponent = Math.max(0, Math.min(30, receiveCount - 1));
    Duration d = base.multipliedBy(1L << exponent);
    return d.compareTo(cap) > 0 || d.isNegative() ? cap : d;
  }

  /**
   * The shortest time, with the unluckiest jitter, between an event's first failed attempt and its
   * dead-lettering: how long Userpilot may be down without losing anything to the dead-letter queue.
   */
  public Duration minimumHorizon() {
    long millis = 0;
    for (int n = 1; n < maxReceiveCount; n++) {
      long c = ceiling(n).toMillis();
      millis += c / 2;
    }
    return Duration.ofMillis(millis);
  }
}
