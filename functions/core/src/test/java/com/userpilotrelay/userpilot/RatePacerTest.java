package com.userpilotrelay.userpilot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RatePacerTest {
  /** A clock the sleeper advances, so pacing is checked exactly and instantly. */
  static final class FakeTime extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void spacesCallsAtThisContainersShareOfTheLimit() throws Exception {
    FakeTime time = new FakeTime();
    RatePacer pacer = new RatePacer(Map.of(RatePacer.Bucket.TRACK, 600), 5, time, d -> time.now = time.now.plus(d));
    // 600/min over 5 dispatchers = 120/min here = one call every 500 ms.
    assertEquals(Duration.ofMillis(500), pacer.interval(RatePacer.Bucket.TRACK));
    Instant start = time.now;
    Instant far = start.plusSeconds(3600);
    for (int i = 0; i < 121; i++) {
      assertTrue(pacer.acquire(RatePacer.Bucket.TRACK, far));
    }
    assertEquals(Duration.ofSeconds(60), Duration.between(start, time.now), "121 calls take exactly one minute");
  }

  @Test
  void bucketsAreIndependentAndDeleteIsSlow() throws Exception {
    FakeTime time = new FakeTime();
    RatePacer pacer = new RatePacer(Map.of(RatePacer.Bucket.DELETE, 30), 1, time, d -> time.now = time.now.plus(d));
    assertEquals(Duration.ofSeconds(2), pacer.interval(RatePacer.Bucket.DELETE));
    Instant far = time.now.plusSeconds(3600);
    pacer.acquire(RatePacer.Bucket.DELETE, far);
    pacer.acquire(RatePacer.Bucket.DELETE, far);
    Instant afterDeletes = time.now;
    pacer.acquire(RatePacer.Bucket.IDENTIFY, far);
    assertEquals(afterDeletes, time.now, "identify does not wait for delete");
  }

  @Test
  void refusesASlotPastTheDeadlineWithoutTakingIt() throws Exception {
    FakeTime time = new FakeTime();
    RatePacer pacer = new RatePacer(Map.of(RatePacer.Bucket.IDENTIFY, 60), 1, time, d -> time.now = time.now.plus(d));
    Instant deadline = time.now.plusMillis(500);
    assertTrue(pacer.acquire(RatePacer.Bucket.IDENTIFY, deadline));
    assertFalse(pacer.acquire(RatePacer.Bucket.IDENTIFY, deadline));
    assertTrue(pacer.acquire(RatePacer.Bucket.IDENTIFY, time.now.plusSeconds(5)));
    assertEquals(Duration.ofSeconds(1), Duration.between(Instant.parse("2026-01-01T00:00:00Z"), time.now));
  }

  @Test
  void aPauseHoldsTheWholeBucket() throws Exception {
    FakeTime time = new FakeTime();
    RatePacer pacer = new RatePacer(Map.of(), 1, time, d -> time.now = time.now.plus(d));
    Instant start = time.now;
    pacer.pauseUntil(RatePacer.Bucket.TRACK, start.plusSeconds(30));
    pacer.acquire(RatePacer.Bucket.TRACK, start.plusSeconds(60));
    assertEquals(start.plusSeconds(30), time.now);
  }

  @Test
  void bucketsFollowTheAction() {
    var body = com.userpilotrelay.json.Json.object();
    assertEquals(RatePacer.Bucket.TRACK, RatePacer.bucketOf(new UserpilotRequest("trackEvent", "POST", "v1/track", body)));
    assertEquals(RatePacer.Bucket.DELETE, RatePacer.bucketOf(new UserpilotRequest("deleteUser", "DELETE", "v1/users", body)));
    assertEquals(RatePacer.Bucket.IDENTIFY,
        RatePacer.bucketOf(new UserpilotRequest("identifyCompany", "POST", "v1/companies/identify", body)));
  }

  @Test
  void aPauseThatComesWhileACallWaitsForItsSlotHoldsThatCallToo() throws Exception {
    FakeTime time = new FakeTime();
    Instant start = time.now;
    RatePacer[] pacer = new RatePacer[1];
    // While the second call sleeps towards its slot, another call's 429 pauses the bucket for 3 s.
    pacer[0] = new RatePacer(Map.of(RatePacer.Bucket.TRACK, 600), 1, time, d -> {
      time.now = time.now.plus(d);
      pacer[0].pauseUntil(RatePacer.Bucket.TRACK, start.plusSeconds(3));
    });
    Instant far = start.plusSeconds(3600);
    assertTrue(pacer[0].acquire(RatePacer.Bucket.TRACK, far), "the first call goes at once");
    assertTrue(pacer[0].acquire(RatePacer.Bucket.TRACK, far));
    assertFalse(time.now.isBefore(start.plusSeconds(3)), "the waiting call went only after the pause: " + time.now);
    assertFalse(pacer[0].acquire(RatePacer.Bucket.TRACK, start.plusSeconds(2)), "no slot before the pause ends");
  }
}
