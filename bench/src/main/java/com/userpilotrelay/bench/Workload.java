package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.segment.SegmentLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic Segment traffic: a mix of track (60 %), identify (30 %) and group (10 %) events with the
 * fields Segment sends (messageId, timestamp, traits or properties), about 200 bytes each, so that 2,500
 * of them make a body of about 500 KB; and Segment events with their context, as Webhooks (Actions)
 * batches them, for the 4,000-event figures.
 */
public final class Workload {
  /** The historic 2,500-event array body (ingest_batch_2500_ms): about 500 KB of 200-byte events. */
  static final int MAX_EVENTS = 2_500;
  /** What that body aims at: 505,000 bytes, kept so the figure stays comparable across versions. */
  public static final int TARGET_BYTES = 505_000;
  /** Segment's largest batch (Webhooks (Actions) batch_size maximum). */
  static final int SEGMENT_BATCH_EVENTS = SegmentLimits.MAX_EVENTS_PER_REQUEST;

  private static final String[] EVENTS = {"Button Clicked", "Page Viewed", "Report Exported", "Plan Upgraded",
      "Invite Sent", "Search Performed", "Dashboard Opened", "File Uploaded"};
  private static final String[] PLANS = {"free", "starter", "pro", "enterprise"};

  private Workload() {}

  /** The {@code n}-th event of the stream, for user {@code user}. {@code pad} lengthens it to a target size. */
  static ObjectNode event(int n, String user, String kind, int pad) {
    Random r = new Random(n * 7919L + 17);
    ObjectNode e = Json.object();
    e.put("type", kind);
    e.put("userId", user);
    e.put("messageId", String.format("bench-%08d-%04x", n, r.nextInt(0x10000)));
    e.put("timestamp", String.format("2024-05-%02dT%02d:%02d:%02d.%03dZ", 1 + n % 28, n % 24, n % 60, (n * 7) % 60, n % 1000));
    switch (kind) {
      case "identify" -> {
        ObjectNode traits = e.putObject("traits");
        traits.put("email", user + "@example.com");
        traits.put("plan", PLANS[r.nextInt(PLANS.length)]);
        traits.put("createdAt", "2023-0" + (1 + r.nextInt(9)) + "-1" + r.nextInt(10) + "T08:00:00Z");
        if (pad > 0) {
          traits.put("note", "x".repeat(pad));
        }
      }
      case "group" -> {
        e.put("groupId", "company-" + (n % 97));
        ObjectNode traits = e.putObject("traits");
        traits.put("name", "Company " + (n % 97));
        traits.put("employees", 10 + r.nextInt(5000));
        if (pad > 0) {
          traits.put("note", "x".repeat(pad));
        }
      }
      default -> {
        e.put("event", EVENTS[r.nextInt(EVENTS.length)]);
        ObjectNode properties = e.putObject("properties");
        properties.put("plan", PLANS[r.nextInt(PLANS.length)]);
        properties.put("count", r.nextInt(100));
        if (pad > 0) {
          properties.put("note", "x".repeat(pad));
        }
      }
    }
    return e;
  }

  static String kindOf(int n) {
    int k = Math.floorMod(n * 37, 10);
    return k < 6 ? "track" : k < 9 ? "identify" : "group";
  }

  /** {@code count} events for {@code users} distinct users, round robin, padded to {@code pad}. */
  static List<ObjectNode> events(int start, int count, int users, int pad) {
    List<ObjectNode> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int n = start + i;
      list.add(event(n, String.format("user-%05d", n % users), kindOf(n), pad));
    }
    return list;
  }

  /** A JSON array body of {@code count} events (distinct messageIds from {@code start}), about {@code target} bytes. */
  public static byte[] arrayBody(int start, int count, int target) {
    int pad = 0;
    byte[] body = write(events(start, count, 500, pad));
    if (body.length < target) {
      pad = Math.max(0, (target - body.length) / count - 10); // "note":"" costs 10 bytes
      body = write(events(start, count, 500, pad));
    }
    if (body.length > SegmentLimits.MAX_REQUEST_BYTES) {
      throw new IllegalStateException("workload body is over the request limit: " + body.length);
    }
    return body;
  }

  /**
   * A track event as Segment's Webhooks (Actions) sends it: the full event with the context a browser
   * source adds (library, page, user agent, campaign, traits), about 1 KB before {@code pad}; {@code lean}
   * leaves out the user agent, campaign and traits (about 0.7 KB), as a server-side source sends.
   */
  static ObjectNode segmentEvent(int n, int pad, boolean lean) {
    ObjectNode e = event(n, String.format("user-%05d", n % 500), "track", pad);
    e.put("anonymousId", String.format("anon-%05d-4c8e-9d1f-0b2a7e6f5d3c", n % 500));
    e.put("sentAt", "2026-12-06T00:00:00.120Z");
    e.put("receivedAt", "2026-12-06T00:00:00.250Z");
    e.put("originalTimestamp", e.get("timestamp").asText());
    ObjectNode context = e.putObject("context");
    context.put("ip", "203.0.113." + (n % 250));
    context.put("locale", "en-GB");
    context.put("timezone", "Europe/London");
    context.putObject("library").put("name", "analytics.js").put("version", "next-1.70.0");
    context.putObject("page").put("path", "/reports/exports").put("referrer", "https://app.example.com/reports")
        .put("search", "?range=30d").put("title", "Exports · Reports")
        .put("url", "https://app.example.com/reports/exports?range=30d");
    if (lean) {
      e.putObject("integrations").put("All", true);
      return e;
    }
    context.put("userAgent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
        + " Chrome/131.0.0.0 Safari/537.36");
    context.putObject("campaign").put("name", "winter").put("source", "newsletter").put("medium", "email");
    context.putObject("traits").put("email", "person" + (n % 500) + "@example.com").put("plan", "team");
    e.putObject("integrations").put("All", true);
    e.put("writeKey", "abcdefghijklmnopqrstuvwxyz012345");
    e.put("version", 2);
    return e;
  }

  /**
   * A JSON array of {@code count} Segment events (messageIds from {@code start}) of about
   * {@code eventBytes} each (at least the lean event's own size), compact as Segment's JSON.stringify
   * writes it.
   */
  public static byte[] segmentBatch(int start, int count, int eventBytes) {
    boolean lean = Json.writeBytes(segmentEvent(start, 0, false)).length > eventBytes;
    int base = Json.writeBytes(segmentEvent(start, 0, lean)).length;
    int pad = Math.max(0, eventBytes - base - 10); // "note":"" costs 10 bytes
    List<ObjectNode> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      list.add(segmentEvent(start + i, pad, lean));
    }
    byte[] body = write(list);
    if (body.length > SegmentLimits.MAX_REQUEST_BYTES) {
      throw new IllegalStateException("segment batch of " + count + " events of " + eventBytes + " bytes is "
          + body.length + " bytes, over the request limit");
    }
    return body;
  }

  /** The largest event size whose {@code count}-event batch stays within the request limit, at most {@code wanted}. */
  /** The largest event size (up to {@code wanted}) whose batch of {@code count} fits a Lambda invocation. */
  static int eventBytesThatFit(int count, int wanted) {
    int bytes = wanted;
    while (bytes > 200 && !SegmentLimits.fitsInvocation(segmentBatch(0, count, bytes), false)) {
      bytes -= 50;
    }
    return bytes;
  }

  private static byte[] write(List<ObjectNode> events) {
    ArrayNode array = Json.MAPPER.createArrayNode();
    events.forEach(array::add);
    return Json.writeBytes(array);
  }
}
