package com.userpilotrelay.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.ingest.IngestService;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.MappedRequest;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.observe.Metrics;
import com.userpilotrelay.queue.EventQueue;
import com.userpilotrelay.queue.MessageGroups;
import com.userpilotrelay.queue.QueueMessage;
import com.userpilotrelay.segment.EventValidator;
import com.userpilotrelay.segment.OrderingKey;
import com.userpilotrelay.userpilot.RatePacer;
import com.userpilotrelay.userpilot.UserpilotRequest;
import com.userpilotrelay.userpilot.UserpilotResponse;
import com.userpilotrelay.userpilot.UserpilotTransport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Delivers a batch received from the FIFO events queue: each event through the mappings to Userpilot requests,
 * each user's events one after another in queue order, different users in parallel under the rate pacer.
 *
 * <p>Order is the queue's job: while one of a user's messages stays in the queue (hidden for its retry), the
 * queue hands out none of that user's later messages. So when an event must wait, the dispatcher only has to
 * keep it and the same user's later messages in this batch, and hide them until the retry.
 *
 * <p>Waiting is not failing. An event is dead-lettered by the relay itself, with its reason, only when Userpilot
 * refused it for good, when its attempts have failed for longer than the retry horizon, or when it keeps failing
 * while Userpilot accepts other events to the same endpoint (a poisoned event, which would otherwise hold its
 * user's later events for the whole horizon).
 */
public final class Dispatcher {
  /** How soon a message that waited (pacer, deadline) or whose outcome could not be stored comes back. */
  static final Duration SHORT_WAIT = Duration.ofSeconds(2);
  /** Longest a waiting message is hidden: the pacer's pause after a long Retry-After is re-checked by then. */
  static final Duration LONGEST_WAIT = Duration.ofMinutes(15);
  /** After Userpilot refuses the API key, nothing is sent for this long (the key is re-read at most this often). */
  static final Duration AUTH_PAUSE = Duration.ofMinutes(1);
  /** "Other events to the same endpoint are being accepted": one was, this recently. */
  static final Duration HEALTHY_WINDOW = Duration.ofMinutes(5);
  /**
   * Time kept for the SQS calls after the last Userpilot call: a dead-letter or rejected-queue write, started no
   * later than {@link #VISIBILITY_RESERVE} plus {@link #SEND_RESERVE} before the deadline (the handlers give the
   * queue a 1 s send budget, and an attempt takes up to SqsClients' 3 s API-call timeout), then the visibility
   * changes (one call per 10 messages, 3 s at most).
   */
  static final Duration SQS_RESERVE = Duration.ofSeconds(8);
  static final Duration VISIBILITY_RESERVE = Duration.ofSeconds(3);
  static final Duration SEND_RESERVE = Duration.ofSeconds(4);
  /**
   * An event accepted this long ago is dead-lettered at its next failure, whatever else: the queues keep a
   * message 14 days, and an event must not expire there unseen while it waits behind its user's events.
   */
  static final Duration OLDEST_KEPT = Duration.ofDays(12);

  private final Function<JsonNode, List<MappedRequest>> mappings;
  private final UserpilotTransport transport;
  private final RatePacer pacer;
  private final RetryPolicy retryPolicy;
  private final EventQueue queue;
  private final IngestStamp stamp;
  private final int poisonAttempts;
  private final ExecutorService workers;
  private final DeliveryObserver observer;
  private final Clock clock;
  private final Duration callTimeout;
  private final RequestKeys progress = new RequestKeys();
  private final OwnFailures failures = new OwnFailures();
  private final Map<RatePacer.Bucket, Instant> lastAccepted = new EnumMap<>(RatePacer.Bucket.class);
  private volatile Instant authPausedUntil = Instant.MIN;
  private volatile int authStatus;

  /**
   * @param mappings turns an event into its Userpilot requests ({@code Mappings::map})
   * @param stamp checks that a message is an event this relay's ingest accepted
   * @param poisonAttempts attempts after which an event that fails while others to its endpoint succeed is
   *     dead-lettered
   * @param parallelism users delivered at once
   * @param callTimeout how long one Userpilot call may take: none starts later than this (plus the SQS reserve)
   *     before the deadline, so a slow answer leaves the time the queue calls after it need
   */
  public Dispatcher(Function<JsonNode, List<MappedRequest>> mappings, UserpilotTransport transport, RatePacer pacer,
      RetryPolicy retryPolicy, EventQueue queue, IngestStamp stamp, int poisonAttempts, int parallelism,
      DeliveryObserver observer, Clock clock, Duration callTimeout) {
    this.mappings = mappings;
    this.transport = transport;
    this.pacer = pacer;
    this.retryPolicy = retryPolicy;
    this.queue = queue;
    this.stamp = stamp;
    this.poisonAttempts = Math.max(1, poisonAttempts);
    int threads = Math.max(1, parallelism);
    this.workers = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "dispatch-" + WORKER_IDS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.observer = observer == null ? DeliveryObserver.NONE : observer;
    this.clock = clock;
    this.callTimeout = callTimeout;
  }

  private static final AtomicInteger WORKER_IDS = new AtomicInteger();

  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** One message's outcome and, when it stays in the queue, how long it stays hidden. */
  private record Decision(Outcome outcome, Duration hide) {
    static Decision done(Outcome outcome) {
      return new Decision(outcome, null);
    }
  }

  /** An event as read from its message. */
  private record Received(InboundMessage message, JsonNode event, String messageId, String userKey) { }

  /** The invocation's time: when the last Userpilot call, and the last queue write, may start. */
  private record Budget(Instant lastCallStart, Instant lastWriteStart) {
    boolean writeAllowed(Instant now) {
      return !now.isAfter(lastWriteStart);
    }
  }

  /**
   * Dispatches a batch and returns one outcome per message, in the batch's order. No Userpilot call starts
   * after {@code deadline} less the call timeout and the SQS reserve; work left is kept for later.
   */
  public List<Outcome> dispatch(List<InboundMessage> messages, Instant deadline) {
    Metrics metrics = new Metrics();
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    List<Received> received = new ArrayList<>(messages.size());
    Instant now = clock.instant();
    for (int i = 0; i < messages.size(); i++) {
      Received r = read(messages.get(i));
      received.add(r);
      groups.computeIfAbsent(groupOf(r), k -> new ArrayList<>()).add(i);
      metrics.max("OldestEventAgeSeconds", ageSeconds(r.message(), now));
    }
    Budget budget = new Budget(deadline.minus(callTimeout).minus(SQS_RESERVE),
        deadline.minus(VISIBILITY_RESERVE).minus(SEND_RESERVE));
    Decision[] decisions = new Decision[messages.size()];
    List<Callable<Void>> tasks = new ArrayList<>();
    for (List<Integer> group : groups.values()) {
      tasks.add(() -> {
        deliverInOrder(group, received, decisions, budget, metrics);
        return null;
      });
    }
    runAll(tasks);
    List<Outcome> result = new ArrayList<>(messages.size());
    Map<String, Duration> hide = new LinkedHashMap<>();
    for (int i = 0; i < decisions.length; i++) {
      Decision d = decisions[i];
      if (d == null) {
        // Interrupted mid-flight: keep it; it comes back after the queue's visibility timeout.
        InboundMessage m = messages.get(i);
        d = new Decision(new Outcome(Outcome.Kind.WAITING, m.id(), null, null, 0, "dispatch interrupted",
            m.receiveCount(), 0), null);
      }
      if (d.hide() != null) {
        hide.put(messages.get(i).receiptHandle(), d.hide());
      }
      result.add(d.outcome());
    }
    hideForRetry(hide);
    metrics.flush(System.out, "dispatch");
    return result;
  }

  private void runAll(List<Callable<Void>> tasks) {
    try {
      List<Future<Void>> futures;
      if (tasks.size() == 1) {
        FutureTask<Void> only = new FutureTask<>(tasks.get(0));
        only.run();
        futures = List.of(only);
      } else {
        futures = workers.invokeAll(tasks);
      }
      for (Future<Void> future : futures) {
        future.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      Log.error("dispatch worker failed", Map.of("error", e.getCause().getClass().getName()));
    }
  }

  /**
   * A user's messages in queue order. Once one stays in the queue, the later ones stay too, hidden as long:
   * the queue then hands them out again in the same order, after the retry.
   */
  private void deliverInOrder(List<Integer> group, List<Received> received, Decision[] decisions, Budget budget,
      Metrics metrics) {
    Decision blocker = null;
    for (int index : group) {
      Received r = received.get(index);
      Decision decision;
      if (blocker != null) {
        decision = new Decision(outcome(Outcome.Kind.HELD_BACK, r, 0, "held back behind "
            + blocker.outcome().messageId() + " of the same user", blocker.hide()), blocker.hide());
      } else if (clock.instant().isAfter(budget.lastCallStart())) {
        // Not only Userpilot calls need the time: a refusal or a dead letter without any call is an SQS write
        // too (up to the send budget each), and a user's batch may hold ten of them. Starting none past this
        // point keeps every SQS write inside the reserve, so a slow SQS cannot push the invocation past its
        // timeout (which would bring back the whole batch, delivered events included).
        decision = keep(Outcome.Kind.WAITING, r, 0, "waiting for the next invocation (too little time left)",
            SHORT_WAIT);
      } else {
        try {
          decision = deliver(r, budget, metrics);
        } catch (RuntimeException e) {
          // Unexpected: keep the message and say why, rather than failing the whole batch; a failure like any
          // other (backoff, horizon), so a bug that always throws ends in the dead-letter queue with its reason.
          decision = retryLater(r, null, null, "internal error: " + e.getClass().getSimpleName(), null, Set.of(),
              budget, metrics);
        }
      }
      decisions[index] = decision;
      record(decision.outcome(), metrics);
      if (blocker == null && decision.outcome().keepInQueue()) {
        blocker = decision;
      }
    }
  }

  private Decision deliver(Received r, Budget budget, Metrics metrics) {
    InboundMessage message = r.message();
    String refusal = refusal(r);
    if (refusal != null) {
      return refuse(r, refusal, budget, metrics);
    }
    Instant lastCallStart = budget.lastCallStart();
    List<MappedRequest> mapped = mappings.apply(r.event());
    if (mapped.isEmpty()) {
      return Decision.done(outcome(Outcome.Kind.SKIPPED, r, 0, null, null));
    }
    Set<String> done = progress.done(message.id(), message.attributes().get(RequestKeys.ATTRIBUTE));
    List<String> permanent = new ArrayList<>();
    String permanentAction = null;
    int lastStatus = 0;
    UserpilotResponse failed = null;
    MappedRequest failedRequest = null;
    boolean waiting = false;
    RatePacer.Bucket waitedFor = null;
    for (MappedRequest m : mapped) {
      if (m.failed()) {
        permanent.add(m.mappingName() + ": " + m.error());
        continue;
      }
      String key = RequestKeys.keyOf(m);
      if (done.contains(key)) {
        continue;
      }
      UserpilotRequest request = m.request();
      UserpilotResponse paused = authPause();
      if (paused != null) {
        failed = paused;
        failedRequest = m;
        lastStatus = paused.status();
        break;
      }
      RatePacer.Bucket bucket = RatePacer.bucketOf(request);
      if (!acquire(bucket, lastCallStart)) {
        waiting = true;
        waitedFor = bucket;
        break;
      }
      // Another user's call may have had the key refused while this one waited for its slot.
      paused = authPause();
      if (paused != null) {
        failed = paused;
        failedRequest = m;
        lastStatus = paused.status();
        break;
      }
      UserpilotResponse response = send(r, m, metrics);
      lastStatus = response.status();
      if (response.ok()) {
        done.add(key);
        progress.remember(message.id(), done);
        synchronized (lastAccepted) {
          lastAccepted.put(bucket, clock.instant());
        }
        continue;
      }
      if (response.authFailure()) {
        pauseForAuth(response, request, metrics);
        failed = response;
        failedRequest = m;
        break;
      }
      if (response.retryable()) {
        if (response.status() == 429) {
          metrics.count("Throttled", request.action());
          Duration pause = response.retryAfter() != null ? response.retryAfter() : pacer.interval(bucket).multipliedBy(10);
          pacer.pauseUntil(bucket, clock.instant().plus(RetryPolicy.min(pause, retryPolicy.horizon())));
        }
        metrics.count("Retried", request.action());
        failed = response;
        failedRequest = m;
        break;
      }
      permanent.add(m.mappingName() + ": Userpilot answered " + response.detail() + " to " + request.method() + " /"
          + request.path() + "; retrying cannot help");
      permanentAction = request.action();
    }

    if (failed != null) {
      return afterFailure(r, failedRequest, failed, done, budget, metrics);
    }
    if (waiting) {
      Duration wait = pacer.untilNextSlot(waitedFor);
      wait = wait.compareTo(SHORT_WAIT) < 0 ? SHORT_WAIT : RetryPolicy.min(wait, LONGEST_WAIT);
      return keep(Outcome.Kind.WAITING, r, lastStatus, "waiting for the rate limit or the next invocation", wait);
    }
    if (!permanent.isEmpty()) {
      metrics.count("DeadLettered", permanentAction == null ? "none" : permanentAction);
      return deadLetter(r, String.join(" | ", permanent), lastStatus, 1, done, budget);
    }
    forget(message.id());
    return Decision.done(outcome(Outcome.Kind.DELIVERED, r, lastStatus, null, null));
  }

  /** A retryable failure (or a refused key): retried after a backoff, unless the horizon or the poison rule ends it. */
  private Decision afterFailure(Received r, MappedRequest m, UserpilotResponse response, Set<String> done,
      Budget budget, Metrics metrics) {
    String last = m.mappingName() + ": Userpilot answered " + response.detail() + " to " + m.request().method() + " /"
        + m.request().path();
    Duration pause = null;
    Instant pausedUntil = authPausedUntil;
    if (response.authFailure() && pausedUntil.isAfter(clock.instant())) {
      pause = Duration.between(clock.instant(), pausedUntil).plusSeconds(1);
    }
    return retryLater(r, m.request(), response, last, pause, done, budget, metrics);
  }

  /**
   * Counts one failed attempt of this event and keeps it for a backoff, or dead-letters it: when its own attempts
   * here have failed for the whole horizon (or, wherever it was tried, twice the horizon has passed since SQS
   * first handed it out, or it is close to the queue's retention), or when it looks poisoned.
   *
   * @param request the request that failed, or null when the failure was not Userpilot's answer
   * @param response Userpilot's answer, or null
   */
  private Decision retryLater(Received r, UserpilotRequest request, UserpilotResponse response, String last,
      Duration atLeast, Set<String> done, Budget budget, Metrics metrics) {
    InboundMessage message = r.message();
    Instant now = clock.instant();
    OwnFailures.Seen seen = failures.failed(message.id(), now);
    Instant firstReceived = message.firstReceivedAt() == null ? now : message.firstReceivedAt();
    int status = response == null ? 0 : response.status();
    String action = request == null ? "none" : request.action();
    if (retryPolicy.expired(seen.first(), now) || retryPolicy.expired(firstReceived, now.minus(retryPolicy.horizon()))
        || acceptedBefore(message, now.minus(OLDEST_KEPT))) {
      metrics.count("DeadLettered", action);
      return deadLetter(r, "failed for longer than the retry horizon (" + retryPolicy.horizon().toHours() + " h): "
          + seen.count() + " failed attempts here over " + message.receiveCount() + " receives; last: " + last,
          status, seen.count(), done, budget);
    }
    if (request != null && response != null && looksPoisoned(seen, request, response, now)) {
      metrics.count("DeadLettered", action);
      return deadLetter(r, "failed " + seen.count() + " times while Userpilot accepted other " + action
          + " calls, so it is set aside and the user's later events go on; last: " + last, status, seen.count(), done,
          budget);
    }
    Duration delay = retryPolicy.delayAfter(seen.count(), response == null ? null : response.retryAfter(), seen.first(),
        now);
    if (atLeast != null && delay.compareTo(atLeast) < 0) {
      delay = atLeast;
    }
    return keep(Outcome.Kind.RETRY, r, status, last, delay);
  }

  private static boolean acceptedBefore(InboundMessage message, Instant when) {
    OptionalLong acceptedAt = acceptedAtMillis(message);
    return acceptedAt.isPresent() && acceptedAt.getAsLong() < when.toEpochMilli();
  }

  /** When ingest accepted the event (its stamp), if the message says. */
  private static OptionalLong acceptedAtMillis(InboundMessage message) {
    String acceptedAt = message.attributes().get(IngestService.ACCEPTED_AT_ATTRIBUTE);
    try {
      return acceptedAt == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(acceptedAt));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Strict order makes a poisoned event expensive: it holds its user's later events. One whose own attempts keep
   * failing retryably while calls to the same endpoint succeed is not an outage; a 429 or a refused key never
   * counts.
   */
  private boolean looksPoisoned(OwnFailures.Seen seen, UserpilotRequest request, UserpilotResponse response,
      Instant now) {
    if (response.status() == 429 || response.authFailure() || seen.count() < poisonAttempts) {
      return false;
    }
    Instant accepted;
    synchronized (lastAccepted) {
      accepted = lastAccepted.get(RatePacer.bucketOf(request));
    }
    return accepted != null && accepted.isAfter(now.minus(HEALTHY_WINDOW));
  }

  /** While delivery is paused for a refused key: the refusal every call would get; otherwise null. */
  private UserpilotResponse authPause() {
    if (!clock.instant().isBefore(authPausedUntil)) {
      return null;
    }
    return new UserpilotResponse(authStatus, null, "HTTP " + authStatus + " (delivery paused: Userpilot refused"
        + " the API key)");
  }

  private void pauseForAuth(UserpilotResponse response, UserpilotRequest request, Metrics metrics) {
    metrics.count("AuthFailed");
    authStatus = response.status();
    authPausedUntil = clock.instant().plus(AUTH_PAUSE);
    Log.error("Userpilot refused the API key: delivery is paused and events are kept; fix USERPILOT_API_KEY"
        + " (it is read again at most once a minute)", Map.of("status", response.status(), "action", request.action(),
        "pausedSeconds", AUTH_PAUSE.toSeconds()));
  }

  private UserpilotResponse send(Received r, MappedRequest m, Metrics metrics) {
    UserpilotRequest request = m.request();
    Instant at = clock.instant();
    long started = System.nanoTime();
    UserpilotResponse response = transport.send(request);
    long millis = (System.nanoTime() - started) / 1_000_000;
    metrics.latency(request.action(), millis);
    if (response.ok()) {
      metrics.count("Delivered", request.action());
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("messageId", r.messageId());
    fields.put("userId", r.userKey());
    fields.put("mapping", m.mappingName());
    fields.put("action", request.action());
    fields.put("status", response.status());
    fields.put("ms", millis);
    Log.info("attempt", fields);
    observer.attempted(new Attempt(r.messageId(), r.userKey(), m.mappingName(), request.action(), request.method(),
        request.path(), Json.write(request.body()), response.status(), response.detail(), millis, at));
    return response;
  }

  private boolean acquire(RatePacer.Bucket bucket, Instant lastCallStart) {
    try {
      return pacer.acquire(bucket, lastCallStart);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Why this message is not an event this relay's ingest accepted, or null when it is one. */
  private String refusal(Received r) {
    InboundMessage message = r.message();
    if (r.event() == null) {
      return "not an event: the queued body is not a JSON object";
    }
    if (!stamp.verify(message.body(), message.attributes().get(IngestStamp.ATTRIBUTE))) {
      return "not accepted by this relay's ingest: the message has no valid " + IngestStamp.ATTRIBUTE
          + " (was it written to the queue directly?)";
    }
    // The size was checked at ingest as the event arrived (the queued body is ASCII-escaped, so longer).
    List<String> errors = EventValidator.validate(r.event(), 0);
    return errors.isEmpty() ? null : "not a valid event: " + String.join("; ", errors);
  }

  private Decision refuse(Received r, String reason, Budget budget, Metrics metrics) {
    InboundMessage message = r.message();
    if (!budget.writeAllowed(clock.instant())) {
      return keep(Outcome.Kind.WAITING, r, 0, "not refused before the invocation's deadline: " + reason, SHORT_WAIT);
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("stage", "dispatch");
    attributes.put("reason", truncate(reason));
    if (r.messageId() != null) {
      attributes.put("messageId", truncate(r.messageId()));
    }
    attributes.put("queueMessageId", message.id());
    if (!queue.reject(List.of(QueueMessage.unordered(message.id(), message.body(), attributes))).isEmpty()) {
      return retryLater(r, null, null, "the rejected queue refused it; will retry: " + reason, null, Set.of(), budget,
          metrics);
    }
    return Decision.done(outcome(Outcome.Kind.REFUSED, r, 0, reason, null));
  }

  /**
   * @param attempts this dispatcher's failed attempts at the event (the {@code attempts} attribute); receives
   *     that only waited are not attempts
   */
  private Decision deadLetter(Received r, String reason, int status, int attempts, Set<String> done, Budget budget) {
    InboundMessage message = r.message();
    if (!budget.writeAllowed(clock.instant())) {
      // Too late to be sure the write ends in time: keep it; the next receive decides again.
      return keep(Outcome.Kind.WAITING, r, status, "not dead-lettered before the invocation's deadline: " + reason,
          SHORT_WAIT);
    }
    Map<String, String> attributes = new LinkedHashMap<>(message.attributes());
    attributes.put("stage", "dispatch");
    attributes.put("reason", truncate(reason));
    attributes.put("status", Integer.toString(status));
    attributes.put("attempts", Integer.toString(Math.max(1, attempts)));
    if (done.isEmpty()) {
      attributes.remove(RequestKeys.ATTRIBUTE);
    } else {
      attributes.put(RequestKeys.ATTRIBUTE, RequestKeys.attribute(done));
    }
    // The user's group, so a redrive puts it back in line behind that user's events; deduplicated by the queue
    // message, so a dead-letter write repeated within SQS's five minutes (a lost answer) is stored once.
    QueueMessage letter = new QueueMessage(message.id(), message.body(), attributes, groupOf(r),
        "d-" + MessageGroups.sha256(message.id()));
    if (!queue.deadLetter(List.of(letter)).isEmpty()) {
      // Never drop it: it stays on the events queue, ahead of its user's later events, and is tried again later.
      Duration delay = retryPolicy.delayAfter(Math.max(1, attempts), null, clock.instant(), clock.instant());
      return keep(Outcome.Kind.RETRY, r, status, "the dead-letter queue refused it; will retry: " + reason, delay);
    }
    forget(message.id());
    return Decision.done(outcome(Outcome.Kind.DEAD_LETTERED, r, status, reason, null));
  }

  /** The event is done with (delivered or dead-lettered): nothing about it is remembered any longer. */
  private void forget(String queueMessageId) {
    progress.forget(queueMessageId);
    failures.forget(queueMessageId);
  }

  private Decision keep(Outcome.Kind kind, Received r, int status, String reason, Duration hide) {
    return new Decision(outcome(kind, r, status, reason, hide), hide);
  }

  private Outcome outcome(Outcome.Kind kind, Received r, int status, String reason, Duration hide) {
    return new Outcome(kind, r.message().id(), r.messageId(), r.userKey(), status, reason, r.message().receiveCount(),
        hide == null ? 0 : hide.toSeconds());
  }

  /**
   * Hides every kept message until its retry. A change that fails leaves that message hidden for the queue's
   * own visibility timeout: later, but never out of order, because the queue holds back the user's later events
   * while any of the user's messages is hidden.
   */
  private void hideForRetry(Map<String, Duration> delays) {
    if (delays.isEmpty()) {
      return;
    }
    Set<String> failed;
    try {
      failed = queue.retryAfter(delays);
    } catch (RuntimeException e) {
      failed = delays.keySet();
    }
    if (!failed.isEmpty()) {
      Log.warn("could not set retry delays; those messages come back after the queue's visibility timeout",
          Map.of("count", failed.size()));
    }
  }

  private void record(Outcome outcome, Metrics metrics) {
    switch (outcome.kind()) {
      case SKIPPED -> metrics.count("Skipped");
      case WAITING -> metrics.count("Waiting");
      case REFUSED -> metrics.count("Refused");
      default -> { }
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
    if (outcome.reason() != null) {
      fields.put("reason", outcome.reason());
    }
    if (outcome.kind() == Outcome.Kind.DEAD_LETTERED || outcome.kind() == Outcome.Kind.REFUSED) {
      Log.warn("dispatch", fields);
    } else {
      Log.info("dispatch", fields);
    }
    observer.finished(outcome);
  }

  private static Received read(InboundMessage message) {
    JsonNode event;
    try {
      JsonNode node = Json.parse(message.body());
      event = node != null && node.isObject() ? node : null;
    } catch (RuntimeException e) {
      event = null;
    }
    String messageId = event == null || !event.hasNonNull("messageId") ? null : event.get("messageId").asText();
    String userKey = event == null ? null : EventValidator.userKey(event);
    return new Received(message, event, messageId, userKey);
  }

  /** The queue's group for the message; computed from the event where the queue did not say (tests, redrives). */
  private static String groupOf(Received r) {
    if (r.message().groupId() != null) {
      return r.message().groupId();
    }
    String key = OrderingKey.of(r.event());
    return key == null ? "message-" + MessageGroups.sha256(r.message().id()) : MessageGroups.groupId(key);
  }

  private static long ageSeconds(InboundMessage message, Instant now) {
    OptionalLong acceptedAt = acceptedAtMillis(message);
    return acceptedAt.isPresent() ? Math.max(0, (now.toEpochMilli() - acceptedAt.getAsLong()) / 1000) : 0;
  }

  private static String truncate(String value) {
    return value.length() > 1000 ? value.substring(0, 999) + "…" : value;
  }
}
