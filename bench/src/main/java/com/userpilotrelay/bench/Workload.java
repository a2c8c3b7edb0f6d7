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
 * of them make a body of about 500 KB — Segment's own per-request limits.
 */
public final class Workload {
  /** A 2,500-event array body: the largest request the relay accepts (≤ 500 KB, ≤ 2,500 events). */
  static final int MAX_EVENTS = SegmentLimits.MAX_EVENTS_PER_REQUEST;
  /** What the largest body aims at: just under Segment's 500 KB (512,000-byte) request limit. */
  public static final int TARGET_BYTES = 505_000;

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

  private static byte[] write(List<ObjectNode> events) {
    ArrayNode array = Json.MAPPER.createArrayNode();
    events.forEach(array::add);
    return Json.writeBytes(array);
  }
}
