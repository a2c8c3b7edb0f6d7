package com.userpilotrelay.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Env;
import com.userpilotrelay.config.SecretSource;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.delivery.DispatchSetup;
import com.userpilotrelay.delivery.Dispatcher;
import com.userpilotrelay.dispatch.DispatchHandler;
import com.userpilotrelay.ingest.IngestHandler;
import com.userpilotrelay.ingest.IngestService;
import com.userpilotrelay.ingest.IngestStamp;
import com.userpilotrelay.ingest.IngestSetup;
import com.userpilotrelay.mapping.Mappings;
import com.userpilotrelay.observe.Log;
import com.userpilotrelay.queue.SqsEventQueue;
import com.userpilotrelay.userpilot.Endpoint;
import com.userpilotrelay.userpilot.HttpUserpilotClient;
import com.userpilotrelay.userpilot.UserpilotResponse;
import com.userpilotrelay.userpilot.UserpilotTransport;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import com.userpilotrelay.delivery.DeliveryObserver;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The whole relay in one JVM, for development and small self-hosted setups: embedded ElasticMQ with the
 * events queue and its dead-letter queue (kept on disk), an HTTP front that calls the real ingest handler,
 * and a poller that calls the real dispatch handler the way Lambda's SQS event source does.
 *
 * <pre>
 *   java -jar userpilot-relay-local.jar          # run
 *   java -jar userpilot-relay-local.jar check    # test the Userpilot API key (GET v1/validate)
 * </pre>
 */
public final class LocalRelay {
  public static final int DEFAULT_PORT = 3000;
  public static final int DEFAULT_SQS_PORT = 9324;
  public static final String DEFAULT_DATA_DIR = ".relay-data";
  /**
   * The events queue's maxReceiveCount, as in template.yaml: only the safety net for a dispatcher that crashes on
   * the same message again and again. The relay dead-letters by time (RETRY_HORIZON_HOURS), with reasons.
   */
  public static final int MAX_RECEIVE_COUNT = 1000;
  /** Dispatch's SqsEventQueue concurrency, as in DispatchHandler. */
  static final int DISPATCH_SEND_CONCURRENCY = 4;
  static final Duration DISPATCH_SEND_BUDGET = Duration.ofSeconds(1);
  /** Attempts start within 7 s, each ends within 3 s: a slow disk gives a 503 by Segment's 10 s. */
  static final Duration INGEST_SEND_BUDGET = Duration.ofSeconds(7);
  static final Duration FRONT_GRACE = Duration.ofSeconds(1);
  /** The heap bound local/relay.sh and the README's command give the runner (see README, "Run it locally"). */
  static final String HEAP_FLAG = "-Xmx256m";
  /** Above this the heap is taken as unbounded: the JVM's default is a quarter of the machine's memory. */
  static final long UNBOUNDED_HEAP_BYTES = 1024L * 1024 * 1024;
  static final Duration POLLER_GRACE = Duration.ofSeconds(30);

  private LocalRelay() {}

  public static void main(String[] args) {
    String command = args.length == 0 ? "run" : args[0];
    switch (command) {
      case "run" -> run();
      case "check" -> System.exit(check(Env.system(), System.out, System.err));
      case "help", "-h", "--help" -> usage(System.out);
      default -> {
        System.err.println("unknown command: " + command);
        usage(System.err);
        System.exit(2);
      }
    }
  }

  private static void run() {
    Running relay;
    try {
      relay = start(Env.system());
    } catch (ConfigException e) {
      System.err.println("userpilot-relay-local: cannot start: " + e.getMessage());
      System.exit(2);
      return;
    } catch (RuntimeException e) {
      System.err.println("userpilot-relay-local: cannot start: " + e.getMessage());
      e.printStackTrace(System.err);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(relay::stop, "relay-shutdown"));
    heapWarning(Runtime.getRuntime().maxMemory()).ifPresent(System.err::println);
    System.out.println(relay.banner());
    System.out.flush();
    relay.awaitStop();
  }

  private static void usage(PrintStream out) {
    out.println("usage: java -jar userpilot-relay-local.jar [run|check]");
    out.println("  run    (default) serve POST /segment and deliver to Userpilot; settings from the environment");
    out.println("  check  ask Userpilot whether USERPILOT_API_KEY is accepted (GET v1/validate)");
    out.println("settings:");
    for (Setting s : LocalSettings.DOCUMENTED) {
      out.printf("  %-22s %s%n", s.name(), s.description());
    }
  }

  /**
   * The reference destination's "test authentication": GET v1/validate with the configured key. Returns
   * the process exit code: 0 accepted, 1 refused or unreachable, 2 no key configured.
   */
  public static int check(Env env, PrintStream out, PrintStream err) {
    Optional<HttpUserpilotClient> client;
    Endpoint endpoint;
    try {
      Env local = LocalSettings.derive(env, Map.of());
      endpoint = DispatchSetup.endpoint(local);
      client = DispatchSetup.client(local, SecretSource.none());
    } catch (ConfigException e) {
      err.println("check: " + e.getMessage());
      return 2;
    }
    if (client.isEmpty()) {
      err.println("check: USERPILOT_API_KEY is not set, so there is no key to check. Set it to the API key from"
          + " Userpilot (Settings > Environment) and run check again.");
      return 2;
    }
    URI validate = LocalSettings.printable(endpoint.resolve("v1/validate"));
    UserpilotResponse response = client.get().validate();
    if (response.ok()) {
      out.println("check: OK - Userpilot accepted the API key (HTTP " + response.status() + " from GET " + validate + ")");
      return 0;
    }
    if (response.authFailure()) {
      err.println("check: REFUSED - Userpilot did not accept the API key (HTTP " + response.status() + " from GET "
          + validate + "). Check USERPILOT_API_KEY, and USERPILOT_ENDPOINT for EU or enterprise accounts"
          + " (EU: https://analytex-eu.userpilot.io/).");
      return 1;
    }
    if (response.status() == 0) {
      err.println("check: UNREACHABLE - no answer from GET " + validate + ": " + response.detail());
      return 1;
    }
    err.println("check: FAILED - Userpilot answered HTTP " + response.status() + " to GET " + validate
        + "; the key could not be confirmed");
    return 1;
  }

  /**
   * Starts the relay with these settings and returns once it is ready (queues restored, ports open,
   * pollers running). A bad setting throws {@link ConfigException} naming it, before anything is started.
   */
  public static Running start(Env env) {
    return start(env, FrontServer.Limits.DEFAULT);
  }

  /** As {@link #start(Env)}, with other limits on the HTTP front's clients (tests use short deadlines). */
  static Running start(Env env, FrontServer.Limits limits) {
    long started = System.nanoTime();
    LocalSettings settings = LocalSettings.read(env);
    // Readable from the first line on (LOG_FORMAT): the settings below may already warn.
    ReadableConsole console = settings.logJson() ? null : new ReadableConsole(System.out, ZoneId.systemDefault());
    Log.format(console);
    try {
      return start(env, settings, console, started, limits);
    } catch (RuntimeException e) {
      Log.format(null);
      throw e;
    }
  }

  private static Running start(Env env, LocalSettings settings, ReadableConsole console, long started,
      FrontServer.Limits limits) {
    SecretSource secrets = SecretSource.none();
    Env base = LocalSettings.derive(env, Map.of());
    // Everything that only reads settings fails here, before a port or file is touched.
    Mappings mappings = DispatchSetup.mappings(base, secrets);
    Endpoint endpoint = DispatchSetup.endpoint(base);
    Optional<HttpUserpilotClient> client = DispatchSetup.client(base, secrets);
    UserpilotTransport transport = client.<UserpilotTransport>map(c -> c)
        .orElseGet(() -> new DryRunTransport(endpoint, System.out));
    DispatchSetup.pacer(base);
    DispatchSetup.retryPolicy(base);
    if (!settings.authConfigured()) {
      System.err.println(LocalSettings.NO_AUTH_WARNING.replace("{port}", Integer.toString(settings.port())));
    }

    requireFree(Setting.SQS_PORT, settings.sqsPort());
    if (settings.port() != 0) {
      requireFree(Setting.PORT, settings.port());
    }
    LocalSqs sqs = LocalSqs.start(settings.sqsPort(), settings.dataDir(), settings.maxReceiveCount());
    Running running = null;
    EventHistory history = null;
    try {
      Map<Setting, String> queues = new HashMap<>();
      queues.put(Setting.EVENTS_QUEUE_URL, sqs.queueUrl());
      queues.put(Setting.DEAD_LETTER_QUEUE_URL, sqs.deadLetterUrl());
      queues.put(Setting.REJECTED_QUEUE_URL, sqs.rejectedUrl());
      Env full = LocalSettings.derive(env, queues);

      // The embedded SQS port takes unauthenticated writes from anything on this machine: only messages that
      // carry ingest's keyed stamp are delivered (RELIABILITY.md, "Local runner").
      IngestStamp stamp = IngestStamp.keyed(StampKey.load(settings.dataDir()));
      IngestService ingestService = IngestSetup.service(full, secrets, sqs.client(), stamp, INGEST_SEND_BUDGET);
      history = EventHistory.open(settings.dataDir(), settings.historyLimit(), settings.historyAge(),
          java.time.Clock.systemUTC(), path -> LocalSettings.printable(endpoint.resolve(path)).toString());
      RelayStats stats = new RelayStats(history::ingested);
      SqsEventQueue dispatchQueue = new SqsEventQueue(sqs.client(), sqs.queueUrl(), sqs.deadLetterUrl(),
          sqs.rejectedUrl(), DISPATCH_SEND_CONCURRENCY, DISPATCH_SEND_BUDGET);
      List<DeliveryObserver> observers = new ArrayList<>(List.of(stats, history));
      if (console != null) {
        observers.add(console);
      }
      Dispatcher dispatcher = DispatchSetup.dispatcher(full, mappings, transport, dispatchQueue, stamp,
          new DeliveryReports(observers));
      String queueArn = sqs.client().getQueueAttributes(b -> b.queueUrl(sqs.queueUrl())
          .attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
      QueuePoller poller = new QueuePoller(sqs.client(), sqs.queueUrl(), queueArn, new DispatchHandler(dispatcher),
          settings.invocationBudget(), stats);
      DeadLetters deadLetters = new DeadLetters(sqs.client(), sqs.deadLetterUrl(), sqs.queueUrl());
      DeadLetters rejected = new DeadLetters(sqs.client(), sqs.rejectedUrl(), null, "rejected");

      running = new Running(settings, sqs, poller, stats, deadLetters, rejected, client.isEmpty(), endpoint,
          env.optional(Setting.MAPPINGS_FILE).orElse(null));
      running.history = history;
      running.page = new EventPage(history);
      running.front = HttpFront.start(settings.port(), new IngestHandler(ingestService), stats, running, limits);
      poller.start(settings.dispatchConcurrency());
      running.startup = Duration.ofNanos(System.nanoTime() - started);
      running.ready = true;
      return running;
    } catch (RuntimeException e) {
      if (running != null) {
        running.stop();
      } else {
        if (history != null) {
          history.close();
        }
        sqs.close();
      }
      throw e;
    }
  }

  /**
   * A warning when the JVM was started without a heap bound: garbage then piles up to a quarter of the
   * machine's memory before a collection (1.2 GB resident was seen under a 4,000-event request).
   */
  static Optional<String> heapWarning(long maxHeapBytes) {
    if (maxHeapBytes <= UNBOUNDED_HEAP_BYTES) {
      return Optional.empty();
    }
    return Optional.of("WARNING: the heap may grow to " + maxHeapBytes / (1024 * 1024) + " MiB: no bound was given."
        + " Start the runner with local/relay.sh, or java " + HEAP_FLAG + " -jar userpilot-relay-local.jar");
  }

  /** Fails with a message naming the setting when the port is taken (checked before anything starts). */
  private static void requireFree(Setting setting, int port) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
    } catch (java.io.IOException e) {
      throw new ConfigException(setting.name() + ": port " + port + " on 127.0.0.1 is in use (another relay?); "
          + "stop it or choose another port");
    }
  }

  /** A started relay. {@link #stop()} is graceful: nothing accepted is lost, in-flight batches finish. */
  public static final class Running implements AutoCloseable, HttpFront.Routes {
    private final LocalSettings settings;
    private final LocalSqs sqs;
    private final QueuePoller poller;
    private final RelayStats stats;
    private final DeadLetters deadLetters;
    private final DeadLetters rejected;
    private final boolean dryRun;
    private final Endpoint endpoint;
    private final String mappingsFile;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile HttpFront front;
    private volatile boolean ready;
    private volatile boolean stopping;
    private volatile Duration startup = Duration.ZERO;
    private EventHistory history;
    private EventPage page;

    private Running(LocalSettings settings, LocalSqs sqs, QueuePoller poller, RelayStats stats, DeadLetters deadLetters,
        DeadLetters rejected,
        boolean dryRun, Endpoint endpoint, String mappingsFile) {
      this.settings = settings;
      this.sqs = sqs;
      this.poller = poller;
      this.stats = stats;
      this.deadLetters = deadLetters;
      this.rejected = rejected;
      this.dryRun = dryRun;
      this.endpoint = endpoint;
      this.mappingsFile = mappingsFile;
    }

    /** The HTTP base URL, e.g. http://127.0.0.1:3000 (POST /segment on it). */
    public URI url() {
      return URI.create("http://127.0.0.1:" + front.port());
    }

    /** The SQS port for SDKs and the aws CLI (SQS_PORT). */
    public URI sqsEndpoint() {
      return sqs.endpoint();
    }

    /** Where ElasticMQ itself listens, for the runner's own client only. */
    URI internalSqsEndpoint() {
      return sqs.internalEndpoint();
    }

    /** The embedded SQS and its store (tests reach the store through it). */
    LocalSqs sqs() {
      return sqs;
    }

    public Path dataDir() {
      return settings.dataDir().toAbsolutePath().normalize();
    }

    public boolean dryRun() {
      return dryRun;
    }

    public Duration startupTime() {
      return startup;
    }

    @Override
    public boolean ready() {
      return ready && !stopping;
    }

    @Override
    public String storeFailure() {
      return sqs.storeFailure();
    }

    @Override
    public ObjectNode stats() {
      return stats.snapshot(() -> sqs.depth(sqs.queueUrl()), () -> sqs.depth(sqs.deadLetterUrl()),
          () -> sqs.depth(sqs.rejectedUrl()));
    }

    @Override
    public ObjectNode deadLetters(int limit, String after) {
      return deadLetters.page(limit, after);
    }

    @Override
    public ObjectNode rejected(int limit, String after) {
      return rejected.page(limit, after);
    }

    @Override
    public int redrive() {
      return deadLetters.redrive();
    }

    @Override
    public List<HttpFront.Route> more() {
      return page == null ? List.of() : page.routes();
    }

    /** Stops taking requests, lets the pollers finish their batches, then closes the queues' file. */
    public void stop() {
      synchronized (this) {
        if (stopping) {
          awaitStop();
          return;
        }
        stopping = true;
      }
      long began = System.nanoTime();
      try {
        poller.requestStop();
        if (front != null) {
          front.stop(FRONT_GRACE);
        }
        poller.stop(POLLER_GRACE);
        sqs.close();
        if (history != null) {
          history.close();
        }
      } finally {
        Log.info("stopped", Map.of("ms", (System.nanoTime() - began) / 1_000_000));
        Log.format(null);
        stopped.countDown();
      }
    }

    @Override
    public void close() {
      stop();
    }

    void awaitStop() {
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** What the runner prints once it is ready. Never a secret. */
    public String banner() {
      String base = url().toString();
      StringBuilder b = new StringBuilder();
      b.append("Userpilot Relay (local) ").append(HttpUserpilotClient.USER_AGENT.substring("userpilot-relay/".length()))
          .append(" ready in ").append(startup.toMillis()).append(" ms\n");
      b.append("  events:   POST ").append(base).append("/segment\n");
      b.append("  page:     ").append(base).append("/  (counts, latest events, dead letters; this machine only)\n");
      b.append("  events:   GET ").append(base).append("/events/{messageId}  (where is my event?)\n");
      b.append("  local:    GET ").append(base).append("/health  GET /stats  GET /dead-letters  GET /rejected  POST /dead-letters/redrive")
          .append(" (this machine only)\n");
      b.append("  queues:   ElasticMQ on ").append(sqs.endpoint()).append(" (AWS SDKs and the aws CLI, any credentials)")
          .append(", kept in ").append(dataDir()).append('\n');
      if (dryRun) {
        b.append("  delivery: DRY RUN - USERPILOT_API_KEY is not set; each Userpilot request is printed here"
            + " (\"DRY RUN ...\") and answered 202\n");
      } else {
        b.append("  delivery: ").append(LocalSettings.printable(endpoint.base()))
            .append(" (test the key: java -jar userpilot-relay-local.jar check)\n");
      }
      b.append("  auth:     ").append(settings.authDescription()).append('\n');
      b.append("  memory:   heap up to ").append(Runtime.getRuntime().maxMemory() / (1024 * 1024)).append(" MiB")
          .append(Runtime.getRuntime().maxMemory() > UNBOUNDED_HEAP_BYTES ? " (unbounded: start with " + HEAP_FLAG + ")" : "")
          .append('\n');
      b.append("  mappings: ").append(mappingsFile == null ? "presets (identify, group, track, delete)" : mappingsFile);
      return b.toString();
    }
  }
}
