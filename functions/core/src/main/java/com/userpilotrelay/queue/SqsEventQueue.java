package com.userpilotrelay.queue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * The SQS adapter: {@code SendMessageBatch} in batches of at most 10 entries and 256 KiB, sent
 * concurrently, with failed entries retried a few times before they are reported as not stored.
 */
public final class SqsEventQueue implements EventQueue {
  static final int MAX_ENTRIES = 10;
  /** SQS's classic payload limit for a whole batch; staying under it works on every SQS-compatible server. */
  static final int MAX_BATCH_BYTES = 256 * 1024;
  static final int ATTEMPTS = 4;

  private final SqsClient sqs;
  private final String queueUrl;
  private final String deadLetterUrl;
  private final ExecutorService senders;

  public SqsEventQueue(SqsClient sqs, String queueUrl, String deadLetterUrl, int concurrency) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.deadLetterUrl = deadLetterUrl;
    this.senders = Executors.newFixedThreadPool(concurrency, daemonThreads("sqs-send"));
  }

  @Override
  public Set<String> enqueue(List<QueueMessage> messages) {
    return send(queueUrl, messages);
  }

  @Override
  public Set<String> deadLetter(List<QueueMessage> messages) {
    return send(deadLetterUrl, messages);
  }

  @Override
  public void retryAfter(String receiptHandle, Duration delay) {
    sqs.changeMessageVisibility(b -> b.queueUrl(queueUrl).receiptHandle(receiptHandle)
        .visibilityTimeout((int) Math.min(Integer.MAX_VALUE, delay.toSeconds())));
  }

  private Set<String> send(String url, List<QueueMessage> messages) {
    if (messages.isEmpty()) {
      return Set.of();
    }
    List<List<QueueMessage>> batches = batches(messages);
    if (batches.size() == 1) {
      return sendBatch(url, batches.get(0));
    }
    List<CompletableFuture<Set<String>>> futures = new ArrayList<>(batches.size());
    for (List<QueueMessage> batch : batches) {
      futures.add(CompletableFuture.supplyAsync(() -> sendBatch(url, batch), senders));
    }
    Set<String> failed = new HashSet<>();
    for (CompletableFuture<Set<String>> future : futures) {
      failed.addAll(future.join());
    }
    return failed;
  }

  static List<List<QueueMessage>> batches(List<QueueMessage> messages) {
    List<List<QueueMessage>> batches = new ArrayList<>();
    List<QueueMessage> current = new ArrayList<>();
    int bytes = 0;
    for (QueueMessage message : messages) {
      int size = size(message);
      if (!current.isEmpty() && (current.size() == MAX_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
        batches.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(message);
      bytes += size;
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return batches;
  }

  /** SQS counts the body plus every attribute's name, type and value. */
  static int size(QueueMessage message) {
    int size = message.body().getBytes(StandardCharsets.UTF_8).length;
    for (Map.Entry<String, String> a : message.attributes().entrySet()) {
      size += a.getKey().getBytes(StandardCharsets.UTF_8).length + "String".length()
          + a.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    return size;
  }

  private Set<String> sendBatch(String url, List<QueueMessage> batch) {
    // Entry ids must be unique and short within one call; the position is both.
    Map<String, QueueMessage> pending = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      pending.put(Integer.toString(i), batch.get(i));
    }
    Set<String> permanent = new HashSet<>();
    for (int attempt = 1; attempt <= ATTEMPTS && !pending.isEmpty(); attempt++) {
      if (attempt > 1) {
        pause(25L << attempt);
      }
      List<SendMessageBatchRequestEntry> entries = new ArrayList<>(pending.size());
      pending.forEach((entryId, message) -> entries.add(entry(entryId, message)));
      SendMessageBatchResponse response;
      try {
        response = sqs.sendMessageBatch(b -> b.queueUrl(url).entries(entries));
      } catch (SdkException e) {
        continue;
      }
      response.successful().forEach(ok -> pending.remove(ok.id()));
      for (BatchResultErrorEntry error : response.failed()) {
        if (Boolean.TRUE.equals(error.senderFault())) {
          // The queue refused this message itself (size, characters): retrying cannot help.
          QueueMessage message = pending.remove(error.id());
          if (message != null) {
            permanent.add(message.id());
          }
        }
      }
    }
    Set<String> failed = new HashSet<>(permanent);
    pending.values().forEach(m -> failed.add(m.id()));
    return failed;
  }

  private static SendMessageBatchRequestEntry entry(String entryId, QueueMessage message) {
    Map<String, MessageAttributeValue> attributes = new HashMap<>();
    message.attributes().forEach((name, value) -> {
      if (value != null && !value.isEmpty()) {
        attributes.put(name, MessageAttributeValue.builder().dataType("String").stringValue(storable(value)).build());
      }
    });
    SendMessageBatchRequestEntry.Builder b = SendMessageBatchRequestEntry.builder()
        .id(entryId)
        .messageBody(message.body())
        .messageAttributes(attributes);
    if (!message.delay().isZero()) {
      b.delaySeconds((int) Math.min(900, message.delay().toSeconds()));
    }
    return b.build();
  }

  /**
   * SQS takes only XML characters (#x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF) and refuses
   * the whole message otherwise. Attributes carry sender text (a rejected type, a messageId, a userId), so
   * anything else is written as a visible {@code \\uXXXX} escape rather than losing the message.
   */
  static String storable(String value) {
    StringBuilder out = null;
    for (int i = 0; i < value.length(); ) {
      int cp = value.codePointAt(i);
      int width = Character.charCount(cp);
      boolean ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF)
          || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
      if (!ok && out == null) {
        out = new StringBuilder(value.length() + 16).append(value, 0, i);
      }
      if (out != null) {
        if (ok) {
          out.appendCodePoint(cp);
        } else {
          out.append(String.format("\\u%04X", cp));
        }
      }
      i += width;
    }
    return out == null ? value : out.toString();
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name + "-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
