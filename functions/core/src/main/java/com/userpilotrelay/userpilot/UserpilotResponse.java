package com.userpilotrelay.userpilot;

import java.time.Duration;

/**
 * What Userpilot answered, or that it could not be reached.
 *
 * @param status the HTTP status, or 0 when no answer came (timeout, connection refused or reset)
 * @param retryAfter Userpilot's Retry-After, when it sent one
 * @param detail a short description for the dead-letter reason (status line or error type; never the body's data)
 */
public record UserpilotResponse(int status, Duration retryAfter, String detail) {
  public boolean ok() {
    return status >= 200 && status < 300;
  }

  /** Userpilot rejected the API key itself: every event is affected. */
  public boolean authFailure() {
    return status == 401 || status == 403;
  }

  /** Worth trying again later: timeouts, connection errors, 408, 423, 429 and 5xx except 501. */
  public boolean retryable() {
    return status == 0 || status == 408 || status == 423 || status == 429 || (status >= 500 && status != 501);
  }
}
