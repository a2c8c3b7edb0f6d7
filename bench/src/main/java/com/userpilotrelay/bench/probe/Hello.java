package com.userpilotrelay.bench.probe;

/** The baseline: a JVM that starts, prints one line and ends. */
public final class Hello {
  private Hello() {}

  public static void main(String[] args) {
    System.out.println("hello");
    System.out.flush();
  }
}
