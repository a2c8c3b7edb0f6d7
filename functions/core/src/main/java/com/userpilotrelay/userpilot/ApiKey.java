package com.userpilotrelay.userpilot;

import com.userpilotrelay.observe.Log;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The Userpilot API key, read once and cached. After Userpilot refuses it (401/403) the next use reads
 * it again — at most once a minute — so a rotated key takes effect without a redeploy.
 */
public final class ApiKey {
  private static final Duration REREAD_INTERVAL = Duration.ofMinutes(1);

  private final Supplier<String> source;
  private final Clock clock;
  private volatile String value;
  private volatile boolean stale;
  private volatile Instant readAt;

  public ApiKey(Supplier<String> source, Clock clock) {
    this.source = source;
    this.clock = clock;
    this.value = source.get();
    this.readAt = clock.instant();
  }

  public static ApiKey fixed(String value) {
    return new ApiKey(() -> value, Clock.systemUTC());
  }

  /**
   * The key to send. A re-read that fails (the secret deleted, access denied, a slow Secrets Manager) keeps the
   * old value and tries again a minute later: the caller then gets Userpilot's refusal again, which pauses
   * delivery and keeps the events, rather than an exception on every call.
   */
  public String current() {
    if (stale && clock.instant().isAfter(readAt.plus(REREAD_INTERVAL))) {
      synchronized (this) {
        if (stale && clock.instant().isAfter(readAt.plus(REREAD_INTERVAL))) {
          readAt = clock.instant();
          try {
            value = source.get();
            stale = false;
          } catch (RuntimeException e) {
            Log.error("could not read the Userpilot API key again; the old one is kept and the read is retried in a"
                + " minute", java.util.Map.of("error", e.getClass().getSimpleName()));
          }
        }
      }
    }
    return value;
  }

  public void refused() {
    stale = true;
  }
}
