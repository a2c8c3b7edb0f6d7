package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.await;
import static com.userpilotrelay.local.RelayHttp.deliveredFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.segment.SegmentLimits;
import com.userpilotrelay.testing.StandInUserpilot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real client: Segment's own Webhooks (Actions) destination code from npm (the "send" action with
 * batching, a headers mapping carrying the token, the destination's shared secret signing the first
 * event), run by Node.js against the runner over HTTP. Installed under target/ at test time from the
 * versions pinned in src/test/node/package.json; skipped with a message where node or npm is missing or
 * npm cannot reach its registry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SegmentWebhooksClientTest {
  static final String SECRET = "segment-actions-secret";
  static final String TOKEN = "segment-actions-token-91c4";
  static final Path SOURCES = Path.of("src", "test", "node");
  static final Path INSTALL = Path.of("target", "segment-webhooks-client");
  /**
   * The largest answer Segment's Webhooks (Actions) client is sure to read: actions-core reads it through
   * response.clone() on node-fetch 2, whose 16 KB stream buffers stall on a larger answer that arrives in
   * pieces (Segment's own comment in prepare-response says 16 KB). Whether it stalls depends on how the
   * answer is cut into TCP reads, so the size is asserted, not only the stall.
   */
  static final int SEGMENT_CLIENT_ANSWER_BYTES = 16 * 1024;

  @TempDir
  static Path dataDir;

  private StandInUserpilot standIn;
  private LocalRelay.Running relay;
  private RelayHttp http;

  @BeforeAll
  void install() throws Exception {
    Assumptions.assumeTrue(runs(List.of("node", "--version"), Path.of("."), 30).exit == 0,
        "node is not on PATH: install Node.js to run Segment's own Webhooks (Actions) code against the runner");
    Assumptions.assumeTrue(runs(List.of("npm", "--version"), Path.of("."), 30).exit == 0,
        "npm is not on PATH: it installs Segment's Webhooks (Actions) code for this test");
    JsonNode pins = Json.parse(Files.readAllBytes(SOURCES.resolve("package.json")));
    String destinations = "@segment/action-destinations@" + pins.get("segmentActionDestinations").asText();
    Path webhook = INSTALL.resolve("package/dist/destinations/webhook/index.js");
    Path marker = INSTALL.resolve("installed-from.json");
    byte[] wanted = Files.readAllBytes(SOURCES.resolve("package.json"));
    if (!(Files.isRegularFile(webhook) && Files.isRegularFile(marker)
        && java.util.Arrays.equals(Files.readAllBytes(marker), wanted))) {
      Files.createDirectories(INSTALL);
      Files.write(INSTALL.resolve("package.json"), wanted);
      Result installed = runs(List.of("npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
          "--no-package-lock"), INSTALL, 300);
      Assumptions.assumeTrue(installed.exit == 0, "npm install failed (is the npm registry reachable?): "
          + installed.tail());
      Result packed = runs(List.of("npm", "pack", "--silent", destinations), INSTALL, 300);
      Assumptions.assumeTrue(packed.exit == 0, "npm pack " + destinations + " failed (is the npm registry reachable?): "
          + packed.tail());
      String tarball = packed.output.strip().lines().reduce((a, b) -> b).orElse("");
      extract(INSTALL.resolve(tarball), "package/dist/destinations/webhook/", INSTALL);
      Files.delete(INSTALL.resolve(tarball));
      Files.write(marker, wanted);
    }

    standIn = new StandInUserpilot();
    Map<String, String> env = RelayHttp.settings(standIn, dataDir);
    env.put("SEGMENT_SHARED_SECRET", SECRET);
    env.put("INGEST_TOKEN", TOKEN);
    relay = LocalRelay.start(Env.of(env));
    http = new RelayHttp(relay.url());
  }

  @AfterAll
  void stop() {
    if (relay != null) {
      relay.stop();
    }
    if (standIn != null) {
      standIn.close();
    }
  }

  record Result(int exit, String output) {
    String tail() {
      return output.length() > 600 ? output.substring(output.length() - 600) : output;
    }
  }

  static Result runs(List<String> command, Path dir, int timeoutSeconds) throws InterruptedException {
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Thread reader = new Thread(() -> {
        try (InputStream in = process.getInputStream()) {
          in.transferTo(out);
        } catch (IOException ignored) {
          // the process ended
        }
      });
      reader.start();
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        reader.join(5_000);
        return new Result(-1, "timed out after " + timeoutSeconds + " s: " + out.toString(StandardCharsets.UTF_8));
      }
      reader.join(5_000);
      return new Result(process.exitValue(), out.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(-1, String.valueOf(e.getMessage()));
    }
  }

  /** Extracts the entries of an npm tarball (ustar) under {@code prefix}; no tar program needed. */
  static void extract(Path tgz, String prefix, Path into) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(tgz))) {
      byte[] header = new byte[512];
      while (in.readNBytes(header, 0, 512) == 512) {
        String name = field(header, 0, 100);
        if (name.isEmpty()) {
          return;
        }
        String ustarPrefix = field(header, 345, 155);
        if (!ustarPrefix.isEmpty()) {
          name = ustarPrefix + "/" + name;
        }
        long size = Long.parseLong(field(header, 124, 12).trim().isEmpty() ? "0" : field(header, 124, 12).trim(), 8);
        byte[] data = in.readNBytes((int) size);
        in.readNBytes((int) ((512 - size % 512) % 512));
        char type = (char) header[156];
        if ((type == '0' || type == 0) && name.startsWith(prefix) && !name.contains("..")) {
          Path target = into.resolve(name);
          Files.createDirectories(target.getParent());
          Files.write(target, data);
        }
      }
    }
  }

  private static String field(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
  }

  /** The messageId send-as-segment.js gives event {@code i} of a request: analytics.js's shape and size. */
  static String messageId(String label, int i) {
    return String.format("ajs-next-1796515200000-%s-%05d-4c8e-9d1f-0b2a7e6f5d3c", label, i);
  }

  /** Runs the Node script with one plan per request ("label:events"); returns its answer lines by label. */
  private Map<String, JsonNode> sendAsSegment(String... plans) throws Exception {
    List<String> command = new ArrayList<>(List.of("node", SOURCES.resolve("send-as-segment.js").toAbsolutePath().toString(),
        INSTALL.toAbsolutePath().toString(), relay.url() + "/segment", SECRET, TOKEN));
    command.addAll(List.of(plans));
    Result result = runs(command, Path.of("."), 240);
    assertEquals(0, result.exit, result.tail());
    Map<String, JsonNode> lines = new LinkedHashMap<>();
    result.output.lines().filter(l -> l.startsWith("{")).map(Json::parse).forEach(l -> lines.put(l.get("label").asText(), l));
    assertEquals(plans.length, lines.size(), "answers for " + lines.keySet() + "; output lines not JSON: "
        + result.output.lines().filter(l -> !l.startsWith("{")).map(l -> l.length() > 300 ? l.substring(0, 300) : l)
        .toList());
    return lines;
  }

  @Test
  void oneEventAndBatchesOf300And1000And4000AreAcceptedWhole()
      throws Exception {
    long acceptedBefore = http.get("/stats").json().get("accepted").asLong();
    Map<String, JsonNode> answers = sendAsSegment("one:1", "b300:300", "b1000:1000", "b4000:4000");

    for (String label : List.of("one", "b300", "b1000", "b4000")) {
      JsonNode answer = answers.get(label);
      int events = answer.get("events").asInt();
      // -2: the answer was never read (too large for Segment's client); -1: no answer (timeout, connection).
      assertEquals("[200]", answer.get("statuses").toString(), answer.toString());
      assertTrue(answer.get("answerBytes").asInt() <= SEGMENT_CLIENT_ANSWER_BYTES,
          label + ": the relay's answer is " + answer.get("answerBytes") + " bytes; Segment's client reads at most "
          + SEGMENT_CLIENT_ANSWER_BYTES + " bytes for sure");
      JsonNode relayAnswer = Json.parse(answer.get("body").asText());
      assertEquals(events, relayAnswer.get("accepted").asInt(), label);
      assertTrue(relayAnswer.path("rejected").isMissingNode(), label + ": nothing rejected");
    }
    assertEquals("[\"" + messageId("one", 0) + "\"]",
        Json.parse(answers.get("one").get("body").asText()).get("messageIds").toString(), "Segment's own messageId kept");
    for (String label : List.of("b300", "b1000", "b4000")) {
      // A batch's answer may list only the first ids (it must stay small); those listed are Segment's own.
      JsonNode listed = Json.parse(answers.get(label).get("body").asText()).path("messageIds");
      for (int i = 0; i < listed.size(); i++) {
        assertEquals(messageId(label, i), listed.get(i).asText(), label + ": Segment's own messageIds kept, in order");
      }
    }
    assertEquals(acceptedBefore + 1 + 300 + 1000 + 4000, http.get("/stats").json().get("accepted").asLong(),
        "every accepted event was queued, nothing else");
    // Segment's largest batch of about 1.25 KB events, about 5 MB: within what a Lambda invocation carries.
    assertTrue(answers.get("b4000").get("bodyBytes").asInt() > 4_500_000, answers.get("b4000").get("bodyBytes").asText());

    // What was queued reaches Userpilot as Segment sent it (one user of each request, as the pacer allows).
    await("a delivery from the single event", Duration.ofSeconds(30), () -> !deliveredFor(standIn, "user-one-0").isEmpty());
    StandInUserpilot.Call call = deliveredFor(standIn, "user-one-0").get(0);
    assertEquals("/v1/track", call.path());
    assertEquals("Report Exported", call.body().get("event_name").asText());
    assertEquals("Zoë ✓", call.body().at("/metadata/label").asText());
  }
}
