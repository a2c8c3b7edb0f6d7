package com.userpilotrelay.local;

import static com.userpilotrelay.local.RelayHttp.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.json.Json;
import com.userpilotrelay.testing.StandInUserpilot;
import com.userpilotrelay.testing.StandInUserpilot.Reply;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The runner's page in a real browser: Debian's headless Chromium driven through its chromedriver.
 * Events go in signed through POST /segment and are delivered to the stand-in Userpilot by the real
 * dispatcher; the page must show what happened, redrive from its button, and be of no use to another page.
 * Skipped, saying why, where /usr/bin/chromium or /usr/bin/chromedriver is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalPageBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final String SECRET = "page-browser-secret";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path dataDir;
  @TempDir
  static Path profile;

  private StandInUserpilot standIn;
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private LocalRelay.Running relay;
  private RelayHttp http;
  private ChromeDriver browser;

  @BeforeAll
  void start() {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    String missing = "the page's browser tests need Chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
        + " (Debian: apt-get install chromium chromium-driver)";
    // CI sets REQUIRE_CHROMIUM=true: there a missing browser fails the build instead of skipping the tests.
    if ("true".equals(System.getenv("REQUIRE_CHROMIUM"))) {
      assertTrue(installed, missing);
    }
    Assumptions.assumeTrue(installed, "skipped: " + missing);
    standIn = new StandInUserpilot();
    standIn.answer(call -> call.subject() != null && refused.contains(call.subject()) ? Reply.status(422) : Reply.accepted());
    Map<String, String> env = RelayHttp.settings(standIn, dataDir);
    env.put("SEGMENT_SHARED_SECRET", SECRET);
    env.put("RETRY_BASE_SECONDS", "1");
    relay = LocalRelay.start(Env.of(env));
    http = new RelayHttp(relay.url());
    browser = chromium(profile);
  }

  /** Chromium from the system, its driver named explicitly: nothing is looked up or downloaded. */
  static ChromeDriver chromium(Path profile) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1600", "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
        .usingAnyFreePort()
        .build();
    return new ChromeDriver(service, options);
  }

  @AfterAll
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (relay != null) {
      relay.stop();
    }
    if (standIn != null) {
      standIn.close();
    }
  }

  private String postIdentify(String user, String messageId) {
    String body = "{\"type\":\"identify\",\"userId\":" + Json.write(user) + ",\"messageId\":\"" + messageId
        + "\",\"traits\":{\"plan\":\"pro\"}}";
    RelayHttp.Answer answer = http.postJson(body, signed(SECRET, body));
    assertEquals(200, answer.status(), answer.body());
    return messageId;
  }

  private JsonNode deadLetters() {
    return http.get("/dead-letters").json().get("deadLetters");
  }

  /** Waits, looking again when the page re-rendered what was found (it polls the runner). */
  private WebDriverWait waiting() {
    WebDriverWait wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(200));
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }

  /** The event's entry in the latest-events list, once its state on the page is {@code state}. */
  private WebElement eventShown(String messageId, String state) {
    return waiting().withMessage(messageId + " shown as " + state).until(d -> {
      List<WebElement> found = d.findElements(By.cssSelector("#events details.event"));
      for (WebElement e : found) {
        if (messageId.equals(e.getAttribute("data-message-id"))
            && state.equals(e.findElement(By.cssSelector("summary .state")).getText())) {
          return e;
        }
      }
      return null;
    });
  }

  @Test
  void aPostedEventAndItsExactUserpilotRequestAreShown() throws IOException {
    // A hostile user id must be shown as text, never become markup.
    String user = "<img src=x id=pwned onerror=alert(1)>" + UUID.randomUUID().toString().substring(0, 6);
    String messageId = postIdentify(user, "page-" + UUID.randomUUID());
    browser.get(relay.url() + "/");

    eventShown(messageId, "DELIVERED").findElement(By.tagName("summary")).click();
    // Read in one go, from the entry as it is now (the page re-renders when any event changes).
    Map<String, String> shown = waiting().until(d -> {
      WebElement event = eventShown(messageId, "DELIVERED");
      Map<String, String> texts = new HashMap<>();
      texts.put("line", event.findElement(By.cssSelector(".request-line")).getText());
      texts.put("body", event.findElement(By.cssSelector(".request-body")).getText());
      texts.put("status", event.findElement(By.cssSelector(".userpilot-status")).getText());
      texts.put("summary", event.findElement(By.tagName("summary")).getText());
      return texts.get("body").isEmpty() ? null : texts;
    });
    assertEquals("POST " + standIn.endpoint().resolve("v1/identify"), shown.get("line"));
    List<StandInUserpilot.Call> calls = RelayHttp.deliveredFor(standIn, user);
    assertEquals(1, calls.size());
    assertEquals(calls.get(0).body(), Json.parse(shown.get("body")), "exactly the body Userpilot received");
    assertEquals("202", shown.get("status"));
    assertTrue(shown.get("summary").contains(user), "the user id as text: " + shown.get("summary"));
    assertTrue(browser.findElements(By.id("pwned")).isEmpty(), "no element made from event data");
    waiting().withMessage("the delivered count").until(d ->
        Integer.parseInt(d.findElement(By.id("count-delivered")).getText().replace("–", "0")) >= 1);

    // The same path through the page's search box.
    browser.findElement(By.id("find-id")).sendKeys(messageId);
    browser.findElement(By.cssSelector("#find button")).click();
    WebElement found = waiting().until(d -> d.findElements(By.cssSelector("#found details.event")).stream()
        .findFirst().orElse(null));
    assertEquals(messageId, found.getAttribute("data-message-id"));
    Files.write(Path.of("target", "local-page.png"), browser.getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void aDeadLetterIsRedrivenFromThePageAndThenDelivered() {
    String user = "dead-" + UUID.randomUUID().toString().substring(0, 8);
    refused.add(user);
    String messageId = postIdentify(user, "dl-" + UUID.randomUUID());
    browser.get(relay.url() + "/");
    String reason = waiting().withMessage("the dead letter on the page").until(d ->
        d.findElements(By.cssSelector("#dead-letters tr.dead-letter")).stream()
            .filter(r -> messageId.equals(r.getAttribute("data-message-id")))
            .map(r -> r.findElement(By.cssSelector(".reason")).getText()).findFirst().orElse(null));
    assertTrue(reason.contains("HTTP 422"), reason);
    assertEquals(0, RelayHttp.deliveredFor(standIn, user).size());

    refused.remove(user);
    waiting().until(d -> d.findElement(By.id("redrive")).isEnabled());
    browser.findElement(By.id("redrive")).click();
    waiting().withMessage("the redrive's answer").until(d ->
        d.findElement(By.id("redrive-result")).getText().startsWith("Redriven: "));
    eventShown(messageId, "DELIVERED");
    assertEquals(1, RelayHttp.deliveredFor(standIn, user).size());
    waiting().withMessage("no dead letter left on the page").until(d ->
        d.findElements(By.cssSelector("#dead-letters tr.dead-letter")).isEmpty());
  }

  @Test
  void anotherPageCannotRedrive() throws IOException {
    String user = "victim-" + UUID.randomUUID().toString().substring(0, 8);
    refused.add(user);
    String messageId = postIdentify(user, "x-" + UUID.randomUUID());
    RelayHttp.await("the dead letter", WAIT, () -> deadLetters().size() == 1);
    // Were a redrive to get through, the event would now be delivered.
    refused.remove(user);

    String target = relay.url() + "/dead-letters/redrive";
    String hostile = "<!doctype html><title>elsewhere</title>"
        + "<form method=post action='" + target + "' enctype='text/plain'><input name=x value=1></form>"
        + "<script>fetch('" + target + "', {method: 'POST', mode: 'no-cors', body: '{}'})"
        + ".catch(() => {}).finally(() => document.forms[0].submit());</script>";
    HttpServer elsewhere = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
    elsewhere.createContext("/", exchange -> {
      byte[] page = hostile.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, page.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(page);
      }
    });
    elsewhere.start();
    try {
      browser.get("http://127.0.0.1:" + elsewhere.getAddress().getPort() + "/");
      // The form's POST reached the runner, which answered with its refusal (shown as the new page).
      waiting().withMessage("the runner's refusal").until(d -> d.getPageSource().contains("is not for web pages of other sites"));
    } finally {
      elsewhere.stop(0);
    }
    JsonNode dead = deadLetters();
    assertEquals(1, dead.size(), "nothing was redriven: " + dead);
    assertEquals(messageId, dead.get(0).get("messageId").asText());
    assertEquals(0, RelayHttp.deliveredFor(standIn, user).size());
    // Clean up for the other tests: the runner's own route, as curl would call it.
    assertEquals(200, http.post("/dead-letters/redrive", null, new byte[0], Map.of("X-Relay-Client", "cli")).status());
    RelayHttp.await("the victim delivered", WAIT, () -> RelayHttp.deliveredFor(standIn, user).size() == 1);
  }
}
