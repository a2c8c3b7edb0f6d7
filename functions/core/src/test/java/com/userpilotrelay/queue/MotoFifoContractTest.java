package com.userpilotrelay.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The FIFO contract against moto's SQS server (moto_server, Python): a second SQS implementation written
 * independently of ElasticMQ, so a behaviour both show is SQS's, not one emulator's. Skipped, with the reason,
 * where moto_server is not installed (pip install 'moto[server]').
 */
class MotoFifoContractTest extends FifoQueueContract {
  private static Process moto;
  private static SqsClient client;

  @BeforeAll
  static void start() throws Exception {
    String executable = onPath("moto_server");
    assumeTrue(executable != null, "moto_server is not on the PATH: skipping the FIFO contract against moto"
        + " (pip install 'moto[server]' to run it)");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    moto = new ProcessBuilder(executable, "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true).redirectOutput(new File("target/moto_server.log")).start();
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!answers(endpoint)) {
      if (System.nanoTime() > until || !moto.isAlive()) {
        throw new IllegalStateException("moto_server did not start; see target/moto_server.log");
      }
      Thread.sleep(200);
    }
    client = SqsClients.local(endpoint);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (moto != null) {
      moto.destroy();
    }
  }

  @Override
  SqsClient client() {
    return client;
  }

  /**
   * moto 5.2.1 differs from SQS here: after a group's messages come back from a visibility change, it hands out
   * the later one first. SQS documents strict order within a group, and ElasticMQ keeps it (the inherited test
   * passes there). Asserted as observed, so a moto that is fixed shows up here.
   */
  @Override
  @Test
  void aRetryDelayHidesTheMessageAndHoldsItsGroupThenOrderResumes() throws InterruptedException {
    List<String> after = visibilityRoundTrip();
    assertEquals(List.of("a2"), after, "moto's known deviation: if this now says [a1, a2], moto keeps SQS's order"
        + " and this override can go");
  }

  /**
   * moto 5.2.1 forgets a deduplication id once its message is deleted; SQS keeps tracking it for five minutes
   * ("Amazon SQS continues tracking the deduplication ID even after the message has been received and
   * deleted"), and ElasticMQ does too (the inherited test passes there).
   */
  @Override
  @Test
  void aResendOfTheSameEventIsStoredOnceEvenAfterTheFirstWasDelivered() {
    assertEquals(1, resendAfterDelete(), "moto's known deviation: if this now says 0, moto deduplicates as SQS"
        + " does and this override can go");
  }

  private static boolean answers(URI endpoint) {
    try {
      HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/").toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(1000);
      return c.getResponseCode() > 0;
    } catch (IOException e) {
      return false;
    }
  }

  static String onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      File f = new File(dir, name);
      if (f.isFile() && f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    return null;
  }
}
