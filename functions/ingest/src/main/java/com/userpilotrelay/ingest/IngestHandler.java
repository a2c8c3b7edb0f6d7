package com.userpilotrelay.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.userpilotrelay.config.AwsSecretSource;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.http.ContentEncoding;
import com.userpilotrelay.prime.QueuePriming;
import com.userpilotrelay.queue.SqsClients;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.segment.SegmentLimits;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;
import software.amazon.awssdk.services.sqs.SqsClient;

/** API Gateway HTTP API (payload 2.0) in, Segment's answer out. Everything else is IngestService. */
public final class IngestHandler
    implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>, Resource {

  private static final Map<String, String> JSON = Map.of("content-type", "application/json");

  /** Built on first use, once per container; a bad setting fails the function's start (fail closed). */
  private static final class Deployed {
    static final Env ENV = Env.system();
    static final SqsClient SQS = SqsClients.aws();
    static final IngestService SERVICE = IngestSetup.service(ENV, new AwsSecretSource(), SQS);
    static final String QUEUE_URL = ENV.required(Setting.EVENTS_QUEUE_URL);
  }

  private final IngestService service;
  /** The client and queue the SnapStart priming calls; null for handlers built without them (tests). */
  private final SqsClient sqs;
  private final String queueUrl;

  /** The Lambda runtime's constructor: settings from the environment, primed before a SnapStart snapshot. */
  public IngestHandler() {
    this(Deployed.SERVICE, Deployed.SQS, Deployed.QUEUE_URL);
    Core.getGlobalContext().register(this);
  }

  public IngestHandler(IngestService service) {
    this(service, null, null);
  }

  /** A handler whose {@link #beforeCheckpoint} also primes the SQS client with a call to {@code queueUrl}. */
  public IngestHandler(IngestService service, SqsClient sqs, String queueUrl) {
    this.service = service;
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  @Override
  public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
    byte[] body;
    try {
      body = decode(event);
    } catch (IllegalArgumentException e) {
      return respond(new IngestResponse(400, "{\"error\":\"body: not valid base64\"}", 0, 0));
    }
    return respond(service.handle(new IngestRequest(event.getHeaders(), body)));
  }

  static byte[] decode(APIGatewayV2HTTPEvent event) {
    String raw = event.getBody();
    if (raw == null) {
      return new byte[0];
    }
    if (event.getIsBase64Encoded()) {
      if (raw.length() > IngestService.MAX_ENCODED_BYTES) {
        // Too long to decode to an acceptable body: hand over a body that is merely over the limit.
        return new byte[SegmentLimits.MAX_REQUEST_BYTES + 1];
      }
      return Base64.getDecoder().decode(raw);
    }
    return raw.getBytes(StandardCharsets.UTF_8);
  }

  private static APIGatewayV2HTTPResponse respond(IngestResponse response) {
    return APIGatewayV2HTTPResponse.builder()
        .withStatusCode(response.status())
        .withHeaders(JSON)
        .withBody(response.body())
        .build();
  }

  @Override
  public void beforeCheckpoint(org.crac.Context<? extends Resource> context) throws Exception {
    // Warm the parse, validation, signature and decompression paths into the snapshot: no side effects.
    byte[] sample = "[{\"type\":\"identify\",\"userId\":\"prime\",\"traits\":{\"a\":1}}]".getBytes(StandardCharsets.UTF_8);
    byte[] gzipped = gzip(sample);
    for (int i = 0; i < 200; i++) {
      SegmentBody body = SegmentBody.parse(ContentEncoding.decode("gzip", gzipped, SegmentLimits.MAX_REQUEST_BYTES));
      EventValidator.validate(body.events().get(0).node(), body.events().get(0).rawBytes());
      RequestAuthenticator.sign("prime", SegmentBody.signedBytesOf(sample));
    }
    QueuePriming.prime(sqs, queueUrl);
  }

  private static byte[] gzip(byte[] data) throws java.io.IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /** Connections, credentials and randomness need nothing here: QueuePriming's class comment says why. */
  @Override
  public void afterRestore(org.crac.Context<? extends Resource> context) {
    // Deliberately nothing (see QueuePriming).
  }
}
