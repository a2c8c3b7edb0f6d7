package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.queue.MessageGroups;
import com.userpilotrelay.queue.SqsClients;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The dead-letter queue, seen from the local routes: a peek that removes nothing (messages are received,
 * then made visible again at once) and a redrive that moves each message back to the events queue without
 * the attributes that say why it was dead-lettered.
 */
final class DeadLetters {
  /** Most dead letters a listing pages over (as many as one redrive moves); beyond, it says "complete": false. */
  static final int MAX_LISTED = 10_000;
  /** Most dead letters one redrive moves; call it again for more. */
  static final int MAX_REDRIVE = 10_000;
  /** Attributes that describe a failure; a redriven event starts clean. */
  static final Set<String> FAILURE_ATTRIBUTES = Set.of("stage", "reason", "status", "attempts", "index");
  /** How long a held message stays hidden: long enough for a redrive of MAX_REDRIVE, and it comes back anyway. */
  private static final int HOLD_SECONDS = 120;

  private final SqsClient sqs;
  private final String deadLetterUrl;
  private final String eventsUrl;
  private final String listName;

  /** The dead-letter queue: listed and redriven into {@code eventsUrl}. */
  DeadLetters(SqsClient sqs, String deadLetterUrl, String eventsUrl) {
    this(sqs, deadLetterUrl, eventsUrl, "deadLetters");
  }

  /** @param eventsUrl null for a queue that is only listed, never redriven (the rejected queue) */
  DeadLetters(SqsClient sqs, String deadLetterUrl, String eventsUrl, String listName) {
    this.sqs = sqs;
    this.deadLetterUrl = deadLetterUrl;
    this.eventsUrl = eventsUrl;
    this.listName = listName;
  }

  /**
   * One page of the dead letters, in queue message id order: {"deadLetters": [messageId, stage, reason,
   * status, queueMessageId, event ...], "next": the cursor for {@code after}, or null on the last page,
   * "complete": false when there were more than MAX_LISTED to page over}. Removes nothing.
   */
  synchronized ObjectNode page(int limit, String after) {
    List<Message> held = hold(MAX_LISTED);
    release(held);
    Page<Message> page = Page.of(held, Message::messageId, limit, after);
    ObjectNode answer = Json.object();
    ArrayNode list = answer.putArray(listName);
    for (Message m : page.items()) {
      list.add(describe(m));
    }
    answer.put("next", page.next());
    // A FIFO queue hands out none of a user's later letters while earlier ones are held: then fewer are listed
    // than the queue holds, and the answer says so (a redrive still moves them all).
    answer.put("complete", held.size() < MAX_LISTED && held.size() >= SqsClients.depth(sqs, deadLetterUrl));
    return answer;
  }

  /**
   * Moves the dead letters that were there when it started (up to MAX_REDRIVE) back to the events queue, as
   * {@code aws sqs start-message-move-task} does in AWS: each goes to the end of its user's message group, so it
   * is delivered after that user's events accepted meanwhile. Returns how many were moved. A letter that fails
   * again during the redrive is dead-lettered anew and not moved twice.
   */
  synchronized int redrive() {
    if (eventsUrl == null) {
      throw new IllegalStateException("this queue is never redriven");
    }
    long startedAt = System.currentTimeMillis();
    int moved = 0;
    while (moved < MAX_REDRIVE) {
      List<Message> batch = receive();
      if (batch.isEmpty()) {
        break;
      }
      List<Message> now = new ArrayList<>();
      List<Message> later = new ArrayList<>();
      for (Message m : batch) {
        (sentAt(m) <= startedAt ? now : later).add(m);
      }
      release(later);
      if (now.isEmpty()) {
        break;
      }
      List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
      for (Message m : now) {
        entries.add(moved(m, entries.size(), startedAt));
      }
      var result = sqs.sendMessageBatch(b -> b.queueUrl(eventsUrl).entries(entries));
      List<Message> stored = new ArrayList<>();
      List<Message> notStored = new ArrayList<>();
      Set<String> ok = new java.util.HashSet<>();
      result.successful().forEach(e -> ok.add(e.id()));
      for (int i = 0; i < now.size(); i++) {
        (ok.contains(Integer.toString(i)) ? stored : notStored).add(now.get(i));
      }
      delete(stored);
      // What could not be moved stays a dead letter, visible again at once.
      release(notStored);
      moved += stored.size();
      if (!notStored.isEmpty()) {
        break;
      }
    }
    return moved;
  }

  /**
   * The dead letter as an event again: same body, same group, without the attributes that said why it failed.
   * A fresh deduplication id, so the queue does not take it for the copy it dead-lettered minutes ago.
   */
  private static SendMessageBatchRequestEntry moved(Message m, int entryId, long redriveAt) {
    Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
    m.messageAttributes().forEach((name, value) -> {
      if (!FAILURE_ATTRIBUTES.contains(name) && value.stringValue() != null) {
        attributes.put(name, value);
      }
    });
    String group = m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID);
    return SendMessageBatchRequestEntry.builder().id(Integer.toString(entryId)).messageBody(m.body())
        .messageAttributes(attributes)
        .messageGroupId(group != null ? group : "redriven-" + MessageGroups.sha256(m.messageId()))
        .messageDeduplicationId("r-" + MessageGroups.sha256(m.messageId() + "\n" + redriveAt))
        .build();
  }

  private static long sentAt(Message m) {
    try {
      return Long.parseLong(m.attributes().getOrDefault(MessageSystemAttributeName.SENT_TIMESTAMP, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Receives every visible dead letter (up to {@code max}), hidden from other readers until released. */
  private List<Message> hold(int max) {
    List<Message> held = new ArrayList<>();
    Set<String> seen = new java.util.HashSet<>();
    try {
      while (held.size() < max) {
        List<Message> batch = receive();
        if (batch.isEmpty()) {
          break;
        }
        for (Message m : batch) {
          if (seen.add(m.messageId())) {
            held.add(m);
          }
        }
      }
    } catch (RuntimeException e) {
      release(held);
      throw e;
    }
    return held;
  }

  private List<Message> receive() {
    return sqs.receiveMessage(b -> b.queueUrl(deadLetterUrl).maxNumberOfMessages(10).waitTimeSeconds(0)
        .visibilityTimeout(HOLD_SECONDS).messageAttributeNames("All")
        .messageSystemAttributeNames(MessageSystemAttributeName.MESSAGE_GROUP_ID,
            MessageSystemAttributeName.SENT_TIMESTAMP)).messages();
  }

  private void release(List<Message> messages) {
    for (int from = 0; from < messages.size(); from += 10) {
      List<Message> chunk = messages.subList(from, Math.min(messages.size(), from + 10));
      List<ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>();
      for (Message m : chunk) {
        entries.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(Integer.toString(entries.size()))
            .receiptHandle(m.receiptHandle()).visibilityTimeout(0).build());
      }
      sqs.changeMessageVisibilityBatch(b -> b.queueUrl(deadLetterUrl).entries(entries));
    }
  }

  private void delete(List<Message> messages) {
    for (int from = 0; from < messages.size(); from += 10) {
      List<Message> chunk = messages.subList(from, Math.min(messages.size(), from + 10));
      List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
      for (Message m : chunk) {
        entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(entries.size()))
            .receiptHandle(m.receiptHandle()).build());
      }
      sqs.deleteMessageBatch(b -> b.queueUrl(deadLetterUrl).entries(entries));
    }
  }

  static ObjectNode describe(Message m) {
    ObjectNode entry = Json.object();
    JsonNode event;
    try {
      event = Json.parse(m.body());
    } catch (RuntimeException unreadable) {
      event = Json.MAPPER.getNodeFactory().textNode(m.body());
    }
    String messageId = text(m, "messageId");
    if (messageId == null && event.hasNonNull("messageId")) {
      messageId = event.get("messageId").asText();
    }
    entry.put("messageId", messageId);
    entry.put("stage", text(m, "stage"));
    entry.put("reason", text(m, "reason"));
    String status = text(m, "status");
    if (status != null && status.matches("\\d{1,3}")) {
      entry.put("status", Integer.parseInt(status));
    } else {
      entry.putNull("status");
    }
    entry.put("queueMessageId", m.messageId());
    entry.set("event", event);
    return entry;
  }

  private static String text(Message m, String attribute) {
    MessageAttributeValue value = m.messageAttributes().get(attribute);
    return value == null ? null : value.stringValue();
  }
}
