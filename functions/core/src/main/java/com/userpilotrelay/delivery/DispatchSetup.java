package com.userpilotrelay.delivery;

import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.queue.EventQueue;
import com.userpilotrelay.userpilot.ApiKey;
import com.userpilotrelay.userpilot.Endpoint;
import com.userpilotrelay.userpilot.HttpUserpilotClient;
import com.userpilotrelay.userpilot.RatePacer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** Builds the dispatcher from settings; any bad setting stops start-up with its name. */
public final class DispatchSetup {
  /**
   * Users delivered in parallel within one batch: as many as a batch holds (the event source's BatchSize
   * is 10), so no user in a batch waits for another's answer — with 8, a batch of 10 users took two
   * Userpilot round trips instead of one (README.md, "Performance"). The pacer, not this, bounds the rate.
   */
  static final int PARALLEL_USERS = 10;
  /**
   * With the default backoff, 8 receives span about an hour and a half: long enough that a short Userpilot hiccup
   * does not set an event aside, short enough that one bad event does not hold its user's stream for a day.
   */
  static final int DEFAULT_POISON_ATTEMPTS = 8;

  private DispatchSetup() {}

  public static Mappings mappings(Env env, SecretSource secrets) {
    Optional<String> parameter = env.optional(Setting.MAPPINGS_PARAMETER);
    Optional<String> file = env.optional(Setting.MAPPINGS_FILE);
    if (parameter.isPresent()) {
      return Mappings.parse(secrets.parameter(parameter.get()));
    }
    if (file.isPresent()) {
      return Mappings.load(Path.of(file.get()));
    }
    return Mappings.presets();
  }

  public static Endpoint endpoint(Env env) {
    return new Endpoint(env.url(Setting.USERPILOT_ENDPOINT, Endpoint.DEFAULT));
  }

  /** The HTTP client for a configured key, or empty when no key is configured (local dry run). */
  public static Optional<HttpUserpilotClient> client(Env env, SecretSource secrets) {
    Optional<String> key = env.secret(Setting.USERPILOT_API_KEY_ARN, Setting.USERPILOT_API_KEY, secrets);
    if (key.isEmpty()) {
      if (env.inLambda()) {
        throw new ConfigException(Setting.USERPILOT_API_KEY_ARN.name()
            + ": is required; store the Userpilot API key in Secrets Manager and set its ARN");
      }
      return Optional.empty();
    }
    Endpoint endpoint = endpoint(env);
    Duration timeout = timeout(env);
    ApiKey apiKey = env.optional(Setting.USERPILOT_API_KEY_ARN)
        .map(arn -> new ApiKey(() -> secrets.read(arn).trim(), Clock.systemUTC()))
        .orElseGet(() -> ApiKey.fixed(key.get()));
    return Optional.of(new HttpUserpilotClient(endpoint, apiKey, timeout));
  }

  static Duration timeout(Env env) {
    return Duration.ofMillis(env.integer(Setting.USERPILOT_TIMEOUT_MS, 10_000, 500, 60_000));
  }

  public static RetryPolicy retryPolicy(Env env) {
    int base = env.integer(Setting.RETRY_BASE_SECONDS, 30, 1, 900);
    int horizonHours = env.integer(Setting.RETRY_HORIZON_HOURS, (int) RetryPolicy.DEFAULT_HORIZON.toHours(),
        (int) RetryPolicy.MIN_HORIZON.toHours(), (int) RetryPolicy.MAX_HORIZON.toHours());
    return new RetryPolicy(Duration.ofSeconds(base), Duration.ofHours(horizonHours));
  }

  public static int poisonAttempts(Env env) {
    return env.integer(Setting.POISON_ATTEMPTS, DEFAULT_POISON_ATTEMPTS, 2, 1000);
  }

  public static RatePacer pacer(Env env) {
    int concurrency = env.inLambda()
        ? requiredInt(env, Setting.DISPATCH_CONCURRENCY, 1, 1000)
        : env.integer(Setting.DISPATCH_CONCURRENCY, 1, 1, 1000);
    Map<RatePacer.Bucket, Integer> limits = new EnumMap<>(RatePacer.Bucket.class);
    limits.put(RatePacer.Bucket.IDENTIFY, env.integer(Setting.RATE_LIMIT_IDENTIFY_PER_MINUTE, 600, 1, 1_000_000));
    limits.put(RatePacer.Bucket.TRACK, env.integer(Setting.RATE_LIMIT_TRACK_PER_MINUTE, 600, 1, 1_000_000));
    limits.put(RatePacer.Bucket.DELETE, env.integer(Setting.RATE_LIMIT_DELETE_PER_MINUTE, 30, 1, 1_000_000));
    return new RatePacer(limits, concurrency);
  }

  public static Dispatcher dispatcher(Env env, Mappings mappings, com.userpilotrelay.userpilot.UserpilotTransport transport,
      EventQueue queue, IngestStamp stamp, DeliveryObserver observer) {
    return new Dispatcher(mappings::map, transport, pacer(env), retryPolicy(env), queue, stamp, poisonAttempts(env),
        PARALLEL_USERS, observer, Clock.systemUTC(), timeout(env));
  }

  private static int requiredInt(Env env, Setting setting, int min, int max) {
    env.required(setting);
    return env.integer(setting, 0, min, max);
  }
}
