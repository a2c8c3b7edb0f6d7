package com.userpilotrelay.delivery;

import com.userpilotrelay.queue.SqsEventQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * When a failed event is tried again, and when the relay stops trying: exponential backoff with "equal
 * jitter", and a retry horizon measured in time. The delay lives in the queue (the message's visibility, which
 * also holds back the user's later events), never in a sleeping Lambda.
 *
 * <p>Attempt n waits a random time in [d/2, d] with d = min(cap, base * 2^(n-1)); never less than Userpilot's
 * Retry-After, never past the horizon, never more than SQS allows.
 */
public final class RetryPolicy {
  public static final Duration DEFAULT_BASE = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CAP = Duration.ofMinutes(30);
  public static final Duration DEFAULT_HORIZON = Duration.ofHours(24);
  /** Segment itself retries for 4 hours; a shorter horizon would lose what Segment would have kept. */
  public static final Duration MIN_HORIZON = Duration.ofHours(4);
  /**
   * A week: retries back off to one every 15 to 30 minutes, so a week is at most about 700 receives, well
   * under the events queue's maxReceiveCount of 1000 (past which SQS would move the event without a reason);
   * and it stays far inside the queues' 14-day retention, even for an event that waited behind its user's
   * earlier events before its own first attempt.
   */
  public static final Duration MAX_HORIZON = Duration.ofDays(7);

  private final Duration base;
  private final Duration cap;
  private final Duration horizon;
  private final DoubleSupplier random;

  public RetryPolicy(Duration base, Duration cap, Duration horizon, DoubleSupplier random) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("retry base must be positive");
    }
    if (cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("retry cap must be at least the base");
    }
    if (horizon.compareTo(base) < 0 || horizon.compareTo(MAX_HORIZON) > 0) {
      throw new IllegalArgumentException("retry horizon must be between the base and " + MAX_HORIZON.toDays() + " days");
    }
    this.base = base;
    this.cap = min(cap, SqsEventQueue.MAX_VISIBILITY);
    this.horizon = horizon;
    this.random = random;
  }

  public RetryPolicy(Duration base, Duration horizon) {
    this(base, DEFAULT_CAP, horizon, Math::random);
  }

  public Duration horizon() {
    return horizon;
  }

  /** True when an event first tried at {@code firstAttempt} has been failing for the whole horizon. */
  public boolean expired(Instant firstAttempt, Instant now) {
    return !Duration.between(firstAttempt, now).minus(horizon).isNegative();
  }

  /**
   * The delay before the attempt after {@code attempt}: at least {@code retryAfter} (may be null), and no later
   * than the horizon's end (so the last attempt happens, rather than the horizon passing unseen in the queue).
   */
  public Duration delayAfter(int attempt, Duration retryAfter, Instant firstAttempt, Instant now) {
    Duration ceiling = ceiling(attempt);
    long ceilingMillis = ceiling.toMillis();
    long jittered = ceilingMillis / 2 + (long) (random.getAsDouble() * (ceilingMillis - ceilingMillis / 2));
    Duration delay = Duration.ofMillis(jittered);
    if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
      delay = retryAfter;
    }
    Duration left = horizon.minus(Duration.between(firstAttempt, now));
    delay = min(delay, left.isNegative() ? Duration.ZERO : left);
    delay = min(delay, SqsEventQueue.MAX_VISIBILITY);
    // SQS counts visibility in whole seconds; round up so Retry-After is never undercut.
    long seconds = (delay.toMillis() + 999) / 1000;
    return Duration.ofSeconds(Math.max(1, seconds));
  }

  /** The longest delay {@link #delayAfter} picks after {@code attempt}, before Retry-After and the horizon. */
  public Duration ceiling(int attempt) {
    int exponent = Math.max(0, Math.min(30, attempt - 1));
    Duration d = base.multipliedBy(1L << exponent);
    return d.compareTo(cap) > 0 || d.isNegative() ? cap : d;
  }

  static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
