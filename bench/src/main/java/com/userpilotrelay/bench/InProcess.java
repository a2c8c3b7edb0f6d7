package com.userpilotrelay.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.auth.RequestAuthenticator;
import com.userpilotrelay.bench.probe.SqsBatch;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.delivery.DispatchSetup;
import com.userpilotrelay.delivery.Dispatcher;
import com.userpilotrelay.dispatch.DispatchHandler;
import com.userpilotrelay.ingest.IngestRequest;
import com.userpilotrelay.ingest.IngestResponse;
import com.userpilotrelay.ingest.IngestService;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.queue.QueueMessage;
import com.userpilotrelay.testing.RecordingQueue;
import com.userpilotrelay.userpilot.HttpUserpilotClient;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The production pieces wired in this JVM, the way the handlers wire them from settings. */
final class InProcess {
  static final String API_KEY = "bench-api-key";

  private InProcess() {}

  /**
   * Queue messages exactly as ingest writes them (body, type/messageId/userId attributes, arrival order),
   * made by the real IngestService from array bodies of at most 2,500 events.
   */
  static List<SqsBatch.Message> queued(List<ObjectNode> events) {
    RecordingQueue queue = new RecordingQueue();
    IngestService ingest = new IngestService(new RequestAuthenticator(Optional.empty(), Optional.empty()), queue);
    for (int from = 0; from < events.size(); from += Workload.MAX_EVENTS) {
      ArrayNode body = Json.MAPPER.createArrayNode();
      events.subList(from, Math.min(events.size(), from + Workload.MAX_EVENTS)).forEach(body::add);
      IngestResponse response = ingest.handle(new IngestRequest(Map.of("content-type", "application/json"),
          Json.writeBytes(body)));
      if (response.status() != 200) {
        throw new IllegalStateException("ingest refused the workload: " + response.body());
      }
    }
    List<SqsBatch.Message> messages = new ArrayList<>();
    int n = 0;
    for (QueueMessage m : queue.enqueued) {
      messages.add(new SqsBatch.Message("sqs-" + (n++) + "-" + m.id(), m.body(), m.attributes(), 1));
    }
    return messages;
  }

  /** Dispatch settings as a deployment sets them, pointed at a stand-in. */
  static Env dispatchEnv(URI endpoint, int dispatchConcurrency, int perMinute) {
    Map<String, String> env = new HashMap<>();
    env.put("USERPILOT_API_KEY", API_KEY);
    env.put("USERPILOT_ENDPOINT", endpoint.toString());
    env.put("DISPATCH_CONCURRENCY", Integer.toString(dispatchConcurrency));
    env.put("RATE_LIMIT_IDENTIFY_PER_MINUTE", Integer.toString(perMinute));
    env.put("RATE_LIMIT_TRACK_PER_MINUTE", Integer.toString(perMinute));
    return Env.of(env);
  }

  static HttpUserpilotClient client(Env env) {
    return DispatchSetup.client(env, SecretSource.none()).orElseThrow();
  }

  /** The dispatch function as Lambda runs it in one container: DispatchHandler around the configured Dispatcher. */
  static DispatchHandler dispatchHandler(Env env, HttpUserpilotClient client, RecordingQueue queue) {
    Dispatcher dispatcher = DispatchSetup.dispatcher(env, Mappings.presets(), client, queue,
        com.userpilotrelay.ingest.IngestStamp.marker(), com.userpilotrelay.delivery.DeliveryObserver.NONE);
    return new DispatchHandler(dispatcher);
  }

  /** DispatchSetup's users-in-parallel constant (package-private in production; read, never changed). */
  static int parallelUsers() {
    try {
      var field = DispatchSetup.class.getDeclaredField("PARALLEL_USERS");
      field.setAccessible(true);
      return field.getInt(null);
    } catch (ReflectiveOperationException e) {
      return -1;
    }
  }
}
