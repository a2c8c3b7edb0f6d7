package com.userpilotrelay.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.http.ContentEncoding;
import com.userpilotrelay.http.HttpText;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.observe.Metrics;
import com.userpilotrelay.queue.EventQueue;
import com.userpilotrelay.queue.MessageGroups;
import com.userpilotrelay.queue.QueueMessage;
import com.userpilotrelay.segment.BodyException;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.segment.OrderingKey;
import com.userpilotrelay.segment.SegmentBody;
import com.userpilotrelay.segment.SegmentLimits;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Ingest, start to finish: content type, size, UTF-8, credentials (on the raw bytes), body shape, Segment Spec
 * validation, then the valid events durably enqueued and the invalid ones quarantined. The status
 * makes Segment retry exactly when retrying can help: 5xx only when something was not stored.
 */
public final class IngestService {
  /** Base64 inflates by 4/3; anything longer than this cannot decode to an acceptable body. */
  public static final int MAX_ENCODED_BYTES = SegmentLimits.MAX_REQUEST_BYTES / 3 * 4 + 8;

  /** When ingest accepted the event (epoch milliseconds): the dispatcher reports its age from it. */
  public static final String ACCEPTED_AT_ATTRIBUTE = "relayAcceptedAt";

  /**
   * A quarantined event is stored whole up to this size; SQS's classic limit is 256 KiB for body and
   * attributes together, and an event over the 32 KB limit can be 500 KB, tripled by ASCII escaping.
   */
  static final int MAX_QUARANTINE_CHARS = 200_000;
  /** What is kept of a longer one: JSON-quoting at most doubles it, so the stub stays under the limit. */
  static final int QUARANTINE_HEAD_CHARS = 100_000;

  private final RequestAuthenticator authenticator;
  private final EventQueue queue;
  private final Supplier<String> messageIds;
  private final IngestStamp stamp;

  public IngestService(RequestAuthenticator authenticator, EventQueue queue, IngestStamp stamp,
      Supplier<String> messageIds) {
    this.authenticator = authenticator;
    this.queue = queue;
    this.stamp = stamp;
    this.messageIds = messageIds;
  }

  public IngestService(RequestAuthenticator authenticator, EventQueue queue, Supplier<String> messageIds) {
    this(authenticator, queue, IngestStamp.marker(), messageIds);
  }

  public IngestService(RequestAuthenticator authenticator, EventQueue queue, IngestStamp stamp) {
    this(authenticator, queue, stamp, () -> UUID.randomUUID().toString());
  }

  public IngestService(RequestAuthenticator authenticator, EventQueue queue) {
    this(authenticator, queue, IngestStamp.marker());
  }

  public IngestResponse handle(IngestRequest request) {
    long started = System.nanoTime();
    IngestResponse response = answer(request);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("status", response.status());
    fields.put("accepted", response.accepted());
    fields.put("rejected", response.rejected());
    fields.put("duplicates", response.duplicates());
    fields.put("bytes", request.body().length);
    fields.put("ms", (System.nanoTime() - started) / 1_000_000);
    // The accepted ids make "where is my event?" answerable from the logs (README, "Find one event").
    fields.put("messageIds", response.messageIds());
    if (response.status() >= 500) {
      Log.error("ingest", fields);
    } else {
      Log.info("ingest", fields);
    }
    Metrics metrics = new Metrics();
    metrics.add("Accepted", response.accepted());
    metrics.add("Rejected", response.rejected());
    metrics.add("Duplicates", response.duplicates());
    metrics.flush(System.out, "ingest");
    return response;
  }

  private IngestResponse answer(IngestRequest request) {
    if (!isJson(request.header("content-type"))) {
      return error(415, "content-type: must be application/json (charset utf-8 if given)");
    }
    byte[] received = request.body();
    // The deployed path carries a compressed body base64-encoded, a plain one as a JSON string.
    boolean compressed = request.header("content-encoding") != null
        && !request.header("content-encoding").isBlank()
        && !request.header("content-encoding").trim().equalsIgnoreCase("identity");
    if (received.length > SegmentLimits.MAX_REQUEST_BYTES || !SegmentLimits.fitsInvocation(received, compressed)) {
      return tooLarge(received, compressed);
    }
    byte[] body;
    try {
      body = ContentEncoding.decode(request.header("content-encoding"), received, SegmentLimits.MAX_REQUEST_BYTES);
    } catch (ContentEncoding.Refused e) {
      return error(e.status(), e.getMessage());
    }
    try {
      SegmentBody.requireUtf8(body);
    } catch (BodyException e) {
      return error(400, e.getMessage());
    }
    if (!authenticated(request, body)) {
      return error(401, "unauthorized: credentials are missing or wrong");
    }
    SegmentBody parsed;
    try {
      parsed = SegmentBody.parse(body);
    } catch (BodyException e) {
      return error(e.tooLarge() ? 413 : 400, e.getMessage());
    }
    return enqueue(parsed);
  }

  /** Over the ceiling: Segment does not retry a 413, so the answer says what to change there. */
  private static IngestResponse tooLarge(byte[] body, boolean compressed) {
    return error(413, "body: " + body.length + " bytes need " + SegmentLimits.invocationBytes(body, compressed)
        + " bytes in the Lambda invocation that carries them, over its " + SegmentLimits.LAMBDA_INVOCATION_BYTES
        + "-byte limit; " + SegmentLimits.BATCH_ADVICE);
  }

  /** Checked on the decoded bytes: Segment signs the JSON, not its compressed form. */
  private boolean authenticated(IngestRequest request, byte[] body) {
    if (!authenticator.enabled()) {
      return true;
    }
    return authenticator.verify(request.header("x-signature"), request.header("authorization"), body);
  }

  private IngestResponse enqueue(SegmentBody parsed) {
    List<QueueMessage> valid = new ArrayList<>();
    List<String> acceptedIds = new ArrayList<>();
    List<QueueMessage> quarantine = new ArrayList<>();
    ArrayNode rejected = Json.MAPPER.createArrayNode();
    ArrayNode assigned = Json.MAPPER.createArrayNode();
    ArrayNode duplicates = Json.MAPPER.createArrayNode();
    Set<String> seen = new HashSet<>();
    boolean allTooLarge = true;
    String acceptedAt = Long.toString(System.currentTimeMillis());

    for (SegmentBody.RawEvent raw : parsed.events()) {
      JsonNode event = raw.node();
      List<String> errors = EventValidator.validate(event, raw.rawBytes());
      String givenId = givenMessageId(event);
      if (!errors.isEmpty()) {
        allTooLarge &= raw.rawBytes() > SegmentLimits.MAX_EVENT_BYTES;
        ObjectNode entry = rejected.addObject();
        entry.put("index", raw.index());
        if (givenId != null) {
          entry.put("messageId", givenId);
        } else {
          entry.putNull("messageId");
        }
        ArrayNode list = entry.putArray("errors");
        errors.forEach(list::add);
        quarantine.add(quarantined(raw, givenId, errors));
        continue;
      }
      ObjectNode object = (ObjectNode) event;
      String messageId = givenId;
      if (messageId == null) {
        messageId = messageIds.get();
        object.put("messageId", messageId);
        assigned.addObject().put("index", raw.index()).put("messageId", messageId);
      } else if (!object.get("messageId").isTextual()) {
        object.put("messageId", messageId);
      }
      if (!seen.add(messageId)) {
        duplicates.addObject().put("index", raw.index()).put("messageId", messageId);
        continue;
      }
      acceptedIds.add(messageId);
      String body = Json.writeAscii(object);
      Map<String, String> attributes = attributesOf(object, messageId);
      attributes.put(ACCEPTED_AT_ATTRIBUTE, acceptedAt);
      attributes.put(IngestStamp.ATTRIBUTE, stamp.stamp(body));
      String key = OrderingKey.of(object);
      valid.add(new QueueMessage(messageId, body, attributes, MessageGroups.groupId(key),
          MessageGroups.deduplicationId(key, messageId)));
    }

    // Quarantine first: once the good events are queued, a 503 would make Segment send them again.
    if (!queue.reject(quarantine).isEmpty()) {
      return error(503, "queue: could not store the rejected events for inspection; Segment will retry");
    }
    if (!queue.enqueue(valid).isEmpty()) {
      return error(503, "queue: could not store every event; Segment will retry");
    }

    ObjectNode answer = Json.object();
    answer.put("accepted", acceptedIds.size());
    ArrayNode ids = answer.putArray("messageIds");
    acceptedIds.forEach(ids::add);
    if (!assigned.isEmpty()) {
      answer.set("assigned", assigned);
    }
    if (!duplicates.isEmpty()) {
      answer.set("duplicates", duplicates);
    }
    int status = 200;
    if (!rejected.isEmpty()) {
      answer.set("rejected", rejected);
      if (acceptedIds.isEmpty()) {
        status = allTooLarge ? 413 : 400;
      }
    }
    return new IngestResponse(status, Json.write(answer), acceptedIds.size(), rejected.size(), duplicates.size(),
        acceptedIds);
  }

  private static QueueMessage quarantined(SegmentBody.RawEvent raw, String givenId, List<String> errors) {
    String body = Json.writeAscii(raw.node());
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("stage", "ingest");
    attributes.put("reason", truncate("event " + raw.index() + ": " + String.join("; ", errors), 1000));
    attributes.put("index", Integer.toString(raw.index()));
    if (givenId != null) {
      attributes.put("messageId", truncate(givenId, SegmentLimits.MAX_MESSAGE_ID_CHARS));
    }
    if (body.length() > MAX_QUARANTINE_CHARS) {
      // Only an event already over the size limit gets here (ASCII escaping triples emoji at most).
      attributes.put("truncated", "kept the first " + QUARANTINE_HEAD_CHARS + " of " + body.length() + " characters");
      ObjectNode stub = Json.object();
      stub.put("relayTruncated", true);
      stub.put("characters", body.length());
      stub.put("head", body.substring(0, QUARANTINE_HEAD_CHARS));
      body = Json.writeAscii(stub);
    }
    return QueueMessage.unordered("rejected-" + raw.index(), body, attributes);
  }

  static Map<String, String> attributesOf(JsonNode event, String messageId) {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("type", event.path("type").asText());
    attributes.put("messageId", messageId);
    String user = EventValidator.userKey(event);
    if (user != null) {
      attributes.put("userId", truncate(user, 256));
    }
    return attributes;
  }

  private static String givenMessageId(JsonNode event) {
    JsonNode id = event.get("messageId");
    if (id == null || id.isNull() || !(id.isTextual() || id.isIntegralNumber()) || id.asText().isBlank()) {
      return null;
    }
    return id.asText();
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String[] parts = contentType.split(";");
    if (!HttpText.stripOws(parts[0]).toLowerCase(Locale.ROOT).equals("application/json")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String[] param = parts[i].split("=", 2);
      if (HttpText.stripOws(param[0]).equalsIgnoreCase("charset")) {
        String charset = param.length > 1 ? HttpText.stripOws(param[1]).replace("\"", "") : "";
        if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
          return false;
        }
      }
    }
    return true;
  }

  private static IngestResponse error(int status, String message) {
    ObjectNode body = Json.object();
    body.put("error", message);
    return new IngestResponse(status, Json.write(body), 0, 0);
  }

  private static String truncate(String value, int max) {
    return value.length() <= max ? value : value.substring(0, max - 1) + "…";
  }
}
