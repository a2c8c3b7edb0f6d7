package com.userpilotrelay.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.segment.SegmentLimits;
import com.userpilotrelay.testing.EmbeddedSqs;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The request ceiling is what the deployed path can carry: the whole API Gateway payload-2.0 event,
 * body included, must fit Lambda's 6 MB synchronous invocation payload. Measured on the real event
 * class, then held at the ceiling, just under and just over it through the real handler and ElasticMQ.
 */
class IngestCeilingTest {
  private static EmbeddedSqs sqs;

  @BeforeAll
  static void start() {
    sqs = new EmbeddedSqs();
  }

  @AfterAll
  static void stop() {
    sqs.close();
  }

  /** The event API Gateway sends, with every header slot filled as far as its 10 KiB header limit allows. */
  private static APIGatewayV2HTTPEvent gatewayEvent(String body, boolean base64) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-type", "application/json");
    headers.put("x-signature", "0".repeat(40));
    headers.put("authorization", "Bearer " + "t".repeat(64));
    headers.put("user-agent", "Segment (Actions)");
    headers.put("x-amzn-trace-id", "Root=1-67890abc-0123456789abcdef01234567");
    headers.put("x-forwarded-for", "203.0.113.7");
    // The rest of API Gateway's 10,240-byte request line and header budget, as quotes that JSON doubles.
    headers.put("x-filler", "\"".repeat(9_000));
    APIGatewayV2HTTPEvent.RequestContext context = APIGatewayV2HTTPEvent.RequestContext.builder()
        .withAccountId("123456789012").withApiId("abcdefghij").withDomainName("abcdefghij.execute-api.eu-west-1.amazonaws.com")
        .withDomainPrefix("abcdefghij").withRequestId("JKJaXmPLvHcESHA=").withRouteKey("POST /segment")
        .withStage("$default").withTime("06/Dec/2026:00:00:00 +0000").withTimeEpoch(1796515200000L)
        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder().withMethod("POST").withPath("/segment")
            .withProtocol("HTTP/1.1").withSourceIp("203.0.113.7").withUserAgent("Segment (Actions)").build())
        .build();
    return APIGatewayV2HTTPEvent.builder().withVersion("2.0").withRouteKey("POST /segment").withRawPath("/segment")
        .withRawQueryString("").withHeaders(headers).withRequestContext(context)
        .withBody(base64 ? Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)) : body)
        .withIsBase64Encoded(base64).build();
  }

  private static int invocationBytes(APIGatewayV2HTTPEvent event) throws Exception {
    return new ObjectMapper().writeValueAsBytes(event).length;
  }

  /** Valid JSON of exactly {@code bytes} bytes that JSON-string escaping doubles: all {@code \"} pairs. */
  private static String worstCaseBody(int bytes) {
    String head = "[{\"type\":\"identify\",\"userId\":\"u\",\"traits\":{\"q\":\"";
    String tail = "\"}}]";
    int room = bytes - head.length() - tail.length();
    return head + "\\\"".repeat(room / 2) + "x".repeat(room % 2) + tail;
  }

  @Test
  void theComputedCostNeverUnderestimatesTheRealEventWhateverTheBodyHolds() throws Exception {
    String segmentBatch = batchOf(200_000, "cost");
    String nonAscii = "[{\"type\":\"identify\",\"userId\":\"u\",\"traits\":{\"n\":\"" + "Zoë ✓ 😀 ".repeat(20_000) + "\"}}]";
    String controls = "[{\"type\":\"identify\",\"userId\":\"u\"}\n\t\r" + "\n".repeat(50_000) + "]";
    for (String body : new String[] {worstCaseBody(300_000), segmentBatch, nonAscii, controls}) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      long computed = SegmentLimits.invocationBytes(bytes, false);
      int real = invocationBytes(gatewayEvent(body, false));
      assertTrue(computed >= real, "as a JSON string: computed " + computed + " < real " + real);
      assertTrue(computed < real * 3L, "not absurdly pessimistic: " + computed + " vs " + real);
      assertTrue(SegmentLimits.invocationBytes(bytes, true) >= invocationBytes(gatewayEvent(body, true)), "base64");
    }
  }

  @Test
  void segmentsLargestBatchOfTypicalEventsFitsAndAQuoteHeavyBodyOfTheSameSizeDoesNot() throws Exception {
    // 4,000 events of 1.2 KB (Segment's largest batch, the size issue 12 measured): about 4.8 MB.
    String typical = batchOf(4_800_000, "big");
    byte[] bytes = typical.getBytes(StandardCharsets.UTF_8);
    assertTrue(SegmentLimits.fitsInvocation(bytes, false), "cost " + SegmentLimits.invocationBytes(bytes, false));
    assertTrue(invocationBytes(gatewayEvent(typical, false)) <= SegmentLimits.LAMBDA_INVOCATION_BYTES);
    String quotes = worstCaseBody(4_800_000);
    assertTrue(invocationBytes(gatewayEvent(quotes, false)) > SegmentLimits.LAMBDA_INVOCATION_BYTES,
        "the platform could not carry it");
    assertTrue(!SegmentLimits.fitsInvocation(quotes.getBytes(StandardCharsets.UTF_8), false), "and ingest says so");
  }

  /** A valid batch of 200 events of up to 31 KB each, padded with letters to exactly {@code bytes}. */
  private static String batchOf(int bytes, String run) {
    int events = 200;
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < events; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"type\":\"identify\",\"userId\":\"ceiling-").append(1000 + i)
          .append("\",\"messageId\":\"").append(run).append('-').append(1000 + i).append("\",\"traits\":{\"pad\":\"")
          .append("\"}}");
    }
    sb.append("]");
    int perEvent = (bytes - sb.length()) / events;
    int remainder = (bytes - sb.length()) % events;
    StringBuilder out = new StringBuilder(bytes);
    int event = 0;
    for (String part : sb.toString().split("\"pad\":\"", -1)) {
      out.append(part);
      if (event < events) {
        out.append("\"pad\":\"").append("p".repeat(perEvent + (event == events - 1 ? remainder : 0)));
      }
      event++;
    }
    return out.toString();
  }

  private static APIGatewayV2HTTPResponse send(IngestHandler handler, String body, boolean base64) {
    APIGatewayV2HTTPEvent event = gatewayEvent(body, base64);
    Map<String, String> headers = new LinkedHashMap<>(event.getHeaders());
    headers.remove("x-filler");
    headers.putAll(IngestScenario.credentials(body));
    event.setHeaders(headers);
    return handler.handleRequest(event, null);
  }

  @Test
  void atAndJustUnderTheCeilingEveryEventIsQueuedAndJustOverIs413() {
    IngestHandler handler = new IngestHandler(new IngestService(
        new com.userpilotrelay.auth.RequestAuthenticator(java.util.Optional.of(IngestScenario.SECRET),
            java.util.Optional.of(IngestScenario.TOKEN)),
        new com.userpilotrelay.queue.SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(), sqs.rejectedUrl(),
            8)));
    String run = UUID.randomUUID().toString().substring(0, 8);
    // The body whose cost is exactly the invocation limit: padding letters cost one byte each.
    String probe = batchOf(1_000_000, run + "a");
    int max = (int) (1_000_000 + SegmentLimits.LAMBDA_INVOCATION_BYTES
        - SegmentLimits.invocationBytes(probe.getBytes(StandardCharsets.UTF_8), false));
    String at = batchOf(max, run + "a");
    assertEquals(SegmentLimits.LAMBDA_INVOCATION_BYTES, SegmentLimits.invocationBytes(at.getBytes(StandardCharsets.UTF_8),
        false));
    APIGatewayV2HTTPResponse atCeiling = send(handler, at, false);
    assertEquals(200, atCeiling.getStatusCode(), atCeiling.getBody());
    assertEquals(200, Json.parse(atCeiling.getBody()).get("accepted").asInt());

    APIGatewayV2HTTPResponse under = send(handler, batchOf(max - 1, run + "u"), false);
    assertEquals(200, under.getStatusCode(), under.getBody());
    assertEquals(200, Json.parse(under.getBody()).get("accepted").asInt());
    assertEquals(400, sqs.drain(sqs.queueUrl()).size(), "every accepted event is on the queue");

    APIGatewayV2HTTPResponse over = send(handler, batchOf(max + 1, run + "o"), false);
    assertEquals(413, over.getStatusCode(), over.getBody());
    String error = Json.parse(over.getBody()).get("error").asText();
    assertTrue(error.startsWith("body: " + (max + 1) + " bytes need " + (SegmentLimits.LAMBDA_INVOCATION_BYTES + 1)
        + " bytes in the Lambda invocation"), error);
    assertTrue(error.contains("Batch Size (batch_size)"), error);
    assertEquals(0, sqs.depth(sqs.queueUrl()));
    assertEquals(0, sqs.depth(sqs.deadLetterUrl()));
  }

  @Test
  void aBase64BodyTooLongToDecodeUnderTheCeilingIs413WithoutDecoding() {
    IngestHandler handler = new IngestHandler(new IngestService(
        new com.userpilotrelay.auth.RequestAuthenticator(java.util.Optional.of("s"), java.util.Optional.empty()),
        new com.userpilotrelay.testing.RecordingQueue()));
    APIGatewayV2HTTPEvent event = APIGatewayV2HTTPEvent.builder().withHeaders(Map.of("content-type", "application/json"))
        .withBody("!".repeat(IngestService.MAX_ENCODED_BYTES + 1)).withIsBase64Encoded(true).build();
    APIGatewayV2HTTPResponse response = handler.handleRequest(event, null);
    assertEquals(413, response.getStatusCode(), "not 400 for the invalid base64: it was never decoded");
    JsonNode error = Json.parse(response.getBody()).get("error");
    assertTrue(error.asText().contains("Lambda invocation"), error.asText());
    assertTrue(IngestService.MAX_ENCODED_BYTES >= (SegmentLimits.MAX_REQUEST_BYTES + 2) / 3 * 4,
        "a body at the ceiling is never refused by the base64 pre-check");
  }
}
