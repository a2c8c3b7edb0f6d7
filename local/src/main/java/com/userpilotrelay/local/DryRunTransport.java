package com.userpilotrelay.local;

import com.userpilotrelay.json.Json;
import com.userpilotrelay.userpilot.Endpoint;
import com.userpilotrelay.userpilot.UserpilotRequest;
import com.userpilotrelay.userpilot.UserpilotResponse;
import com.userpilotrelay.userpilot.UserpilotTransport;
import java.io.PrintStream;

/**
 * Used when no USERPILOT_API_KEY is set: prints each request Userpilot would receive (method, full URL,
 * JSON body) and answers 202, so the whole pipeline runs without an account.
 */
final class DryRunTransport implements UserpilotTransport {
  static final String PREFIX = "DRY RUN ";

  private final Endpoint endpoint;
  private final PrintStream out;

  DryRunTransport(Endpoint endpoint, PrintStream out) {
    this.endpoint = endpoint;
    this.out = out;
  }

  @Override
  public UserpilotResponse send(UserpilotRequest request) {
    out.println(PREFIX + request.method() + " " + endpoint.resolve(request.path()) + " " + Json.write(request.body()));
    return new UserpilotResponse(202, null, "HTTP 202 (dry run)");
  }
}
