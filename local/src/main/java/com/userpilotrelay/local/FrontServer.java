package com.userpilotrelay.local;

import com.userpilotrelay.http.HttpText;
import com.userpilotrelay.observe.Log;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The local runner's HTTP/1.1 server: blocking sockets, one thread per connection up to
 * {@link Limits#maxConnections}, and a deadline on every phase of a connection that waits on the client.
 *
 * <p>Why not the JDK's {@code com.sun.net.httpserver}: it trims control characters from both ends of a
 * header value before a handler sees it (so {@code application/json\0} looked like JSON), and it reads
 * request headers on the handler pool with no deadline unless process-wide {@code sun.net.httpserver.*}
 * properties were set before the first JDK HTTP server in the JVM started, which the runner cannot
 * guarantee when it is embedded (tests start one for the stand-in Userpilot first). Sixteen sockets that
 * sent half a request took every route down. Here the header bytes are read as sent, and a watchdog
 * closes any connection whose client is late: for the request head (which includes the wait for a
 * keep-alive connection's next request), for the body, and for taking the response.
 */
final class FrontServer implements AutoCloseable {

  /** What one connection may cost. */
  record Limits(Duration head, Duration body, Duration write, int maxConnections, int maxBodyBytes) {
    /** Request line and header block. */
    static final int MAX_LINE_BYTES = 8 * 1024;
    static final int MAX_HEAD_BYTES = 32 * 1024;
    static final int MAX_HEADERS = 100;

    static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30),
        128, HttpFront.MAX_BODY_BYTES);
  }

  /** One request as it arrived: header names and values exactly as sent (only spaces and tabs around a value dropped). */
  record Request(String method, String target, String path, String rawQuery, String protocol,
      List<Map.Entry<String, String>> headers, byte[] body, InetAddress remote) {

    /** The first value of a header, by case-insensitive name; null when absent. */
    String header(String name) {
      for (Map.Entry<String, String> h : headers) {
        if (h.getKey().equalsIgnoreCase(name)) {
          return h.getValue();
        }
      }
      return null;
    }

    int count(String name) {
      int n = 0;
      for (Map.Entry<String, String> h : headers) {
        if (h.getKey().equalsIgnoreCase(name)) {
          n++;
        }
      }
      return n;
    }
  }

  record Response(int status, Map<String, String> headers, byte[] body) {
    static Response json(int status, String json) {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", "application/json");
      return new Response(status, headers, json.getBytes(StandardCharsets.UTF_8));
    }

    Response with(String name, String value) {
      Map<String, String> copy = new LinkedHashMap<>(headers);
      copy.put(name, value);
      return new Response(status, copy, body);
    }
  }

  /** Turns a request into an answer; never called for a request the server itself refused. */
  interface Handler {
    Response handle(Request request);
  }

  /** A request the server refuses before any handler sees it; the message goes into the JSON error. */
  static final class Refused extends Exception {
    final int status;

    Refused(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  private final ServerSocket listener;
  private final Handler handler;
  private final Limits limits;
  private final ThreadPoolExecutor connections;
  private final ScheduledExecutorService watchdog;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  /** Refused connections waiting a second to be closed; beyond this many, they are closed at once. */
  private static final int MAX_REFUSED_OPEN = 256;
  private final AtomicInteger refusedOpen = new AtomicInteger();
  private final Thread acceptor;
  private volatile boolean stopping;

  private FrontServer(ServerSocket listener, Handler handler, Limits limits) {
    this.listener = listener;
    this.handler = handler;
    this.limits = limits;
    AtomicInteger n = new AtomicInteger();
    this.connections = new ThreadPoolExecutor(0, limits.maxConnections(), 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> daemon(r, "relay-http-" + n.incrementAndGet()));
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "relay-http-watchdog"));
    this.acceptor = daemon(this::acceptLoop, "relay-http-accept");
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Listens on 127.0.0.1:{@code port} (0: any free port). */
  static FrontServer start(int port, Handler handler, Limits limits) throws IOException {
    ServerSocket listener = new ServerSocket();
    try {
      listener.setReuseAddress(true);
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    } catch (IOException e) {
      listener.close();
      throw e;
    }
    FrontServer server = new FrontServer(listener, handler, limits);
    server.watchdog.scheduleWithFixedDelay(server::closeLate, 100, 100, TimeUnit.MILLISECONDS);
    server.acceptor.start();
    return server;
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Connections open now (for tests and the stats route). */
  int openConnections() {
    return open.size();
  }

  /** Stops accepting, closes idle connections, lets requests in progress finish (up to {@code grace}). */
  void stop(Duration grace) {
    stopping = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing
    }
    for (Connection c : open) {
      if (!c.busy) {
        c.close();
      }
    }
    connections.shutdown();
    try {
      if (!connections.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        open.forEach(Connection::close);
        connections.awaitTermination(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    watchdog.shutdownNow();
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(1));
  }

  private void acceptLoop() {
    while (!stopping) {
      Socket socket;
      try {
        socket = listener.accept();
      } catch (IOException e) {
        if (stopping) {
          return;
        }
        Log.warn("local http: accept failed", Map.of("error", e.getClass().getName()));
        continue;
      }
      Connection c = new Connection(socket, limits.head());
      if (open.size() >= limits.maxConnections()) {
        refuseBusy(c);
        continue;
      }
      open.add(c);
      try {
        connections.execute(() -> serve(c));
      } catch (RejectedExecutionException e) {
        open.remove(c);
        refuseBusy(c);
      }
    }
  }

  /**
   * Over the connection cap: a 503 written straight away (it fits the fresh socket's send buffer, so this
   * never blocks the acceptor), then the connection is closed a moment later, so that the client can read
   * the answer before the close (closing on its unread request would reset the connection and lose it).
   * Segment retries a 503.
   */
  private void refuseBusy(Connection c) {
    try {
      write(c.socket.getOutputStream(), Response.json(503, errorJson("busy: " + limits.maxConnections()
          + " connections are open, the most this runner serves at once; retry shortly")), true);
      c.socket.shutdownOutput();
    } catch (IOException ignored) {
      c.close();
      return;
    }
    if (refusedOpen.incrementAndGet() > MAX_REFUSED_OPEN) {
      refusedOpen.decrementAndGet();
      c.close();
      return;
    }
    watchdog.schedule(() -> {
      refusedOpen.decrementAndGet();
      c.close();
    }, 1, TimeUnit.SECONDS);
  }

  private void closeLate() {
    long now = System.nanoTime();
    for (Connection c : open) {
      if (now - c.deadline > 0) {
        c.timedOut = true;
        c.close();
      }
    }
  }

  private void serve(Connection c) {
    try (c) {
      serveRequests(c);
    } finally {
      open.remove(c);
    }
  }

  private void serveRequests(Connection c) {
    try {
      c.socket.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(c.socket.getInputStream(), 8192);
      OutputStream out = c.socket.getOutputStream();
      while (!stopping) {
        c.expect(limits.head());
        Request request;
        try {
          request = readRequest(c, in, out);
          if (request == null) {
            return; // the client closed between requests
          }
        } catch (Refused refused) {
          c.expect(limits.write());
          write(out, Response.json(refused.status, errorJson(refused.getMessage())), true);
          return;
        }
        c.busy = true;
        c.expectNothing();
        Response response;
        try {
          response = handler.handle(request);
        } finally {
          c.busy = false;
        }
        // No route answers HEAD (405): its answer carries a body, so the connection ends with it.
        boolean close = stopping || !keepAlive(request) || request.method().equals("HEAD")
            || "close".equalsIgnoreCase(response.headers().get("Connection"));
        c.expect(limits.write());
        write(out, response, close);
        if (close) {
          return;
        }
      }
    } catch (IOException e) {
      // The client went away, or was too slow and the watchdog closed the socket: nothing to answer.
      if (c.timedOut) {
        Log.info("local http: closed a connection whose client was too slow", Map.of());
      }
    } catch (RuntimeException e) {
      Log.error("local http: connection failed", Map.of("error", e.getClass().getName()));
    }
  }

  private static boolean keepAlive(Request request) {
    String connection = request.header("Connection");
    if (connection != null) {
      for (String token : connection.split(",")) {
        if (token.trim().equalsIgnoreCase("close")) {
          return false;
        }
      }
    }
    return request.protocol().equals("HTTP/1.1");
  }

  private Request readRequest(Connection c, InputStream in, OutputStream out) throws IOException, Refused {
    String requestLine = null;
    // A client may send an empty line before the request line (RFC 9112, 2.2); more than a few is not a client.
    for (int i = 0; i < 4 && (requestLine == null || requestLine.isEmpty()); i++) {
      requestLine = readLine(in, Limits.MAX_LINE_BYTES, i == 0);
      if (requestLine == null) {
        return null;
      }
    }
    if (requestLine.isEmpty()) {
      throw new Refused(400, "request: no request line");
    }
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3 || parts[0].isEmpty() || !isToken(parts[0])) {
      throw new Refused(400, "request line: expected METHOD SP /path SP HTTP/1.1");
    }
    String protocol = parts[2];
    if (!protocol.equals("HTTP/1.1") && !protocol.equals("HTTP/1.0")) {
      throw new Refused(505, "request line: only HTTP/1.1 and HTTP/1.0 are served");
    }
    String target = parts[1];
    if (!target.startsWith("/") || !visibleAscii(target)) {
      throw new Refused(400, "request line: the target must be a path starting with /, in visible ASCII");
    }
    List<Map.Entry<String, String>> headers = readHeaders(in);
    Request head = new Request(parts[0], target, pathOf(target), queryOf(target), protocol, headers, new byte[0],
        c.socket.getInetAddress());
    if (protocol.equals("HTTP/1.1") && head.count("Host") != 1) {
      throw new Refused(400, "host: an HTTP/1.1 request needs exactly one Host header");
    }
    byte[] body = readBody(c, head, in, out);
    return new Request(head.method(), target, head.path(), head.rawQuery(), protocol, headers, body, head.remote());
  }

  private List<Map.Entry<String, String>> readHeaders(InputStream in) throws IOException, Refused {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    int total = 0;
    while (true) {
      String line = readLine(in, Limits.MAX_LINE_BYTES, false);
      if (line == null) {
        throw new IOException("the client closed the connection inside the request head");
      }
      if (line.isEmpty()) {
        return headers;
      }
      total += line.length() + 2;
      if (total > Limits.MAX_HEAD_BYTES || headers.size() >= Limits.MAX_HEADERS) {
        throw new Refused(431, "headers: more than " + Limits.MAX_HEADERS + " headers or "
            + Limits.MAX_HEAD_BYTES + " bytes");
      }
      if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        throw new Refused(400, "headers: a line folded onto the previous one (obsolete line folding) is not accepted");
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || !isToken(line.substring(0, colon))) {
        throw new Refused(400, "headers: \"name: value\" expected, with no space before the colon");
      }
      String name = line.substring(0, colon);
      String value = HttpText.stripOws(line.substring(colon + 1));
      int bad = firstControl(value);
      if (bad >= 0) {
        String where = name.toLowerCase(Locale.ROOT) + ": control character 0x"
            + String.format(Locale.ROOT, "%02X", (int) value.charAt(bad)) + " at character " + bad
            + "; a header value may hold only visible characters, spaces and tabs";
        // The content type has its own status, as in API Gateway's ingest: 415.
        throw new Refused(name.equalsIgnoreCase("Content-Type") ? 415 : 400, where);
      }
      headers.add(Map.entry(name, value));
    }
  }

  private byte[] readBody(Connection c, Request head, InputStream in, OutputStream out) throws IOException, Refused {
    String transferEncoding = head.header("Transfer-Encoding");
    List<String> lengths = new ArrayList<>();
    for (Map.Entry<String, String> h : head.headers()) {
      if (h.getKey().equalsIgnoreCase("Content-Length")) {
        lengths.add(h.getValue());
      }
    }
    if (transferEncoding != null && !lengths.isEmpty()) {
      throw new Refused(400, "body: both Transfer-Encoding and Content-Length; send one");
    }
    if (transferEncoding != null) {
      if (head.count("Transfer-Encoding") != 1 || !transferEncoding.equalsIgnoreCase("chunked")) {
        throw new Refused(501, "transfer-encoding: only chunked is understood");
      }
      continueIfAsked(c, head, out);
      c.expect(limits.body());
      return readChunked(in);
    }
    if (lengths.isEmpty()) {
      return new byte[0];
    }
    String declared = lengths.get(0);
    for (String other : lengths) {
      if (!other.equals(declared)) {
        throw new Refused(400, "content-length: given twice with different values");
      }
    }
    if (declared.isEmpty() || declared.length() > 18 || !declared.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      throw new Refused(400, "content-length: not a number");
    }
    long length = Long.parseLong(declared);
    if (length > limits.maxBodyBytes()) {
      if (length <= HttpFront.DRAINED_BYTES) {
        // Read and drop it (within the body deadline), so a client still sending, Segment's among them, reads
        // the 413 instead of a connection reset, as it would from API Gateway (whose own limit is 10 MB).
        continueIfAsked(c, head, out);
        c.expect(limits.body());
        in.skipNBytes(length);
      }
      throw tooLarge(length + " bytes");
    }
    if (length == 0) {
      return new byte[0];
    }
    continueIfAsked(c, head, out);
    c.expect(limits.body());
    byte[] body = in.readNBytes((int) length);
    if (body.length < length) {
      throw new IOException("the client closed the connection inside the body");
    }
    return body;
  }

  private Refused tooLarge(String size) {
    return new Refused(413, "body: " + size + " is over the " + limits.maxBodyBytes() + "-byte request limit; "
        + com.userpilotrelay.segment.SegmentLimits.BATCH_ADVICE);
  }

  /** curl sends {@code Expect: 100-continue} for bodies over 1 KB and waits a second for this. */
  private void continueIfAsked(Connection c, Request head, OutputStream out) throws IOException {
    if ("100-continue".equalsIgnoreCase(head.header("Expect")) && head.protocol().equals("HTTP/1.1")) {
      c.expect(limits.write());
      out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
  }

  private byte[] readChunked(InputStream in) throws IOException, Refused {
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    while (true) {
      String line = readLine(in, 1024, false);
      if (line == null) {
        throw new IOException("the client closed the connection inside a chunked body");
      }
      int semicolon = line.indexOf(';');
      String hex = HttpText.stripOws(semicolon < 0 ? line : line.substring(0, semicolon));
      if (hex.isEmpty() || hex.length() > 8 || !hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
        throw new Refused(400, "body: a chunk size is not hexadecimal");
      }
      long size = Long.parseLong(hex, 16);
      if (size == 0) {
        // Trailers are read and dropped, within the same limits as headers.
        readHeaders(in);
        return body.toByteArray();
      }
      if (body.size() + size > limits.maxBodyBytes()) {
        throw tooLarge("more than " + limits.maxBodyBytes() + " bytes");
      }
      byte[] chunk = in.readNBytes((int) size);
      if (chunk.length < size) {
        throw new IOException("the client closed the connection inside a chunk");
      }
      body.write(chunk);
      if (!"".equals(readLine(in, 2, false))) {
        throw new Refused(400, "body: a chunk is longer than its size says");
      }
    }
  }

  /**
   * One line ending in CRLF, as ISO-8859-1 (one char per byte, so nothing is lost or folded). A bare CR
   * or LF is refused: two parsers that split lines differently is how requests get smuggled.
   */
  private static String readLine(InputStream in, int max, boolean eofAllowed) throws IOException, Refused {
    StringBuilder line = new StringBuilder();
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (eofAllowed && line.length() == 0) {
          return null;
        }
        throw new IOException("the client closed the connection inside a line");
      }
      if (b == '\r') {
        int next = in.read();
        if (next != '\n') {
          throw new Refused(400, "request: a CR not followed by LF");
        }
        return line.toString();
      }
      if (b == '\n') {
        throw new Refused(400, "request: a line ends in LF without CR");
      }
      if (line.length() >= max) {
        throw new Refused(431, "request: a line of the request head is over " + max + " bytes");
      }
      line.append((char) b);
    }
  }

  private static void write(OutputStream out, Response response, boolean close) throws IOException {
    StringBuilder head = new StringBuilder(256);
    head.append("HTTP/1.1 ").append(response.status()).append(' ').append(reason(response.status())).append("\r\n");
    response.headers().forEach((name, value) -> {
      if (!name.equalsIgnoreCase("Content-Length") && !name.equalsIgnoreCase("Connection")) {
        head.append(name).append(": ").append(value).append("\r\n");
      }
    });
    head.append("Content-Length: ").append(response.body().length).append("\r\n");
    if (close) {
      head.append("Connection: close\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(response.body());
    out.flush();
  }

  static String errorJson(String message) {
    return com.userpilotrelay.json.Json.write(com.userpilotrelay.json.Json.object().put("error", message));
  }

  private static String reason(int status) {
    return switch (status) {
      case 100 -> "Continue";
      case 200 -> "OK";
      case 202 -> "Accepted";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 421 -> "Misdirected Request";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 503 -> "Service Unavailable";
      case 505 -> "HTTP Version Not Supported";
      default -> "Status";
    };
  }

  static String pathOf(String target) {
    int q = target.indexOf('?');
    return q < 0 ? target : target.substring(0, q);
  }

  static String queryOf(String target) {
    int q = target.indexOf('?');
    return q < 0 ? null : target.substring(q + 1);
  }

  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(ch) >= 0;
      if (!ok) {
        return false;
      }
    }
    return !s.isEmpty();
  }

  private static boolean visibleAscii(String s) {
    return s.chars().allMatch(ch -> ch > 0x20 && ch < 0x7F);
  }

  /** Index of the first control character (other than a tab) or DEL; -1 when there is none. */
  static int firstControl(String value) {
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if ((ch < 0x20 && ch != '\t') || ch == 0x7F) {
        return i;
      }
    }
    return -1;
  }

  /** One client connection and the time by which its client must have done what it is waiting for. */
  private static final class Connection implements AutoCloseable {
    final Socket socket;
    volatile long deadline;
    volatile boolean busy;
    volatile boolean timedOut;

    Connection(Socket socket, Duration head) {
      this.socket = socket;
      this.deadline = System.nanoTime() + head.toNanos();
    }

    void expect(Duration within) {
      deadline = System.nanoTime() + within.toNanos();
    }

    /** While the handler works the client owes nothing; the handler's own budgets apply. */
    void expectNothing() {
      deadline = System.nanoTime() + Duration.ofDays(365).toNanos();
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }
}
