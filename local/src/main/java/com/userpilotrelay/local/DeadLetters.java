package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.queue.EventQueue;
import com.userpilotrelay.queue.QueueMessage;
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
  private final EventQueue events;

  DeadLetters(SqsClient sqs, String deadLetterUrl, EventQueue events) {
    this.sqs = sqs;
    this.deadLetterUrl = deadLetterUrl;
    this.events = events;
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
    ArrayNode list = answer.putArray("deadLetters");
    for (Message m : page.items()) {
      list.add(describe(m));
    }
    answer.put("next", page.next());
    answer.put("complete", held.size() < MAX_LISTED);
    return answer;
  }

  /**
   * Moves the dead letters present now (up to MAX_REDRIVE) back to the events queue; returns how many were
   * moved. They are all taken first and moved after, so an event that fails again and comes back during
   * the redrive is not moved a second time.
   */
  synchronized int redrive() {
    List<Message> held = hold(MAX_REDRIVE);
    List<Message> notMoved = new ArrayList<>();
    int moved = 0;
    try {
      for (int from = 0; from < held.size(); from += 10) {
        List<Message> batch = held.subList(from, Math.min(held.size(), from + 10));
        Set<String> failed = events.enqueue(batch.stream().map(DeadLetters::cleaned).toList());
        List<Message> stored = new ArrayList<>();
        for (Message m : batch) {
          (failed.contains(m.messageId()) ? notMoved : stored).add(m);
        }
        delete(stored);
        moved += stored.size();
      }
    } finally {
      // What could not be moved stays a dead letter, visible again at once.
      release(notMoved);
    }
    return moved;
  }

  /** The dead letter as an event again: same body, without the attributes that said why it failed. */
  private static QueueMessage cleaned(Message m) {
    Map<String, String> attributes = new LinkedHashMap<>();
    m.messageAttributes().forEach((name, value) -> {
      if (!FAILURE_ATTRIBUTES.contains(name) && value.stringValue() != null) {
        attributes.put(name, value.stringValue());
      }
    });
    return new QueueMessage(m.messageId(), m.body(), attributes);
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
        .visibilityTimeout(HOLD_SECONDS).messageAttributeNames("All")).messages();
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
