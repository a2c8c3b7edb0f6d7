package com.userpilotrelay.userpilot;

import java.net.URI;

/** Joins Userpilot paths onto the configured endpoint, with or without its trailing slash. */
public final class Endpoint {
  public static final String DEFAULT = "https://analytex.userpilot.io/";

  private final URI base;

  public Endpoint(URI configured) {
    String text = configured.toString();
    // The reference concatenates strings and breaks without the slash; a base path must end in one.
    this.base = URI.create(text.endsWith("/") ? text : text + "/");
  }

  public URI resolve(String relativePath) {
    return base.resolve(relativePath);
  }

  public URI base() {
    return base;
  }
}
