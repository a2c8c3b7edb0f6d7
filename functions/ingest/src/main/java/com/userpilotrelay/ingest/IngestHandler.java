package com.userpilotrelay.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.userpilotrelay.config.AwsSecretSource;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.queue.SqsClients;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.segment.SegmentBody;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.crac.Core;
import org.crac.Resource;

/** API Gateway HTTP API (payload 2.0) in, Segment's answer out. Everything else is IngestService. */
public final class IngestHandler
    implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>, Resource {

  private static final Map<String, String> JSON = Map.of("content-type", "application/json");

  /** Built on first use, once per container; a bad setting fails the function's start (fail closed). */
  private static final class Deployed {
    static final IngestService SERVICE =
        IngestSetup.service(Env.system(), new AwsSecretSource(), SqsClients.aws());
  }

  private final IngestService service;

  /** The Lambda runtime's constructor: settings from the environment, primed before a SnapStart snapshot. */
  public IngestHandler() {
    this(Deployed.SERVICE);
    Core.getGlobalContext().register(this);
  }

  public IngestHandler(IngestService service) {
    this.service = service;
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
        return new byte[com.userpilotrelay.segment.SegmentLimits.MAX_REQUEST_BYTES + 1];
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
    // Warm the parse and validation paths into the snapshot; no network, no side effects.
    byte[] sample = "[{\"type\":\"identify\",\"userId\":\"prime\",\"traits\":{\"a\":1}}]".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 200; i++) {
      SegmentBody body = SegmentBody.parse(sample);
      EventValidator.validate(body.events().get(0).node(), body.events().get(0).rawBytes());
      SegmentBody.signedBytesOf(sample);
    }
  }

  @Override
  public void afterRestore(org.crac.Context<? extends Resource> context) {
    // Nothing to refresh: clients resolve credentials per request.
  }
}
