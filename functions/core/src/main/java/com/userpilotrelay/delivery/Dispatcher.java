package com.userpilotrelay.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.ingest.IngestService;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.MappedRequest;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.observe.Metrics;
import com.userpilotrelay.queue.EventQueue;
import com.userpilotrelay.queue.QueueMessage;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.userpilot.RatePacer;
import com.userpilotrelay.userpilot.UserpilotRequest;
import com.userpilotrelay.userpilot.UserpilotResponse;
import com.userpilotrelay.userpilot.UserpilotTransport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Delivers a batch of queued events: each event through the mappings to Userpilot requests, each
 * user's events one after another in queue order, different users in parallel under the rate pacer.
 * Every message gets an outcome; none is lost to an exception.
 */
public final class Dispatcher {
  /** Indices of the mapped requests already accepted by Userpilot (multi-mapping events). */
  public static final String DONE_ATTRIBUTE = "relayDone";
  /** Attempts made before this message was re-sent as a continuation. */
  public static final String ATTEMPTS_ATTRIBUTE = "relayAttempts";
  /** How soon a message not tried before the deadline comes back. */
  static final Duration DEFERRAL = Duration.ofSeconds(2);
  /** SQS's longest delivery delay, which bounds a continuation's backoff. */
  static final Duration MAX_DELAY = Duration.ofMinutes(15);

  private final Function<JsonNode, List<MappedRequest>> mappings;
  private final UserpilotTransport transport;
  private final RatePacer pacer;
  private final RetryPolicy retryPolicy;
  private final EventQueue queue;
  private final ExecutorService workers;
  private final int parallelism;
  private final Consumer<Outcome> listener;
  /** Until DispatchSetup passes an observer: a listener that is also an observer hears each attempt. */
  private final DeliveryObserver observer;
  private final Clock clock;
  private final Duration callReserve;

  /**
   * @param mappings turns an event into its Userpilot requests ({@code Mappings::map})
   */
  public Dispatcher(Function<JsonNode, List<MappedRequest>> mappings, UserpilotTransport transport, RatePacer pacer, RetryPolicy retryPolicy,
      EventQueue queue, int parallelism, Consumer<Outcome> listener, Clock clock) {
    this(mappings, transport, pacer, retryPolicy, queue, parallelism, listener, clock, Duration.ZERO);
  }

  /**
   * @param callReserve how long one Userpilot call may take: no call starts later than this before the
   *     deadline, so a slow answer cannot push the invocation past its timeout
   */
  public Dispatcher(Function<JsonNode, List<MappedRequest>> mappings, UserpilotTransport transport, RatePacer pacer,
      RetryPolicy retryPolicy, EventQueue queue, int parallelism, Consumer<Outcome> listener, Clock clock,
      Duration callReserve) {
    this.callReserve = callReserve;
    this.mappings = mappings;
    this.transport = transport;
    this.pacer = pacer;
    this.retryPolicy = retryPolicy;
    this.queue = queue;
    this.parallelism = Math.max(1, parallelism);
    this.workers = Executors.newFixedThreadPool(this.parallelism, r -> {
      Thread t = new Thread(r, "dispatch-" + WORKER_IDS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.listener = listener == null ? o -> { } : listener;
    this.observer = listener instanceof DeliveryObserver o ? o : DeliveryObserver.NONE;
    this.clock = clock;
  }

  private static final AtomicInteger WORKER_IDS = new AtomicInteger();

  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /**
   * Dispatches a batch and returns one outcome per message, in the batch's order. Work that would end
   * after {@code deadline} is deferred rather than started.
   */
  public List<Outcome> dispatch(List<InboundMessage> messages, Instant deadline) {
    Metrics metrics = new Metrics();
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    List<JsonNode> events = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      JsonNode event = parse(messages.get(i).body());
      events.add(event);
      groups.computeIfAbsent(orderingKey(event, messages.get(i)), k -> new ArrayList<>()).add(i);
    }
    // Within a user, arrival order (set at ingest), whatever order the queue handed them out in.
    Comparator<Integer> arrival = Comparator.comparing(
        (Integer i) -> messages.get(i).attributes().getOrDefault(IngestService.ORDER_ATTRIBUTE, ""))
        .thenComparing(i -> i);
    groups.values().forEach(group -> group.sort(arrival));
    Outcome[] outcomes = new Outcome[messages.size()];
    List<Callable<Void>> tasks = new ArrayList<>();
    for (List<Integer> group : groups.values()) {
      tasks.add(() -> {
        deliverInOrder(group, messages, events, outcomes, deadline, metrics);
        return null;
      });
    }
    try {
      List<Future<Void>> futures = tasks.size() == 1 ? List.of(runInline(tasks.get(0))) : workers.invokeAll(tasks);
      for (Future<Void> future : futures) {
        future.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      Log.error("dispatch worker failed", Map.of("error", e.getCause().getClass().getName()));
    }
    List<Outcome> result = new ArrayList<>(messages.size());
    for (int i = 0; i < outcomes.length; i++) {
      // A message without an outcome was interrupted mid-flight: keep it for a retry.
      Outcome outcome = outcomes[i] != null ? outcomes[i] : new Outcome(Outcome.Kind.DEFERRED, messages.get(i).id(),
          null, null, 0, "dispatch interrupted", messages.get(i).receiveCount(), DEFERRAL.toSeconds());
      result.add(outcome);
    }
    metrics.flush(System.out, "dispatch");
    return result;
  }

  private static Future<Void> runInline(Callable<Void> task) {
    java.util.concurrent.FutureTask<Void> future = new java.util.concurrent.FutureTask<>(task);
    future.run();
    return future;
  }

  private void deliverInOrder(List<Integer> group, List<InboundMessage> messages, List<JsonNode> events,
      Outcome[] outcomes, Instant deadline, Metrics metrics) {
    Duration held = null;
    String heldFor = null;
    for (int index : group) {
      InboundMessage message = messages.get(index);
      Outcome outcome;
      try {
        if (held != null) {
          Duration delay = held;
          changeVisibility(message, delay);
          outcome = new Outcome(Outcome.Kind.HELD_BACK, message.id(), messageId(events.get(index)), userKey(events.get(index)),
              0, "held back behind " + heldFor + " of the same user", attempt(message), delay.toSeconds());
        } else {
          outcome = deliver(message, events.get(index), deadline, metrics);
        }
      } catch (RuntimeException e) {
        // Unexpected: keep the message and say why, rather than failing the whole batch.
        Duration delay = retryPolicy.delayAfter(attempt(message), null);
        changeVisibility(message, delay);
        outcome = new Outcome(Outcome.Kind.RETRY, message.id(), null, null, 0,
            "internal error: " + e.getClass().getSimpleName(), attempt(message), delay.toSeconds());
      }
      outcomes[index] = outcome;
      record(outcome, metrics);
      if (held == null && (outcome.kind() == Outcome.Kind.RETRY || outcome.kind() == Outcome.Kind.DEFERRED
          || outcome.kind() == Outcome.Kind.CONTINUED)) {
        held = holdBehind(outcome);
        heldFor = outcome.messageId() != null ? outcome.messageId() : outcome.id();
      }
    }
  }

  /**
   * How long a user's later messages wait behind one that must be retried: past its retry, and past
   * the retry after that too, so one more failure of the blocker does not let them overtake it. (A
   * standard queue promises no order across receives; this makes overtaking need repeated failures.)
   */
  private Duration holdBehind(Outcome blocker) {
    Duration hold = Duration.ofSeconds(blocker.retryInSeconds()).plusSeconds(1);
    if (blocker.kind() != Outcome.Kind.DEFERRED) {
      hold = hold.plus(retryPolicy.ceiling(blocker.attempt() + 1));
    }
    return hold.compareTo(RetryPolicy.SQS_MAX_VISIBILITY) > 0 ? RetryPolicy.SQS_MAX_VISIBILITY : hold;
  }

  private Outcome deliver(InboundMessage message, JsonNode event, Instant deadline, Metrics metrics) {
    int attempt = attempt(message);
    String messageId = messageId(event);
    String user = userKey(event);
    if (event == null) {
      return deadLetter(message, null, "unreadable: the queued body is not a JSON object", 0, attempt, Set.of());
    }
    List<MappedRequest> mapped = mappings.apply(event);
    if (mapped.isEmpty()) {
      return new Outcome(Outcome.Kind.SKIPPED, message.id(), messageId, user, 0, null, attempt, 0);
    }
    TreeSet<Integer> done = doneOf(message);
    int doneBefore = done.size();
    List<String> permanent = new ArrayList<>();
    int lastStatus = 0;
    UserpilotResponse retry = null;
    boolean deferred = false;
    for (int i = 0; i < mapped.size(); i++) {
      if (done.contains(i)) {
        continue;
      }
      MappedRequest m = mapped.get(i);
      if (m.failed()) {
        permanent.add(m.error());
        continue;
      }
      UserpilotRequest request = m.request();
      RatePacer.Bucket bucket = RatePacer.bucketOf(request);
      if (!acquire(bucket, deadline.minus(callReserve))) {
        deferred = true;
        break;
      }
      long started = System.nanoTime();
      Instant startedAt = clock.instant();
      UserpilotResponse response = transport.send(request);
      long millis = (System.nanoTime() - started) / 1_000_000;
      metrics.latency(request.action(), millis);
      if (observer != DeliveryObserver.NONE) {
        observer.attempted(new Attempt(messageId, user, m.mappingName(), request.action(), request.method(),
            request.path(), Json.write(request.body()), response.status(), response.detail(), millis, startedAt));
      }
      lastStatus = response.status();
      if (response.ok()) {
        done.add(i);
      } else if (response.authFailure()) {
        metrics.count("AuthFailed");
        Log.error("Userpilot refused the API key: every event will fail until it is fixed",
            Map.of("status", response.status(), "action", request.action()));
        permanent.add(describe(m, request, response) + "; Userpilot refused the API key: fix USERPILOT_API_KEY,"
            + " then redrive the dead-letter queue");
        break;
      } else if (response.retryable()) {
        if (response.status() == 429) {
          metrics.count("Throttled");
          Duration pause = response.retryAfter() != null ? response.retryAfter() : pacer.interval(bucket).multipliedBy(10);
          pacer.pauseUntil(bucket, clock.instant().plus(pause));
        }
        retry = response;
        break;
      } else {
        permanent.add(describe(m, request, response) + "; retrying cannot help");
      }
    }

    boolean progressed = done.size() > doneBefore;
    if (retry != null || deferred) {
      String reason = deferred ? "not tried before the invocation's deadline"
          : mapped.get(firstNotDone(done, mapped)).mappingName() + ": " + retry.detail();
      if (retry != null && retryPolicy.exhausted(attempt)) {
        return deadLetter(message, event, "retries exhausted after " + attempt + " attempts; last: " + reason,
            lastStatus, attempt, done);
      }
      Duration delay = deferred ? DEFERRAL : retryPolicy.delayAfter(attempt, retry.retryAfter());
      if (progressed && continueLater(message, done, attempt, delay)) {
        return new Outcome(Outcome.Kind.CONTINUED, message.id(), messageId, user, lastStatus, reason, attempt,
            Math.min(delay.toSeconds(), MAX_DELAY.toSeconds()));
      }
      changeVisibility(message, delay);
      return new Outcome(deferred ? Outcome.Kind.DEFERRED : Outcome.Kind.RETRY, message.id(), messageId, user,
          lastStatus, reason, attempt, delay.toSeconds());
    }
    if (!permanent.isEmpty()) {
      return deadLetter(message, event, String.join(" | ", permanent), lastStatus, attempt, done);
    }
    return new Outcome(Outcome.Kind.DELIVERED, message.id(), messageId, user, lastStatus, null, attempt, 0);
  }

  private boolean acquire(RatePacer.Bucket bucket, Instant deadline) {
    try {
      return pacer.acquire(bucket, deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static int firstNotDone(TreeSet<Integer> done, List<MappedRequest> mapped) {
    for (int i = 0; i < mapped.size(); i++) {
      if (!done.contains(i) && !mapped.get(i).failed()) {
        return i;
      }
    }
    return 0;
  }

  private static String describe(MappedRequest m, UserpilotRequest request, UserpilotResponse response) {
    return m.mappingName() + ": Userpilot answered " + response.detail() + " to " + request.method() + " /"
        + request.path();
  }

  /**
   * Part of a multi-mapping event went through: re-queue the event with what is done, so a retry never
   * resends an accepted request. Returns false when the queue refused (the caller retries it whole).
   */
  private boolean continueLater(InboundMessage message, TreeSet<Integer> done, int attempt, Duration delay) {
    Map<String, String> attributes = new LinkedHashMap<>(message.attributes());
    attributes.put(DONE_ATTRIBUTE, done.stream().map(String::valueOf).collect(Collectors.joining(",")));
    attributes.put(ATTEMPTS_ATTRIBUTE, Integer.toString(attempt));
    Duration bounded = delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay;
    return queue.enqueue(List.of(new QueueMessage(message.id(), message.body(), attributes, bounded))).isEmpty();
  }

  private Outcome deadLetter(InboundMessage message, JsonNode event, String reason, int status, int attempt,
      Set<Integer> done) {
    Map<String, String> attributes = new LinkedHashMap<>(message.attributes());
    attributes.put("stage", "dispatch");
    attributes.put("reason", reason.length() > 1000 ? reason.substring(0, 999) + "…" : reason);
    attributes.put("status", Integer.toString(status));
    attributes.put("attempts", Integer.toString(attempt));
    if (!done.isEmpty()) {
      attributes.put(DONE_ATTRIBUTE, done.stream().map(String::valueOf).collect(Collectors.joining(",")));
    }
    attributes.remove(ATTEMPTS_ATTRIBUTE);
    boolean stored = queue.deadLetter(List.of(new QueueMessage(message.id(), message.body(), attributes))).isEmpty();
    if (!stored) {
      // Never drop it: leave it on the events queue and try again shortly.
      changeVisibility(message, DEFERRAL);
      return new Outcome(Outcome.Kind.RETRY, message.id(), messageId(event), userKey(event), status,
          "dead-letter queue refused it; will retry: " + reason, attempt, DEFERRAL.toSeconds());
    }
    return new Outcome(Outcome.Kind.DEAD_LETTERED, message.id(), messageId(event), userKey(event), status, reason,
        attempt, 0);
  }

  private void changeVisibility(InboundMessage message, Duration delay) {
    try {
      queue.retryAfter(message.receiptHandle(), delay);
    } catch (RuntimeException e) {
      // The message still comes back after the queue's own visibility timeout; nothing is lost.
      Log.warn("could not set retry delay", Map.of("id", message.id(), "error", e.getClass().getSimpleName()));
    }
  }

  private void record(Outcome outcome, Metrics metrics) {
    switch (outcome.kind()) {
      case DELIVERED -> metrics.count("Delivered");
      case SKIPPED -> metrics.count("Skipped");
      case RETRY, CONTINUED, DEFERRED, HELD_BACK -> metrics.count("Retried");
      case DEAD_LETTERED -> metrics.count("DeadLettered");
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("outcome", outcome.kind().name());
    fields.put("id", outcome.id());
    fields.put("messageId", outcome.messageId());
    fields.put("userId", outcome.userKey());
    fields.put("status", outcome.status());
    fields.put("attempt", outcome.attempt());
    if (outcome.retryInSeconds() > 0) {
      fields.put("retryInSeconds", outcome.retryInSeconds());
    }
    if (outcome.kind() == Outcome.Kind.DEAD_LETTERED) {
      Log.warn("dispatch", fields);
    } else {
      Log.info("dispatch", fields);
    }
    listener.accept(outcome);
  }

  private int attempt(InboundMessage message) {
    String before = message.attributes().get(ATTEMPTS_ATTRIBUTE);
    int earlier = 0;
    if (before != null) {
      try {
        earlier = Integer.parseInt(before);
      } catch (NumberFormatException ignored) {
        // a tampered attribute counts as no earlier attempts
      }
    }
    return Math.max(1, message.receiveCount()) + Math.max(0, earlier);
  }

  private static TreeSet<Integer> doneOf(InboundMessage message) {
    TreeSet<Integer> done = new TreeSet<>();
    String value = message.attributes().get(DONE_ATTRIBUTE);
    if (value != null && !value.isBlank()) {
      Arrays.stream(value.split(",")).map(String::trim).filter(s -> s.matches("\\d{1,3}"))
          .map(Integer::valueOf).forEach(done::add);
    }
    return done;
  }

  private static JsonNode parse(String body) {
    try {
      JsonNode node = Json.parse(body);
      return node != null && node.isObject() ? node : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Group events share one order: a company's for group calls, otherwise the user's. */
  static String orderingKey(JsonNode event, InboundMessage message) {
    if (event == null) {
      return "unreadable:" + message.id();
    }
    if ("group".equals(event.path("type").asText())) {
      JsonNode groupId = event.get("groupId");
      if (groupId != null && !groupId.asText().isBlank()) {
        return "company:" + groupId.asText();
      }
    }
    String user = EventValidator.userKey(event);
    return user == null ? "message:" + message.id() : "user:" + user;
  }

  private static String messageId(JsonNode event) {
    return event == null || !event.hasNonNull("messageId") ? null : event.get("messageId").asText();
  }

  private static String userKey(JsonNode event) {
    return event == null ? null : EventValidator.userKey(event);
  }
}
