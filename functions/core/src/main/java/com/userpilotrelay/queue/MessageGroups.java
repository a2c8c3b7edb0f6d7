package com.userpilotrelay.queue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * FIFO ids from sender text. Group and deduplication ids allow at most 128 characters of a restricted set,
 * while a userId or messageId may hold anything: both are SHA-256 digests, so any sender value maps to a
 * valid id and two different values never share one.
 */
public final class MessageGroups {
  private MessageGroups() {}

  /** The message group of an ordering key (e.g. {@code user:42}). */
  public static String groupId(String orderingKey) {
    return "g-" + sha256(orderingKey);
  }

  /**
   * The deduplication id of one event: its messageId within its group. Including the group makes SQS's
   * queue-wide deduplication (ElasticMQ's only mode) behave as the deployed queue's per-group scope does.
   */
  public static String deduplicationId(String orderingKey, String messageId) {
    return "m-" + sha256(orderingKey + "\n" + messageId);
  }

  public static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
