package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.delivery.Attempt;
import com.userpilotrelay.delivery.DeliveryObserver;
import com.userpilotrelay.delivery.Outcome;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.observe.Log;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * "Where is my event?": each recent event's path — accepted, every Userpilot call (the request as sent,
 * which never holds the API key, and Userpilot's answer), every outcome — in memory, and in an append-only
 * JSON-lines file under DATA_DIR so that it survives restarts.
 *
 * <p>Bounded three ways: the latest {@code limit} events (by last change), none unchanged for longer than
 * {@code maxAge}, and {@link #MAX_BYTES} in all; the file is rewritten from memory when it grows past twice
 * what memory holds, so the disk is bounded too. Writing happens on one background thread: the dispatcher
 * never waits for the disk, and when the writer falls behind, lines are skipped and the next rewrite
 * restores them from memory. A torn last line (kill -9 mid-write) is skipped at start-up.
 */
final class EventHistory implements DeliveryObserver, AutoCloseable {
  static final String FILE = "event-history.jsonl";
  static final int DEFAULT_LIMIT = 10_000;
  static final int DEFAULT_DAYS = 7;
  /** Longest request body kept per attempt; Segment's own event limit is 32 KB. */
  static final int MAX_BODY_CHARS = 16 * 1024;
  /** Attempts (and outcomes) kept per event: the latest ones; the answer says how many were dropped. */
  static final int MAX_ENTRIES_PER_EVENT = 25;
  /** Memory (and so disk, up to twice this) the history may take, whatever the limit says. */
  static final long MAX_BYTES = 64L * 1024 * 1024;
  /** The file is not rewritten before it reaches this size. */
  static final long COMPACT_FLOOR_BYTES = 1024 * 1024;
  static final int MAX_ID_CHARS = 200;
  static final int MAX_TEXT_CHARS = 2000;
  private static final int MAX_PENDING_LINES = 20_000;

  private final Path file;
  private final int limit;
  private final Duration maxAge;
  private final Clock clock;
  private final Function<String, String> urlOf;
  /** Ordered by last change: the eldest entry is the first to go. */
  private final LinkedHashMap<String, EventPath> paths = new LinkedHashMap<>();
  private long bytes;
  private final BlockingQueue<String> pending = new ArrayBlockingQueue<>(MAX_PENDING_LINES);
  private volatile boolean rewriteNeeded;
  private volatile boolean stopping;
  /** The file could not be written: retried every RETRY_WRITE, warned about once. Writer thread only. */
  private boolean failing;
  private long nextTry;
  private static final Duration RETRY_WRITE = Duration.ofSeconds(30);
  private final AtomicLong skippedLines = new AtomicLong();
  private BufferedWriter appender;
  private long fileBytes;
  private final Thread writer;

  private EventHistory(Path file, int limit, Duration maxAge, Clock clock, Function<String, String> urlOf) {
    this.file = file;
    this.limit = limit;
    this.maxAge = maxAge;
    this.clock = clock;
    this.urlOf = urlOf;
    this.writer = new Thread(this::writeLoop, "event-history-writer");
    this.writer.setDaemon(true);
  }

  /**
   * Restores the history kept in {@code dataDir} (skipping lines it cannot read) and starts writing to it.
   *
   * @param urlOf the full Userpilot URL of a request path, as shown to the user
   */
  static EventHistory open(Path dataDir, int limit, Duration maxAge, Clock clock, Function<String, String> urlOf) {
    EventHistory history = new EventHistory(dataDir.resolve(FILE), limit, maxAge, clock, urlOf);
    boolean clean = history.restore();
    long live;
    synchronized (history) {
      live = history.bytes;
    }
    if (clean && history.fileBytes() <= Math.max(COMPACT_FLOOR_BYTES, 2 * live)) {
      history.openAppender();
    } else {
      // A torn or unreadable line, or more than twice what is kept: start from a clean file.
      history.rewrite();
    }
    history.writer.start();
    return history;
  }

  int limit() {
    return limit;
  }

  Duration maxAge() {
    return maxAge;
  }

  // ---- what happens to events ----

  /** The ingest handler's answer to one POST /segment: its messageIds were accepted, its rejected were not. */
  void ingested(JsonNode answer) {
    if (answer == null) {
      return;
    }
    long now = clock.millis();
    for (JsonNode id : answer.path("messageIds")) {
      ObjectNode line = line("accepted", id.asText(), now);
      if (line != null) {
        record(line);
      }
    }
    for (JsonNode rejected : answer.path("rejected")) {
      ObjectNode line = line("outcome", rejected.path("messageId").asText(null), now);
      if (line == null) {
        continue;
      }
      List<String> errors = new ArrayList<>();
      rejected.path("errors").forEach(e -> errors.add(e.asText()));
      line.put("kind", "REJECTED");
      line.put("reason", clip("event " + rejected.path("index").asInt() + ": " + String.join("; ", errors)
          + " (kept in the dead-letter queue with stage ingest)"));
      line.put("status", 0);
      line.put("attempt", 0);
      record(line);
    }
  }

  @Override
  public void attempted(Attempt attempt) {
    ObjectNode line = line("attempt", attempt.messageId(), attempt.at() == null ? clock.millis() : attempt.at().toEpochMilli());
    if (line == null) {
      return;
    }
    putText(line, "user", attempt.userKey());
    putText(line, "mapping", attempt.mapping());
    putText(line, "action", attempt.action());
    putText(line, "method", attempt.method());
    putText(line, "path", attempt.path());
    line.put("status", attempt.status());
    putText(line, "detail", attempt.detail());
    line.put("ms", attempt.millis());
    String body = attempt.requestBody() == null ? "" : attempt.requestBody();
    if (body.length() > MAX_BODY_CHARS) {
      line.put("body", body.substring(0, MAX_BODY_CHARS));
      line.put("bodyTruncated", body.length());
    } else {
      try {
        line.set("body", Json.parse(body));
      } catch (RuntimeException notJson) {
        line.put("body", body);
      }
    }
    record(line);
  }

  @Override
  public void finished(Outcome outcome) {
    ObjectNode line = line("outcome", outcome.messageId(), clock.millis());
    if (line == null) {
      return;
    }
    line.put("kind", String.valueOf(outcome.kind()));
    putText(line, "user", outcome.userKey());
    line.put("status", outcome.status());
    putText(line, "reason", outcome.reason());
    line.put("attempt", outcome.attempt());
    if (outcome.retryInSeconds() > 0) {
      line.put("retryInSeconds", outcome.retryInSeconds());
    }
    record(line);
  }

  private static ObjectNode line(String kind, String messageId, long at) {
    if (messageId == null || messageId.isBlank()) {
      return null;
    }
    ObjectNode line = Json.object();
    line.put("k", kind);
    line.put("id", messageId.length() > MAX_ID_CHARS ? messageId.substring(0, MAX_ID_CHARS) : messageId);
    line.put("at", at);
    return line;
  }

  private static void putText(ObjectNode line, String field, String value) {
    if (value != null) {
      line.put(field, clip(value));
    }
  }

  private static String clip(String value) {
    return value.length() > MAX_TEXT_CHARS ? value.substring(0, MAX_TEXT_CHARS) + "…" : value;
  }

  private void record(ObjectNode line) {
    String text = line.toString();
    synchronized (this) {
      apply(line, text);
      trim(clock.millis());
      if (!pending.offer(text)) {
        // Memory has it; the next rewrite puts it on disk.
        skippedLines.incrementAndGet();
        rewriteNeeded = true;
      }
    }
  }

  // ---- memory ----

  private static final class EventPath {
    final String messageId;
    long acceptedAt;
    long lastChange;
    long bytes;
    /** The lines as written (compact strings, parsed only when asked for). */
    final List<String> attempts = new ArrayList<>();
    final List<String> outcomes = new ArrayList<>();
    String lastOutcome;
    int attemptsDropped;
    int outcomesDropped;

    EventPath(String messageId) {
      this.messageId = messageId;
    }
  }

  /** Adds one line's fact; the caller holds the lock. */
  private void apply(ObjectNode line, String text) {
    String id = line.path("id").asText(null);
    String kind = line.path("k").asText("");
    if (id == null) {
      return;
    }
    EventPath path = paths.remove(id);
    if (path == null) {
      path = new EventPath(id);
      path.bytes = id.length() + 64L;
      bytes += path.bytes;
    }
    paths.put(id, path);
    long at = line.path("at").asLong(0);
    path.lastChange = Math.max(path.lastChange, at);
    switch (kind) {
      case "accepted" -> {
        if (path.acceptedAt == 0) {
          path.acceptedAt = at;
        }
      }
      case "event" -> {
        // A rewrite's summary of what was dropped before it.
        path.acceptedAt = line.path("acceptedAt").asLong(path.acceptedAt);
        path.attemptsDropped += line.path("attemptsDropped").asInt(0);
        path.outcomesDropped += line.path("outcomesDropped").asInt(0);
      }
      case "attempt" -> {
        path.attempts.add(text);
        grow(path, text.length());
        if (path.attempts.size() > MAX_ENTRIES_PER_EVENT) {
          grow(path, -path.attempts.remove(0).length());
          path.attemptsDropped++;
        }
      }
      case "outcome" -> {
        path.outcomes.add(text);
        path.lastOutcome = line.path("kind").asText();
        grow(path, text.length());
        if (path.outcomes.size() > MAX_ENTRIES_PER_EVENT) {
          grow(path, -path.outcomes.remove(0).length());
          path.outcomesDropped++;
        }
      }
      default -> {
        // a line from a newer version: nothing to add
      }
    }
  }

  private void grow(EventPath path, long delta) {
    path.bytes += delta;
    bytes += delta;
  }

  /** Drops the eldest events while over the limits; the caller holds the lock. */
  private void trim(long now) {
    long oldest = now - maxAge.toMillis();
    Iterator<EventPath> eldest = paths.values().iterator();
    while (eldest.hasNext()) {
      EventPath path = eldest.next();
      if (paths.size() > limit || bytes > MAX_BYTES || path.lastChange < oldest) {
        eldest.remove();
        bytes -= path.bytes;
      } else {
        break;
      }
    }
  }

  // ---- what GET /events answers ----

  /** One event's path, or empty when it is unknown here or aged out. */
  synchronized Optional<ObjectNode> path(String messageId) {
    trim(clock.millis());
    EventPath path = paths.get(messageId);
    return path == null ? Optional.empty() : Optional.of(describe(path));
  }

  /** The most recently changed events, newest first. */
  synchronized ArrayNode latest(int count) {
    trim(clock.millis());
    List<EventPath> all = new ArrayList<>(paths.values());
    ArrayNode list = Json.MAPPER.createArrayNode();
    for (int i = all.size() - 1; i >= 0 && list.size() < count; i--) {
      list.add(describe(all.get(i)));
    }
    return list;
  }

  synchronized int size() {
    return paths.size();
  }

  private ObjectNode describe(EventPath path) {
    ObjectNode json = Json.object();
    json.put("messageId", path.messageId);
    json.put("state", path.lastOutcome != null ? path.lastOutcome : path.attempts.isEmpty() ? "QUEUED" : "SENDING");
    if (path.acceptedAt > 0) {
      json.put("acceptedAt", Instant.ofEpochMilli(path.acceptedAt).toString());
    } else {
      json.putNull("acceptedAt");
    }
    json.put("lastChange", Instant.ofEpochMilli(path.lastChange).toString());
    String user = null;
    ArrayNode attempts = json.putArray("attempts");
    for (String text : path.attempts) {
      JsonNode a = Json.parse(text);
      ObjectNode out = attempts.addObject();
      out.put("at", Instant.ofEpochMilli(a.path("at").asLong()).toString());
      out.put("mapping", a.path("mapping").asText(null));
      out.put("action", a.path("action").asText(null));
      ObjectNode request = out.putObject("request");
      String method = a.path("method").asText(null);
      String relative = a.path("path").asText(null);
      request.put("method", method);
      request.put("path", relative);
      request.put("url", relative == null ? null : urlOf.apply(relative));
      request.set("body", a.get("body"));
      if (a.has("bodyTruncated")) {
        request.put("bodyTruncatedFrom", a.get("bodyTruncated").asInt());
      }
      out.put("status", a.path("status").asInt());
      out.put("detail", a.path("detail").asText(null));
      out.put("ms", a.path("ms").asLong());
      user = a.path("user").asText(user);
    }
    json.put("attemptsDropped", path.attemptsDropped);
    ArrayNode outcomes = json.putArray("outcomes");
    for (String text : path.outcomes) {
      JsonNode o = Json.parse(text);
      ObjectNode out = outcomes.addObject();
      out.put("at", Instant.ofEpochMilli(o.path("at").asLong()).toString());
      out.put("kind", o.path("kind").asText());
      out.put("status", o.path("status").asInt());
      out.put("reason", o.path("reason").asText(null));
      out.put("attempt", o.path("attempt").asInt());
      if (o.has("retryInSeconds")) {
        out.put("retryInSeconds", o.get("retryInSeconds").asLong());
      }
      user = o.path("user").asText(user);
    }
    json.put("outcomesDropped", path.outcomesDropped);
    json.put("userId", user);
    return json;
  }

  // ---- disk ----

  /** Reads the file into memory; false when some of it could not be read or its last line is torn. */
  private boolean restore() {
    int unreadable = 0;
    boolean clean = true;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      while ((text = in.readLine()) != null) {
        if (text.isBlank()) {
          continue;
        }
        JsonNode line;
        try {
          line = Json.parse(text);
        } catch (RuntimeException torn) {
          unreadable++;
          continue;
        }
        if (line instanceof ObjectNode object) {
          synchronized (this) {
            apply(object, text);
          }
        } else {
          unreadable++;
        }
      }
    } catch (NoSuchFileException first) {
      return false;
    } catch (IOException | UncheckedIOException e) {
      clean = false;
      // History is a convenience: start with what was read rather than not at all.
      Log.warn("event history: could not read all of it; starting with what was read",
          Map.of("file", file.toString(), "error", e.getClass().getSimpleName()));
    }
    synchronized (this) {
      trim(clock.millis());
    }
    if (unreadable > 0) {
      Log.warn("event history: skipped lines it could not read (a torn last line after a crash is expected)",
          Map.of("file", file.toString(), "lines", unreadable));
    }
    return clean && unreadable == 0 && endsWithNewline();
  }

  private boolean endsWithNewline() {
    try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "r")) {
      if (raf.length() == 0) {
        return true;
      }
      raf.seek(raf.length() - 1);
      return raf.read() == '\n';
    } catch (IOException e) {
      return false;
    }
  }

  private void openAppender() {
    try {
      fileBytes = Files.size(file);
      appender = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      rewrite();
    }
  }

  /** Writes what memory holds to a new file and puts it in place of the old one. */
  private void rewrite() {
    List<String> lines = new ArrayList<>();
    synchronized (this) {
      for (EventPath path : paths.values()) {
        ObjectNode head = Json.object();
        head.put("k", "event");
        head.put("id", path.messageId);
        head.put("at", path.lastChange);
        head.put("acceptedAt", path.acceptedAt);
        head.put("attemptsDropped", path.attemptsDropped);
        head.put("outcomesDropped", path.outcomesDropped);
        lines.add(head.toString());
        lines.addAll(path.attempts);
        lines.addAll(path.outcomes);
      }
      // Everything waiting to be appended is in memory, and so in this rewrite.
      pending.clear();
      rewriteNeeded = false;
    }
    try {
      closeAppender();
      Files.createDirectories(file.getParent());
      Path next = file.resolveSibling(FILE + ".next");
      long written = 0;
      try (BufferedWriter out = Files.newBufferedWriter(next, StandardCharsets.UTF_8)) {
        for (String line : lines) {
          out.write(line);
          out.write('\n');
          written += line.length() + 1;
        }
      }
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      fileBytes = written;
      appender = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      failing = false;
    } catch (IOException e) {
      if (!failing) {
        Log.warn("event history: cannot write its file; it is kept in memory and written again in 30 s",
            Map.of("file", file.toString(), "error", e.getClass().getSimpleName()));
      }
      failing = true;
      nextTry = System.nanoTime() + RETRY_WRITE.toNanos();
      rewriteNeeded = true;
    }
  }

  private void writeLoop() {
    List<String> batch = new ArrayList<>();
    while (true) {
      boolean last = stopping;
      batch.clear();
      try {
        String first = pending.poll(200, TimeUnit.MILLISECONDS);
        if (first != null) {
          batch.add(first);
          pending.drainTo(batch);
        }
      } catch (InterruptedException e) {
        last = true;
      }
      try {
        for (String line : batch) {
          if (appender != null) {
            appender.write(line);
            appender.write('\n');
            fileBytes += line.length() + 1;
          }
        }
        if (appender != null && !batch.isEmpty()) {
          appender.flush();
        }
      } catch (IOException e) {
        rewriteNeeded = true;
      }
      long live;
      synchronized (this) {
        live = bytes;
      }
      boolean due = !failing || System.nanoTime() - nextTry >= 0;
      if (due && (rewriteNeeded || fileBytes > Math.max(COMPACT_FLOOR_BYTES, 2 * live))) {
        rewrite();
      }
      if (last && pending.isEmpty()) {
        closeAppender();
        return;
      }
    }
  }

  private void closeAppender() {
    if (appender != null) {
      try {
        appender.close();
      } catch (IOException ignored) {
        // the lines are in memory; the next start rewrites what it reads
      }
      appender = null;
    }
  }

  /** Writes what is pending and closes the file. */
  @Override
  public void close() {
    stopping = true;
    try {
      writer.join(Duration.ofSeconds(5).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Bytes in the file now (tests). */
  long fileBytes() {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  Path file() {
    return file;
  }
}
