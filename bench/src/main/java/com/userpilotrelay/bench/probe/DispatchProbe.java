package com.userpilotrelay.bench.probe;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.userpilotrelay.dispatch.DispatchHandler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dispatch function in a fresh JVM on its own classpath: the real {@link DispatchHandler} built by
 * the Lambda runtime's constructor (settings from the environment) delivers a batch of queued messages
 * read from a file (a JSON array of {id, body, attributes}) to the configured Userpilot endpoint.
 * Prints "ANSWER failures=N" per batch and "MEMORY hwmKib rssKib" at the end.
 *
 * <pre>DispatchProbe messagesFile [repeat]</pre>
 */
public final class DispatchProbe {
  private DispatchProbe() {}

  public static void main(String[] args) throws Exception {
    JsonNode file = new ObjectMapper().readTree(Path.of(args[0]).toFile());
    int repeat = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    DispatchHandler handler = new DispatchHandler();
    for (int i = 0; i < repeat; i++) {
      List<SqsBatch.Message> messages = new ArrayList<>();
      for (JsonNode m : file) {
        Map<String, String> attributes = new HashMap<>();
        m.path("attributes").properties().forEach(e -> attributes.put(e.getKey(), e.getValue().asText()));
        messages.add(new SqsBatch.Message(m.path("id").asText() + "-" + i, m.path("body").asText(), attributes, 1));
      }
      SQSBatchResponse response = handler.handleRequest(SqsBatch.of(messages), null);
      System.out.println("ANSWER failures=" + response.getBatchItemFailures().size());
      System.out.flush();
    }
    System.out.println("MEMORY " + ProcStatus.vmHwmKib() + " " + ProcStatus.vmRssKib());
    System.out.flush();
    System.exit(0);
  }
}
