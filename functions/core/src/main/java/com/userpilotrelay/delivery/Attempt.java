package com.userpilotrelay.delivery;

import java.time.Instant;

/**
 * One Userpilot call for one event, as sent (never with credentials: the Authorization header is not part
 * of it) and as answered.
 *
 * @param messageId the Segment messageId
 * @param userKey the user (or company) whose order it keeps
 * @param mapping the mapping's name
 * @param action identifyUser, identifyCompany, trackEvent or deleteUser
 * @param method HTTP method
 * @param path path below the Userpilot endpoint, e.g. {@code v1/identify}
 * @param requestBody the JSON body sent
 * @param status Userpilot's HTTP status, 0 when no answer came (timeout, connection error)
 * @param detail Userpilot's status line (its body is not read), or what went wrong
 * @param millis how long the call took
 * @param at when the call started
 */
public record Attempt(String messageId, String userKey, String mapping, String action, String method, String path,
    String requestBody, int status, String detail, long millis, Instant at) {
}
