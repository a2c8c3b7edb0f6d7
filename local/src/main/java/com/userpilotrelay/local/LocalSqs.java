package com.userpilotrelay.local;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.userpilotrelay.config.ConfigException;
import com.userpilotrelay.config.Setting;
import com.userpilotrelay.queue.SqsClients;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.elasticmq.actor.QueueManagerActor;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.TheSQSRestServerBuilder;
import org.elasticmq.server.config.ElasticMQServerConfig;
import org.elasticmq.util.NowProvider;
import scala.Option;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * ElasticMQ on 127.0.0.1 with its messages in an H2 file under DATA_DIR ({@link QueueStore}), so an event
 * answered 200 survives {@code kill -9}, in its user's order.
 *
 * <p>Started the way {@code org.elasticmq.server.ElasticMQServer#start} starts it (same config class, same
 * queue manager), but in an order that has no race: ElasticMQServer binds the SQS port first and restores
 * the persisted queues and messages asynchronously afterwards, so a client that is quick can find a queue
 * missing or empty. Here the store creates the queues and gives them their messages first, and only then
 * is the REST server bound.
 *
 * <p>ElasticMQ itself listens on an internal loopback address a web page cannot guess (a random 127.x.y.z
 * where the system allows it, a random port always); the runner's own SQS client talks to it there.
 * {@code SQS_PORT} is {@link SqsPortGuard}, which lets through only what an SDK or the aws CLI sends.
 */
final class LocalSqs implements AutoCloseable {
  /** FIFO, one message group per user, as in template.yaml. */
  static final String EVENTS_QUEUE = "userpilot-relay-events.fifo";
  static final String DEAD_LETTER_QUEUE = "userpilot-relay-dead-letters.fifo";
  /** Standard: input ingest refused, kept for inspection, never redriven. */
  static final String REJECTED_QUEUE = "userpilot-relay-rejected";
  /** How long a received message stays hidden before it is handed out again (in-flight after a crash). */
  static final int VISIBILITY_TIMEOUT_SECONDS = 30;
  static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(60);
  static final Duration UNBIND_WAIT = Duration.ofSeconds(3);

  private static LocalSqs running;

  private final ActorSystem system;
  private final SQSRestServer rest;
  private final SqsPortGuard guard;
  private final SqsClient client;
  private final URI endpoint;
  private final URI internalEndpoint;
  private final String queueUrl;
  private final String deadLetterUrl;
  private final String rejectedUrl;
  private final QueueStore store;

  private LocalSqs(ActorSystem system, SQSRestServer rest, SqsPortGuard guard, SqsClient client, URI endpoint,
      URI internalEndpoint, String queueUrl, String deadLetterUrl, String rejectedUrl,
      QueueStore store) {
    this.system = system;
    this.store = store;
    this.rest = rest;
    this.guard = guard;
    this.client = client;
    this.endpoint = endpoint;
    this.internalEndpoint = internalEndpoint;
    this.queueUrl = queueUrl;
    this.deadLetterUrl = deadLetterUrl;
    this.rejectedUrl = rejectedUrl;
  }

  static synchronized LocalSqs start(int port, Path dataDir, int maxReceiveCount) {
    if (running != null) {
      throw new IllegalStateException("an embedded SQS is already running in this JVM; stop it first");
    }
    Path dir = dataDir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new ConfigException(Setting.DATA_DIR.name() + ": cannot create " + dir + " (" + e.getMessage() + ")");
    }
    Path database = dir.resolve("queues");
    // WRITE_DELAY=0: every commit reaches the file before SQS answers (the 500 ms default loses acknowledged
    // messages on kill -9). RETENTION_TIME bounds file growth; 0 would lose the last write on a crash.
    // DB_CLOSE_ON_EXIT=FALSE: H2's own shutdown hook must not close the file under a graceful stop that is
    // still deleting delivered messages; stop() closes it last.
    String url = "jdbc:h2:file:" + database + ";WRITE_DELAY=0;RETENTION_TIME=5000;DB_CLOSE_ON_EXIT=FALSE";
    InetAddress internalHost = internalHost();
    Config config = ConfigFactory.parseString(config(port, internalHost.getHostAddress(), maxReceiveCount))
        .withFallback(ConfigFactory.load())
        .resolve();
    ElasticMQServerConfig server = new ElasticMQServerConfig(config);
    QueueStore store = openStore(url, dir, server);
    ActorSystem system;
    try {
      system = ActorSystem.create("elasticmq", config);
    } catch (RuntimeException e) {
      store.close(); // else the file stays locked for this JVM
      throw e;
    }
    SQSRestServer rest = null;
    SqsPortGuard guard = null;
    SqsClient client = null;
    try {
      // ElasticMQServer's queue manager, by its constructor, with the relay's store as its persistence listener.
      ActorRef persistence = system.actorOf(store.listener(), "queue-store");
      ActorRef queueManager = system.actorOf(Props.create(QueueManagerActor.class,
          new NowProvider(), limits(server), Option.apply(persistence)), "queue-manager");
      restore(store, queueManager);

      // Only now, with every queue and message back in place, do the SQS ports open. Queue URLs name the
      // public port (node-address), which is where users send them.
      rest = new TheSQSRestServerBuilder(Option.apply(system), Option.apply(queueManager),
          internalHost.getHostAddress(), 0, server.nodeAddress(), false, limits(server), server.awsRegion(),
          server.awsAccountId(), Option.apply(persistence), server.autoCreateQueues()).start();
      InetSocketAddress internal = new InetSocketAddress(internalHost, rest.waitUntilStarted().localAddress().getPort());
      try {
        guard = SqsPortGuard.start(system, port, internal, SqsPortGuard.Limits.DEFAULT);
      } catch (Exception e) {
        throw new ConfigException(Setting.SQS_PORT.name() + ": cannot listen on 127.0.0.1:" + port
            + " (is another relay or ElasticMQ running? choose another port)", e);
      }
      URI endpoint = URI.create("http://127.0.0.1:" + port);
      URI internalEndpoint = URI.create("http://" + internalHost.getHostAddress() + ":" + internal.getPort());
      client = SqsClients.unsigned(internalEndpoint);
      // The store created the three queues from this run's config, settings included.
      String deadLetterUrl = client.getQueueUrl(b -> b.queueName(DEAD_LETTER_QUEUE)).queueUrl();
      String rejectedUrl = client.getQueueUrl(b -> b.queueName(REJECTED_QUEUE)).queueUrl();
      String queueUrl = client.getQueueUrl(b -> b.queueName(EVENTS_QUEUE)).queueUrl();
      running = new LocalSqs(system, rest, guard, client, endpoint, internalEndpoint, queueUrl, deadLetterUrl,
          rejectedUrl, store);
      return running;
    } catch (RuntimeException e) {
      if (client != null) {
        client.close();
      }
      shutdown(system, guard, rest, store);
      throw e;
    }
  }

  /**
   * Where ElasticMQ listens for the runner itself. A web page can send a form to any loopback port, so the
   * address is one it cannot guess: a random 127.x.y.z (Linux and Windows answer on all of 127.0.0.0/8), or
   * 127.0.0.1 where only that one is configured (macOS); the port is random either way.
   */
  static InetAddress internalHost() {
    SecureRandom random = new SecureRandom();
    byte[] address = {127, (byte) random.nextInt(256), (byte) random.nextInt(256), (byte) (2 + random.nextInt(253))};
    try {
      InetAddress candidate = InetAddress.getByAddress(address);
      try (ServerSocket probe = new ServerSocket(0, 1, candidate)) {
        return candidate;
      }
    } catch (IOException e) {
      return InetAddress.getLoopbackAddress();
    }
  }

  /** Fails with a message naming DATA_DIR when the file cannot be opened (locked by another relay, read-only). */
  private static QueueStore openStore(String url, Path dir, ElasticMQServerConfig server) {
    try {
      return QueueStore.open(url, server.baseQueues());
    } catch (SQLException e) {
      String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().split("\n")[0];
      throw new ConfigException(Setting.DATA_DIR.name() + ": cannot open the queue store in " + dir
          + " (is another relay using it?): " + detail, e);
    }
  }

  private static void restore(QueueStore store, ActorRef queueManager) {
    try {
      store.restore(queueManager, RESTORE_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while restoring the queues", e);
    } catch (Exception e) {
      throw new IllegalStateException("could not restore the queues from DATA_DIR within "
          + RESTORE_TIMEOUT.toSeconds() + " s: " + e.getMessage(), e);
    }
  }

  /** Scala types the limits as the common supertype of its two cases; they are always Limits. */
  private static org.elasticmq.Limits limits(ElasticMQServerConfig server) {
    return (org.elasticmq.Limits) server.restSqs().sqsLimits();
  }

  /** ElasticMQ's own configuration (the keys of its reference.conf), for this run. */
  static String config(int port, String internalHost, int maxReceiveCount) {
    return String.join("\n", List.of(
        "pekko.loglevel = WARNING",
        "pekko.stdout-loglevel = WARNING",
        "pekko.log-dead-letters = off",
        // The runner stops things in its own order (front, pollers, SQS, file); Pekko must not race it.
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
        "pekko.jvm-shutdown-hooks = off",
        "node-address { protocol = http, host = \"127.0.0.1\", port = " + port + ", context-path = \"\" }",
        "generate-node-address = false",
        "rest-sqs { enabled = true, bind-port = 0, bind-hostname = \"" + internalHost + "\", sqs-limits = strict }",
        "queues {",
        "  \"" + DEAD_LETTER_QUEUE + "\" { defaultVisibilityTimeout = " + VISIBILITY_TIMEOUT_SECONDS
            + " seconds, fifo = true, contentBasedDeduplication = false }",
        "  \"" + REJECTED_QUEUE + "\" { defaultVisibilityTimeout = " + VISIBILITY_TIMEOUT_SECONDS + " seconds }",
        "  \"" + EVENTS_QUEUE + "\" {",
        "    defaultVisibilityTimeout = " + VISIBILITY_TIMEOUT_SECONDS + " seconds",
        "    receiveMessageWait = 0 seconds",
        "    fifo = true",
        "    contentBasedDeduplication = false",
        "    deadLettersQueue { name = \"" + DEAD_LETTER_QUEUE + "\", maxReceiveCount = " + maxReceiveCount + " }",
        "  }",
        "}",
        // The relay's QueueStore keeps the messages; ElasticMQ's own storages stay off.
        "queues-storage.enabled = false",
        "messages-storage.enabled = false"));
  }

  SqsClient client() {
    return client;
  }

  /** The public SQS endpoint (the guard on SQS_PORT). */
  URI endpoint() {
    return endpoint;
  }

  /** Where ElasticMQ itself listens; only the runner's own client uses it. */
  URI internalEndpoint() {
    return internalEndpoint;
  }

  String queueUrl() {
    return queueUrl;
  }

  String deadLetterUrl() {
    return deadLetterUrl;
  }

  String rejectedUrl() {
    return rejectedUrl;
  }

  QueueStore store() {
    return store;
  }

  /** Why the store refuses writes (see the log), or null. */
  String storeFailure() {
    return store.failure();
  }

  /** Approximate number of messages (visible, in flight and delayed), as SQS reports it. */
  int depth(String url) {
    return SqsClients.depth(client, url);
  }

  /** Unbinds the ports, stops the actors, then closes the H2 file. */
  @Override
  public void close() {
    synchronized (LocalSqs.class) {
      client.close();
      shutdown(system, guard, rest, store);
      if (running == this) {
        running = null;
      }
    }
  }

  private static void shutdown(ActorSystem system, SqsPortGuard guard, SQSRestServer rest, QueueStore store) {
    if (guard != null) {
      guard.close();
    }
    if (rest != null) {
      try {
        // stopAndWait() would wait up to a minute for open connections; the actor system's end closes them.
        scala.concurrent.Await.result(rest.stopAndGetFuture().apply(),
            scala.concurrent.duration.Duration.create(UNBIND_WAIT.toMillis(), TimeUnit.MILLISECONDS));
      } catch (Exception e) {
        // timed out, already unbound or never bound: terminating the actor system below ends it
      }
    }
    try {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // fall through: the pool is closed regardless
    }
    // Last: what ElasticMQ handed the store before it stopped is written, then the file is closed.
    store.close();
  }
}
