package com.userpilotrelay.local;

import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.Setting;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The runner's own settings, read through {@link Env} like every other setting, and the environment the
 * real handlers see: the caller's settings plus the embedded queues' URLs, and LOCAL_DEV_NO_AUTH=true when
 * no credential is configured (the local runner, unlike the Lambda, may run open — loudly).
 */
record LocalSettings(int port, int sqsPort, Path dataDir, int maxReceiveCount, int dispatchConcurrency,
    Duration invocationBudget, boolean signature, boolean token, int historyLimit, Duration historyAge,
    boolean logJson) {

  static final String NO_AUTH_WARNING = """

      ************************************************************************************
      WARNING: authentication is OFF. Neither SEGMENT_SHARED_SECRET nor INGEST_TOKEN is set,
      so anything that can reach 127.0.0.1:{port} can post events. Fine on your own machine;
      set one of them before you expose the port (a tunnel, a container port mapping).
      ************************************************************************************
      """;

  /** Longest Userpilot call timeout that still leaves a batch time to start calls (see read). */
  static final int MAX_LOCAL_TIMEOUT_MS = 16_000;

  /** The settings the runner documents (usage and README.md, "Run it locally"). */
  static final List<Setting> DOCUMENTED = List.of(Setting.USERPILOT_API_KEY, Setting.USERPILOT_ENDPOINT,
      Setting.SEGMENT_SHARED_SECRET, Setting.INGEST_TOKEN, Setting.MAPPINGS_FILE, Setting.PORT, Setting.SQS_PORT,
      Setting.DATA_DIR, Setting.RETRY_BASE_SECONDS, Setting.RETRY_HORIZON_HOURS, Setting.POISON_ATTEMPTS,
      Setting.DISPATCH_CONCURRENCY, Setting.EVENT_HISTORY_LIMIT, Setting.EVENT_HISTORY_DAYS, Setting.LOG_FORMAT);

  static LocalSettings read(Env env) {
    int port = env.integer(Setting.PORT, LocalRelay.DEFAULT_PORT, 0, 65_535);
    int sqsPort = env.integer(Setting.SQS_PORT, LocalRelay.DEFAULT_SQS_PORT, 1, 65_535);
    if (sqsPort == port) {
      throw new com.userpilotrelay.config.ConfigException(Setting.SQS_PORT.name() + ": " + sqsPort
          + " is also PORT; give the embedded SQS its own port");
    }
    String dir = env.optional(Setting.DATA_DIR).orElse(LocalRelay.DEFAULT_DATA_DIR);
    Path dataDir;
    try {
      dataDir = Path.of(dir);
    } catch (InvalidPathException e) {
      throw new com.userpilotrelay.config.ConfigException(Setting.DATA_DIR.name() + ": \"" + dir
          + "\" is not a valid path");
    }
    int maxReceiveCount = LocalRelay.MAX_RECEIVE_COUNT;
    int concurrency = env.integer(Setting.DISPATCH_CONCURRENCY, 1, 1, 64);
    // A batch must be done before its messages become visible again (30 s). The handler keeps a 3 s margin
    // from the remaining time, and the dispatcher starts no call that could outlast what is left, so one
    // call's timeout must leave room to start any call at all.
    int timeoutMs = env.integer(Setting.USERPILOT_TIMEOUT_MS, 10_000, 500, 60_000);
    Duration budget = Duration.ofSeconds(LocalSqs.VISIBILITY_TIMEOUT_SECONDS - 2);
    if (timeoutMs > MAX_LOCAL_TIMEOUT_MS) {
      throw new com.userpilotrelay.config.ConfigException(Setting.USERPILOT_TIMEOUT_MS.name() + ": " + timeoutMs
          + " is too long for the local runner, whose batches must finish within the queue's "
          + LocalSqs.VISIBILITY_TIMEOUT_SECONDS + " s visibility timeout; use at most " + MAX_LOCAL_TIMEOUT_MS);
    }
    boolean signature = env.optional(Setting.SEGMENT_SHARED_SECRET).isPresent()
        || env.optional(Setting.SEGMENT_SHARED_SECRET_ARN).isPresent();
    boolean token = env.optional(Setting.INGEST_TOKEN).isPresent() || env.optional(Setting.INGEST_TOKEN_ARN).isPresent();
    int historyLimit = env.integer(Setting.EVENT_HISTORY_LIMIT, EventHistory.DEFAULT_LIMIT, 1, 1_000_000);
    int historyDays = env.integer(Setting.EVENT_HISTORY_DAYS, EventHistory.DEFAULT_DAYS, 1, 365);
    String format = env.optional(Setting.LOG_FORMAT).orElse("text").trim().toLowerCase(java.util.Locale.ROOT);
    if (!format.equals("text") && !format.equals("json")) {
      throw new com.userpilotrelay.config.ConfigException(Setting.LOG_FORMAT.name()
          + ": must be text (readable lines, the default) or json (one JSON object per line, as in Lambda)");
    }
    return new LocalSettings(port, sqsPort, dataDir, maxReceiveCount, concurrency, budget, signature, token,
        historyLimit, Duration.ofDays(historyDays), format.equals("json"));
  }

  boolean authConfigured() {
    return signature || token;
  }

  String authDescription() {
    if (signature && token) {
      return "X-Signature (SEGMENT_SHARED_SECRET) and a token (INGEST_TOKEN), both required";
    }
    if (signature) {
      return "X-Signature (SEGMENT_SHARED_SECRET)";
    }
    if (token) {
      return "token (INGEST_TOKEN) as Authorization: Bearer <token> or Basic";
    }
    return "OFF (set SEGMENT_SHARED_SECRET or INGEST_TOKEN)";
  }

  /**
   * The environment the handlers read: every setting the caller gave (never AWS_LAMBDA_FUNCTION_NAME, so
   * the handlers' Lambda-only rules stay off), the overrides, and LOCAL_DEV_NO_AUTH=true without credentials.
   */
  static Env derive(Env env, Map<Setting, String> overrides) {
    Map<String, String> values = new HashMap<>();
    for (Setting s : Setting.values()) {
      env.optional(s).ifPresent(v -> values.put(s.name(), v));
    }
    // Here DISPATCH_CONCURRENCY is the number of pollers, and they share one dispatcher and so one rate
    // pacer: that pacer must not divide Userpilot's rate limit between them as separate Lambdas' pacers do.
    values.put(Setting.DISPATCH_CONCURRENCY.name(), "1");
    overrides.forEach((s, v) -> values.put(s.name(), v));
    boolean credentials = values.containsKey(Setting.SEGMENT_SHARED_SECRET.name())
        || values.containsKey(Setting.SEGMENT_SHARED_SECRET_ARN.name())
        || values.containsKey(Setting.INGEST_TOKEN.name()) || values.containsKey(Setting.INGEST_TOKEN_ARN.name());
    if (!credentials) {
      values.put(Setting.LOCAL_DEV_NO_AUTH.name(), "true");
    }
    return Env.of(values);
  }

  /** A URL safe to print: without user information (a URL can carry credentials). */
  static URI printable(URI uri) {
    if (uri.getUserInfo() == null) {
      return uri;
    }
    try {
      return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
    } catch (URISyntaxException e) {
      return URI.create(uri.getScheme() + "://" + uri.getHost());
    }
  }
}
