package com.userpilotrelay.ingest;

import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.queue.EventQueue;
import com.userpilotrelay.queue.SqsEventQueue;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.sqs.SqsClient;

/** Builds ingest from settings, failing closed: no credential configured means no start. */
public final class IngestSetup {
  /** Concurrent SendMessageBatch calls: a 2,500-event request is 250 calls. */
  static final int SEND_CONCURRENCY = 16;

  private IngestSetup() {}

  public static RequestAuthenticator authenticator(Env env, SecretSource secrets) {
    Optional<String> secret = env.secret(Setting.SEGMENT_SHARED_SECRET_ARN, Setting.SEGMENT_SHARED_SECRET, secrets);
    Optional<String> token = env.secret(Setting.INGEST_TOKEN_ARN, Setting.INGEST_TOKEN, secrets);
    RequestAuthenticator authenticator = new RequestAuthenticator(secret, token);
    boolean noAuthAllowed = env.flag(Setting.LOCAL_DEV_NO_AUTH);
    if (noAuthAllowed && env.inLambda()) {
      throw new ConfigException(Setting.LOCAL_DEV_NO_AUTH.name()
          + ": is for local development only; unset it and configure a shared secret or token");
    }
    if (!authenticator.enabled()) {
      if (!noAuthAllowed) {
        throw new ConfigException("no credential configured: set " + Setting.SEGMENT_SHARED_SECRET_ARN.name() + " or "
            + Setting.INGEST_TOKEN_ARN.name() + " (locally " + Setting.SEGMENT_SHARED_SECRET.name() + " or "
            + Setting.INGEST_TOKEN.name() + ", or " + Setting.LOCAL_DEV_NO_AUTH.name() + "=true)");
      }
      Log.warn("authentication is OFF (LOCAL_DEV_NO_AUTH=true): anyone who can reach this port can send events",
          Map.of());
    }
    return authenticator;
  }

  public static IngestService service(Env env, SecretSource secrets, SqsClient sqs) {
    return service(env, secrets, sqs, IngestStamp.marker());
  }

  /** Ingest writes only to the events queue and the rejected queue; the dead-letter queue is dispatch's. */
  public static IngestService service(Env env, SecretSource secrets, SqsClient sqs, IngestStamp stamp) {
    RequestAuthenticator authenticator = authenticator(env, secrets);
    EventQueue queue = new SqsEventQueue(sqs, env.required(Setting.EVENTS_QUEUE_URL), null,
        env.required(Setting.REJECTED_QUEUE_URL), SEND_CONCURRENCY);
    return new IngestService(authenticator, queue, stamp);
  }
}
