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
    if (authenticator.requiresSignature() && token.filter(t -> !t.isEmpty()).isEmpty()) {
      Log.warn(SIGNATURE_ONLY_WARNING, Map.of());
    }
    return authenticator;
  }

  /**
   * Segment's Webhooks (Actions) signs only the first event of a batch, so with the signature alone
   * anyone holding one captured signed event can put it first and append events of their own. Refusing
   * such batches is no fix: a 401 is never retried, so Segment would drop real batches with it.
   */
  static final String SIGNATURE_ONLY_WARNING = "only a shared secret is configured: Segment's X-Signature covers"
      + " just the first event of a batch, so the later events of a batch are not covered by the signature and"
      + " anyone who captured one signed event can append events to it; also set an ingest token ("
      + Setting.INGEST_TOKEN_ARN.name() + ", locally " + Setting.INGEST_TOKEN.name() + ") and send it from"
      + " Segment as an Authorization header: the token covers the whole request";

  public static IngestService service(Env env, SecretSource secrets, SqsClient sqs) {
    return service(env, secrets, sqs, IngestStamp.marker());
  }

  /** Ingest writes only to the events queue and the rejected queue; the dead-letter queue is dispatch's. */
  public static IngestService service(Env env, SecretSource secrets, SqsClient sqs, IngestStamp stamp) {
    return service(env, secrets, sqs, stamp, SqsEventQueue.DEFAULT_BUDGET);
  }

  /**
   * @param sendBudget how long a send keeps starting attempts: the Lambda function's default fits its 10 s
   *     timeout; the local runner, whose embedded queue writes each message to disk, takes longer for a
   *     4,000-event batch and has no Lambda timeout, only Segment's 10 s
   */
  public static IngestService service(Env env, SecretSource secrets, SqsClient sqs, IngestStamp stamp,
      java.time.Duration sendBudget) {
    RequestAuthenticator authenticator = authenticator(env, secrets);
    EventQueue queue = new SqsEventQueue(sqs, env.required(Setting.EVENTS_QUEUE_URL), null,
        env.required(Setting.REJECTED_QUEUE_URL), SEND_CONCURRENCY, sendBudget);
    return new IngestService(authenticator, queue, stamp);
  }
}
