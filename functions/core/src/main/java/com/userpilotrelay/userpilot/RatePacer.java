package com.userpilotrelay.userpilot;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client-side pacing per Userpilot rate-limit bucket: calls are spaced evenly at this container's share
 * of the per-minute limit (the limit divided by how many dispatchers run at once), so steady load
 * stays under Userpilot's limit instead of discovering it through 429s. A 429's Retry-After pauses the
 * whole bucket.
 */
public final class RatePacer {
  /** Userpilot's limits are per endpoint family; company identify counts as identify. */
  public enum Bucket { IDENTIFY, TRACK, DELETE }

  private final Map<Bucket, Long> intervalNanos;
  private final Map<Bucket, Long> nextSlot = new ConcurrentHashMap<>();
  private final Map<Bucket, Long> pausedUntil = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Sleeper sleeper;

  /** How the pacer waits; tests substitute a clock-advancing one. */
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  public RatePacer(Map<Bucket, Integer> perMinute, int concurrency, Clock clock, Sleeper sleeper) {
    this.clock = clock;
    this.sleeper = sleeper;
    this.intervalNanos = new java.util.EnumMap<>(Bucket.class);
    for (Bucket bucket : Bucket.values()) {
      int limit = perMinute.getOrDefault(bucket, 600);
      double share = Math.max(1e-9, (double) limit / Math.max(1, concurrency));
      intervalNanos.put(bucket, (long) Math.ceil(60_000_000_000d / share));
    }
  }

  public RatePacer(Map<Bucket, Integer> perMinute, int concurrency) {
    this(perMinute, concurrency, Clock.systemUTC(), d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000));
  }

  public static Bucket bucketOf(UserpilotRequest request) {
    return switch (request.action()) {
      case "trackEvent" -> Bucket.TRACK;
      case "deleteUser" -> Bucket.DELETE;
      default -> Bucket.IDENTIFY;
    };
  }

  public Duration interval(Bucket bucket) {
    return Duration.ofNanos(intervalNanos.get(bucket));
  }

  /**
   * Waits for the bucket's next slot. Returns false, without taking a slot, when that slot would come
   * after {@code deadline} (the caller reports the message for a later retry instead of overrunning).
   */
  public boolean acquire(Bucket bucket, Instant deadline) throws InterruptedException {
    long interval = intervalNanos.get(bucket);
    while (true) {
      long now = nanos(clock.instant());
      long[] slot = new long[1];
      boolean[] taken = new boolean[1];
      nextSlot.compute(bucket, (b, next) -> {
        long start = next == null ? now : Math.max(now, next);
        if (start > nanos(deadline)) {
          slot[0] = -1;
          return next;
        }
        slot[0] = start;
        taken[0] = true;
        return start + interval;
      });
      if (!taken[0]) {
        return false;
      }
      long wait = slot[0] - now;
      if (wait > 0) {
        sleeper.sleep(Duration.ofNanos(wait));
      }
      // A 429 that paused the bucket while this call waited for its slot: Retry-After holds for it too, so it
      // takes a slot after the pause instead of calling now.
      Long paused = pausedUntil.get(bucket);
      if (paused == null || paused <= slot[0]) {
        return true;
      }
    }
  }

  /** How long until the bucket's next free slot (zero when one is free now). */
  public Duration untilNextSlot(Bucket bucket) {
    Long next = nextSlot.get(bucket);
    long wait = next == null ? 0 : next - nanos(clock.instant());
    return wait > 0 ? Duration.ofNanos(wait) : Duration.ZERO;
  }

  /** Userpilot said "slow down": nobody in this container calls that bucket before {@code until}. */
  public void pauseUntil(Bucket bucket, Instant until) {
    long target = nanos(until);
    pausedUntil.merge(bucket, target, Math::max);
    nextSlot.merge(bucket, target, Math::max);
  }

  private static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }
}
