package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.testing.StandInUserpilot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Settings are read before anything starts; a bad one stops start-up with its name. And the key check. */
class LocalSettingsTest {
  @TempDir
  Path dataDir;

  private Map<String, String> valid() {
    Map<String, String> env = new HashMap<>();
    env.put("PORT", "0");
    env.put("SQS_PORT", Integer.toString(RelayHttp.freePort()));
    env.put("DATA_DIR", dataDir.toString());
    return env;
  }

  @ParameterizedTest
  @CsvSource({
      "PORT, abc",
      "PORT, 70000",
      "SQS_PORT, 0",
      "RETRY_HORIZON_HOURS, 2",
      "POISON_ATTEMPTS, 1",
      "RETRY_BASE_SECONDS, soon",
      "DISPATCH_CONCURRENCY, 0",
      "USERPILOT_ENDPOINT, ftp://analytex.userpilot.io/",
      "USERPILOT_ENDPOINT, analytex.userpilot.io",
      "USERPILOT_TIMEOUT_MS, 10",
      "USERPILOT_TIMEOUT_MS, 25000",
      "EVENT_HISTORY_LIMIT, 0",
      "EVENT_HISTORY_LIMIT, many",
      "EVENT_HISTORY_DAYS, 0",
      "EVENT_HISTORY_DAYS, 366",
      "LOG_FORMAT, pretty",
  })
  void anInvalidSettingStopsStartUpNamingIt(String name, String value) {
    Map<String, String> env = valid();
    env.put(name, value);
    ConfigException e = assertThrows(ConfigException.class, () -> LocalRelay.start(Env.of(env)));
    assertTrue(e.getMessage().startsWith(name + ":"), e.getMessage());
  }

  @Test
  void theSameValueForBothPortsIsRefused() {
    Map<String, String> env = valid();
    env.put("PORT", env.get("SQS_PORT"));
    ConfigException e = assertThrows(ConfigException.class, () -> LocalRelay.start(Env.of(env)));
    assertTrue(e.getMessage().startsWith("SQS_PORT:"), e.getMessage());
  }

  @Test
  void aPortInUseIsNamed() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Map<String, String> env = valid();
      env.put("PORT", Integer.toString(taken.getLocalPort()));
      ConfigException e = assertThrows(ConfigException.class, () -> LocalRelay.start(Env.of(env)));
      assertTrue(e.getMessage().startsWith("PORT:"), e.getMessage());

      Map<String, String> env2 = valid();
      env2.put("SQS_PORT", Integer.toString(taken.getLocalPort()));
      ConfigException e2 = assertThrows(ConfigException.class, () -> LocalRelay.start(Env.of(env2)));
      assertTrue(e2.getMessage().startsWith("SQS_PORT:"), e2.getMessage());
    }
  }

  @Test
  void theRunnersOwnSettingsAreLocalOnly() {
    for (Setting s : new Setting[] {Setting.PORT, Setting.SQS_PORT, Setting.DATA_DIR}) {
      assertTrue(s.localOnly(), s.name());
      assertFalse(Setting.readBy(Setting.Fn.INGEST).contains(s), s.name());
      assertFalse(Setting.readBy(Setting.Fn.DISPATCH).contains(s), s.name());
    }
  }

  @Test
  void withoutCredentialsTheHandlersRunWithLocalDevNoAuthAndWithCredentialsTheyDoNot() {
    assertTrue(LocalSettings.derive(Env.of(Map.of()), Map.of()).flag(Setting.LOCAL_DEV_NO_AUTH));
    assertFalse(LocalSettings.derive(Env.of(Map.of("INGEST_TOKEN", "t")), Map.of()).flag(Setting.LOCAL_DEV_NO_AUTH));
    assertFalse(LocalSettings.derive(Env.of(Map.of("SEGMENT_SHARED_SECRET", "s")), Map.of())
        .flag(Setting.LOCAL_DEV_NO_AUTH));
  }

  @Test
  void checkSaysPlainlyThatTheKeyIsAccepted() {
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      Output out = new Output();
      int code = LocalRelay.check(Env.of(Map.of("USERPILOT_API_KEY", StandInUserpilot.API_KEY,
          "USERPILOT_ENDPOINT", RelayHttp.endpointWithoutSlash(standIn))), out.out, out.err);
      assertEquals(0, code, out.text());
      assertTrue(out.text().contains("OK - Userpilot accepted the API key"), out.text());
      assertEquals(1, standIn.calls().size());
      assertEquals("GET", standIn.calls().get(0).method());
      assertEquals("/v1/validate", standIn.calls().get(0).path());
      assertFalse(out.text().contains(StandInUserpilot.API_KEY), "the key is never printed");
    }
  }

  @Test
  void checkSaysPlainlyThatTheKeyIsRefusedWithTheStatus() {
    try (StandInUserpilot standIn = new StandInUserpilot()) {
      Output out = new Output();
      int code = LocalRelay.check(Env.of(Map.of("USERPILOT_API_KEY", "not-the-key",
          "USERPILOT_ENDPOINT", standIn.endpoint().toString())), out.out, out.err);
      assertEquals(1, code, out.text());
      assertTrue(out.text().contains("REFUSED") && out.text().contains("HTTP 401"), out.text());
      assertFalse(out.text().contains("not-the-key"), "the key is never printed");
    }
  }

  @Test
  void checkWithoutAKeyFailsWithAMessage() {
    Output out = new Output();
    assertEquals(2, LocalRelay.check(Env.of(Map.of()), out.out, out.err));
    assertTrue(out.text().contains("USERPILOT_API_KEY is not set"), out.text());
  }

  @Test
  void checkAgainstNothingSaysUnreachable() {
    Output out = new Output();
    int port = RelayHttp.freePort();
    int code = LocalRelay.check(Env.of(Map.of("USERPILOT_API_KEY", "k", "USERPILOT_ENDPOINT",
        "http://127.0.0.1:" + port + "/")), out.out, out.err);
    assertEquals(1, code, out.text());
    assertTrue(out.text().contains("UNREACHABLE"), out.text());
  }

  private static final class Output {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    final PrintStream err = out;

    String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }
}
