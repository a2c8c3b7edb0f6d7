package com.userpilotrelay.ingest;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** An HTTP request as ingest sees it: headers (any case) and the decoded body. */
public record IngestRequest(Map<String, String> headers, byte[] body) {
  public IngestRequest {
    TreeMap<String, String> lower = new TreeMap<>();
    if (headers != null) {
      headers.forEach((k, v) -> {
        if (k != null && v != null) {
          lower.merge(k.toLowerCase(Locale.ROOT), v, (a, b) -> a + "," + b);
        }
      });
    }
    headers = lower;
    body = body == null ? new byte[0] : body;
  }

  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }
}
