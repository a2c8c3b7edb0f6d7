package com.userpilotrelay.queue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchResponse;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * The SQS adapter: {@code SendMessageBatch} in batches of at most 10 entries and 256 KiB, sent concurrently
 * except where order matters: a message group's batches go one after another, so SQS stores each user's
 * events in the order they were given. Failed entries are retried until the call's time budget is spent,
 * then reported as not stored.
 */
public final class SqsEventQueue implements EventQueue {
  static final int MAX_ENTRIES = 10;
  /** SQS's classic payload limit for a whole batch; staying under it works on every SQS-compatible server. */
  static final int MAX_BATCH_BYTES = 256 * 1024;
  /** Default time one enqueue or dead-letter call may take, retries included: well inside Segment's 10 s. */
  public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(6);
  /** SQS refuses a visibility timeout that ends more than 12 hours after the receive; stay clear of it. */
  public static final Duration MAX_VISIBILITY = Duration.ofHours(12).minusMinutes(15);

  private final SqsClient sqs;
  private final String queueUrl;
  private final String deadLetterUrl;
  private final String rejectedUrl;
  private final ExecutorService senders;
  private final Duration budget;

  public SqsEventQueue(SqsClient sqs, String queueUrl, String deadLetterUrl, String rejectedUrl, int concurrency,
      Duration budget) {
    this.sqs = sqs;
    this.queueUrl = Objects.requireNonNull(queueUrl, "queueUrl");
    this.deadLetterUrl = deadLetterUrl;
    this.rejectedUrl = Objects.requireNonNull(rejectedUrl, "rejectedUrl");
    this.senders = Executors.newFixedThreadPool(concurrency, daemonThreads("sqs-send"));
    this.budget = budget;
  }

  public SqsEventQueue(SqsClient sqs, String queueUrl, String deadLetterUrl, String rejectedUrl, int concurrency) {
    this(sqs, queueUrl, deadLetterUrl, rejectedUrl, concurrency, DEFAULT_BUDGET);
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
  public Set<String> reject(List<QueueMessage> messages) {
    return send(rejectedUrl, messages);
  }

  @Override
  public Set<String> retryAfter(Map<String, Duration> delayByReceiptHandle) {
    List<Map.Entry<String, Duration>> all = new ArrayList<>(delayByReceiptHandle.entrySet());
    Set<String> failed = new HashSet<>();
    for (int from = 0; from < all.size(); from += MAX_ENTRIES) {
      List<Map.Entry<String, Duration>> chunk = all.subList(from, Math.min(all.size(), from + MAX_ENTRIES));
      List<ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>(chunk.size());
      for (int i = 0; i < chunk.size(); i++) {
        long seconds = Math.max(0, Math.min(MAX_VISIBILITY.toSeconds(), chunk.get(i).getValue().toSeconds()));
        entries.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(Integer.toString(i))
            .receiptHandle(chunk.get(i).getKey()).visibilityTimeout((int) seconds).build());
      }
      try {
        ChangeMessageVisibilityBatchResponse response =
            sqs.changeMessageVisibilityBatch(b -> b.queueUrl(queueUrl).entries(entries));
        for (BatchResultErrorEntry error : response.failed()) {
          failed.add(chunk.get(Integer.parseInt(error.id())).getKey());
        }
      } catch (SdkException e) {
        chunk.forEach(entry -> failed.add(entry.getKey()));
      }
    }
    return failed;
  }

  private Set<String> send(String url, List<QueueMessage> messages) {
    if (messages.isEmpty()) {
      return Set.of();
    }
    requireQueue(url);
    long deadline = System.nanoTime() + budget.toNanos();
    List<List<List<QueueMessage>>> chains = chains(messages);
    if (chains.size() == 1) {
      return sendChain(url, chains.get(0), deadline);
    }
    List<CompletableFuture<Set<String>>> futures = new ArrayList<>(chains.size());
    for (List<List<QueueMessage>> chain : chains) {
      futures.add(CompletableFuture.supplyAsync(() -> sendChain(url, chain, deadline), senders));
    }
    Set<String> failed = new HashSet<>();
    for (CompletableFuture<Set<String>> future : futures) {
      failed.addAll(future.join());
    }
    return failed;
  }

  /** @param deadLetterUrl null for ingest, which never writes there (and whose role may not) */
  private static void requireQueue(String url) {
    if (url == null) {
      throw new IllegalStateException("this function has no dead-letter queue configured");
    }
  }

  /**
   * Batches grouped into chains that may be sent concurrently: messages are ordered by group (each group's own
   * order kept), cut into batches, and batches that share a group form one chain, sent in order. Unordered
   * messages (no group) chain with nothing.
   */
  static List<List<List<QueueMessage>>> chains(List<QueueMessage> messages) {
    Map<String, Integer> firstSeen = new HashMap<>();
    for (QueueMessage m : messages) {
      if (m.groupId() != null) {
        firstSeen.putIfAbsent(m.groupId(), firstSeen.size());
      }
    }
    List<QueueMessage> sorted = new ArrayList<>(messages);
    // A stable sort: within a group, the given order is kept.
    sorted.sort(Comparator.comparingInt(m -> m.groupId() == null ? -1 : firstSeen.get(m.groupId())));
    List<List<List<QueueMessage>>> chains = new ArrayList<>();
    List<List<QueueMessage>> chain = new ArrayList<>();
    String lastGroup = null;
    for (List<QueueMessage> batch : batches(sorted)) {
      String firstGroup = batch.get(0).groupId();
      if (!chain.isEmpty() && (firstGroup == null || !firstGroup.equals(lastGroup))) {
        chains.add(chain);
        chain = new ArrayList<>();
      }
      chain.add(batch);
      lastGroup = batch.get(batch.size() - 1).groupId();
    }
    if (!chain.isEmpty()) {
      chains.add(chain);
    }
    return chains;
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

  /** A group's batches in order; once one of them fails, the later ones are not sent (they would overtake it). */
  private Set<String> sendChain(String url, List<List<QueueMessage>> chain, long deadline) {
    Set<String> failed = new HashSet<>();
    for (List<QueueMessage> batch : chain) {
      if (!failed.isEmpty()) {
        batch.forEach(m -> failed.add(m.id()));
        continue;
      }
      failed.addAll(sendBatch(url, batch, deadline));
    }
    return failed;
  }

  private Set<String> sendBatch(String url, List<QueueMessage> batch, long deadline) {
    // Entry ids must be unique and short within one call; the position is both.
    Map<String, QueueMessage> pending = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      pending.put(Integer.toString(i), batch.get(i));
    }
    Set<String> permanent = new HashSet<>();
    for (int attempt = 1; !pending.isEmpty(); attempt++) {
      if (attempt > 1) {
        long pause = Math.min(400, 25L << attempt);
        if (System.nanoTime() + pause * 1_000_000 >= deadline) {
          break;
        }
        pause(pause);
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
    return SendMessageBatchRequestEntry.builder()
        .id(entryId)
        .messageBody(message.body())
        .messageAttributes(attributes)
        .messageGroupId(message.groupId())
        .messageDeduplicationId(message.deduplicationId())
        .build();
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
