package com.userpilotrelay.ingest;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Ingest's mark on every event it accepted, checked by the dispatcher before anything reaches Userpilot: only
 * what this relay's ingest validated is ever delivered. With a key (the local runner keeps one in DATA_DIR,
 * where its unauthenticated embedded SQS port could otherwise be a way in), the mark is an HMAC-SHA256 of the
 * message body; without one (Lambda, where IAM lets only the two functions write to the queue) it is a fixed
 * marker that refused input never carries.
 */
public final class IngestStamp {
  public static final String ATTRIBUTE = "relayStamp";
  static final String MARKER = "ingest-v1";

  private final byte[] key;

  private IngestStamp(byte[] key) {
    this.key = key;
  }

  public static IngestStamp keyed(byte[] key) {
    if (key == null || key.length < 16) {
      throw new IllegalArgumentException("stamp key must have at least 16 bytes");
    }
    return new IngestStamp(key.clone());
  }

  public static IngestStamp marker() {
    return new IngestStamp(null);
  }

  public String stamp(String body) {
    return key == null ? MARKER : "h1:" + HexFormat.of().formatHex(mac(body));
  }

  /** True when {@code stamp} is this relay's mark for {@code body}; compared in constant time. */
  public boolean verify(String body, String stamp) {
    if (stamp == null || body == null) {
      return false;
    }
    byte[] expected = stamp(body).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, stamp.getBytes(StandardCharsets.UTF_8));
  }

  private byte[] mac(String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(body.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
