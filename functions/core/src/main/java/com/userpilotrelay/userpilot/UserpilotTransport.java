package com.userpilotrelay.userpilot;

/** Sends one request to Userpilot. Never throws for network trouble: that is a response with status 0. */
public interface UserpilotTransport {
  UserpilotResponse send(UserpilotRequest request);
}
