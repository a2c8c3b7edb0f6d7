package com.userpilotrelay.testing;

import com.userpilotrelay.queue.EventQueue;
import com.userpilotrelay.queue.QueueMessage;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** An in-memory EventQueue for unit tests, which can be told to refuse messages. */
public final class RecordingQueue implements EventQueue {
  public final List<QueueMessage> enqueued = new CopyOnWriteArrayList<>();
  public final List<QueueMessage> deadLettered = new CopyOnWriteArrayList<>();
  public final List<QueueMessage> rejected = new CopyOnWriteArrayList<>();
  public final Map<String, Duration> visibility = new ConcurrentHashMap<>();
  private volatile Predicate<QueueMessage> refuse = m -> false;

  public void refuseWhen(Predicate<QueueMessage> refuse) {
    this.refuse = refuse;
  }

  @Override
  public Set<String> enqueue(List<QueueMessage> messages) {
    return store(messages, enqueued);
  }

  @Override
  public Set<String> deadLetter(List<QueueMessage> messages) {
    return store(messages, deadLettered);
  }

  @Override
  public Set<String> reject(List<QueueMessage> messages) {
    return store(messages, rejected);
  }

  private Set<String> store(List<QueueMessage> messages, List<QueueMessage> into) {
    Set<String> failed = new HashSet<>();
    for (QueueMessage m : messages) {
      if (refuse.test(m)) {
        failed.add(m.id());
      } else {
        into.add(m);
      }
    }
    return failed;
  }

  @Override
  public Set<String> retryAfter(Map<String, Duration> delayByReceiptHandle) {
    visibility.putAll(delayByReceiptHandle);
    return Set.of();
  }
}
