package com.userpilotrelay.userpilot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ApiKeyTest {
  @Test
  void aRefusedKeyIsReadAgainAtMostOnceAMinuteAndAFailedReadKeepsTheOldKey() {
    Instant[] now = {Instant.parse("2026-01-01T00:00:00Z")};
    Clock clock = new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now[0];
      }
    };
    AtomicInteger reads = new AtomicInteger();
    ApiKey key = new ApiKey(() -> {
      int n = reads.incrementAndGet();
      if (n == 2) {
        throw new IllegalStateException("AccessDenied");
      }
      return "key-" + n;
    }, clock);
    assertEquals("key-1", key.current());
    key.refused();
    assertEquals("key-1", key.current(), "not again within the minute");
    assertEquals(1, reads.get());
    now[0] = now[0].plus(Duration.ofSeconds(61));
    assertEquals("key-1", key.current(), "the read failed: the old key, no exception");
    assertEquals("key-1", key.current());
    assertEquals(2, reads.get(), "a failed read is not retried on every call");
    now[0] = now[0].plus(Duration.ofSeconds(61));
    assertEquals("key-3", key.current(), "a minute later it is read again");
  }
}
