package com.userpilotrelay.ingest;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The hostile-request corpus under {@code src/test/resources/hostile/} (format: README.md there), read
 * and turned into API Gateway events. Signatures are computed here, independently of the relay's own
 * code, so that a case marked "valid credentials" reaches the validator and exercises it, not auth.
 */
final class HostileCorpus {
  static final String SECRET = "hostile-shared-secret-Zoë";
  static final String TOKEN = "hostile-ingest-token-7f3a9c";
  static final String DIRECTORY = "hostile";

  private static final ObjectMapper PLAIN = new ObjectMapper();
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
  private static final Pattern RANGE = Pattern.compile("\\$\\{(\\d+)\\.\\.(\\d+)}");

  /** One case: what to send and what must come back. */
  record Case(String category, String id, String description, JsonNode spec) {
    int status() {
      return spec.path("expect").path("status").asInt();
    }

    List<String> fragments() {
      JsonNode error = spec.path("expect").path("error");
      List<String> out = new ArrayList<>();
      if (error.isArray()) {
        error.forEach(e -> out.add(e.asText()));
      } else {
        out.add(error.asText());
      }
      return out;
    }

    /** How many events must be rejected (and quarantined); -1 when the request fails as a whole. */
    int rejected() {
      return spec.path("expect").path("rejected").asInt(-1);
    }

    @Override
    public String toString() {
      return id + ": " + description;
    }
  }

  private HostileCorpus() {}

  static List<Case> load() {
    List<Case> cases = new ArrayList<>();
    for (Path file : files()) {
      String category = file.getFileName().toString().replaceFirst("\\.jsonl$", "");
      List<String> lines;
      try {
        lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonNode spec = PLAIN.readTree(line);
          cases.add(new Case(category, spec.get("id").asText(), spec.get("description").asText(), spec));
        } catch (IOException | RuntimeException e) {
          throw new IllegalStateException(file.getFileName() + " line " + (i + 1) + ": " + e.getMessage(), e);
        }
      }
    }
    return cases;
  }

  static List<Path> files() {
    URL url = HostileCorpus.class.getClassLoader().getResource(DIRECTORY);
    if (url == null) {
      throw new IllegalStateException("test resource folder " + DIRECTORY + "/ is missing");
    }
    try (Stream<Path> list = Files.list(Path.of(url.toURI()))) {
      return list.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The raw request body the case describes (before any base64 for the Lambda event). */
  static byte[] body(Case c) {
    JsonNode spec = c.spec();
    if (spec.has("bodyBase64")) {
      return Base64.getDecoder().decode(spec.get("bodyBase64").asText());
    }
    if (spec.has("bodyBytes")) {
      return percentDecoded(spec.get("bodyBytes").asText());
    }
    if (spec.has("bodyParts")) {
      return text(spec.get("bodyParts")).getBytes(StandardCharsets.UTF_8);
    }
    if (spec.has("body")) {
      return expandBodyText(spec.get("body").asText()).getBytes(StandardCharsets.UTF_8);
    }
    return new byte[0];
  }

  /** The API Gateway (payload 2.0) event for the case, credentials included. */
  static APIGatewayV2HTTPEvent event(Case c) {
    JsonNode spec = c.spec();
    byte[] body = body(c);
    Map<String, String> headers = new LinkedHashMap<>();
    boolean contentTypeGiven = false;
    for (Iterator<String> names = spec.path("headers").fieldNames(); names.hasNext(); ) {
      contentTypeGiven |= names.next().equalsIgnoreCase("content-type");
    }
    if (!contentTypeGiven) {
      headers.put("content-type", "application/json");
    }
    String auth = spec.path("auth").asText("both");
    if (auth.equals("both") || auth.equals("signature")) {
      headers.put("x-signature", sign(SECRET, "HmacSHA1", signedPart(body)));
    }
    if (auth.equals("both") || auth.equals("token")) {
      headers.put("authorization", "Bearer " + TOKEN);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = spec.path("headers").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> header = it.next();
      for (String name : names(header.getKey())) {
        if (header.getValue().isNull()) {
          headers.remove(name);
        } else {
          headers.put(name, expand(header.getValue().asText(), c, body));
        }
      }
    }

    String lambdaBody;
    boolean base64;
    if (spec.has("lambdaBody")) {
      lambdaBody = text(spec.get("lambdaBody"));
      base64 = spec.path("isBase64Encoded").asBoolean(false);
    } else if (spec.path("noBody").asBoolean(false)) {
      lambdaBody = null;
      base64 = false;
    } else if (spec.has("bodyBase64") || spec.has("bodyBytes") || spec.path("isBase64Encoded").asBoolean(false)) {
      lambdaBody = Base64.getEncoder().encodeToString(body);
      base64 = true;
    } else {
      lambdaBody = new String(body, StandardCharsets.UTF_8);
      base64 = false;
    }

    APIGatewayV2HTTPEvent.APIGatewayV2HTTPEventBuilder builder = APIGatewayV2HTTPEvent.builder()
        .withVersion("2.0")
        .withRouteKey("POST /segment")
        .withRawPath("/segment")
        .withHeaders(headers)
        .withBody(lambdaBody)
        .withIsBase64Encoded(base64);
    if (spec.has("query")) {
      String query = expand(spec.get("query").asText(), c, body);
      Map<String, String> parameters = new LinkedHashMap<>();
      for (String pair : query.split("&")) {
        String[] kv = pair.split("=", 2);
        parameters.merge(kv[0], kv.length > 1 ? kv[1] : "", (x, y) -> x + "," + y);
      }
      builder.withRawQueryString(query).withQueryStringParameters(parameters);
    }
    if (spec.has("cookies")) {
      List<String> cookies = new ArrayList<>();
      spec.get("cookies").forEach(cookie -> cookies.add(expand(cookie.asText(), c, body)));
      builder.withCookies(cookies);
    }
    return builder.build();
  }

  /**
   * What Segment signs, found independently of the relay: the whole body, or for an array body the
   * first element exactly as it stands. When the first element never ends the whole body is signed,
   * which cannot verify (such a case expects 401).
   */
  static byte[] signedPart(byte[] body) {
    int i = 0;
    while (i < body.length && isJsonSpace(body[i])) {
      i++;
    }
    if (i >= body.length || body[i] != '[') {
      return body;
    }
    i++;
    while (i < body.length && isJsonSpace(body[i])) {
      i++;
    }
    if (i >= body.length || body[i] == ']') {
      return body;
    }
    int start = i;
    int depth = 0;
    boolean quoted = false;
    for (; i < body.length; i++) {
      byte b = body[i];
      if (quoted) {
        if (b == '\\') {
          i++;
        } else if (b == '"') {
          quoted = false;
          if (depth == 0) {
            return slice(body, start, i + 1);
          }
        }
        continue;
      }
      switch (b) {
        case '"' -> quoted = true;
        case '{', '[' -> depth++;
        case '}', ']' -> {
          depth--;
          if (depth == 0) {
            return slice(body, start, i + 1);
          }
          if (depth < 0) {
            return slice(body, start, i);
          }
        }
        case ',' -> {
          if (depth == 0) {
            return slice(body, start, i);
          }
        }
        default -> {
          if (depth == 0 && isJsonSpace(b)) {
            return slice(body, start, i);
          }
        }
      }
    }
    return body;
  }

  private static byte[] slice(byte[] body, int from, int to) {
    byte[] out = new byte[to - from];
    System.arraycopy(body, from, out, 0, out.length);
    return out;
  }

  private static boolean isJsonSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  /** Header names may hold one range, {@code x-junk-${1..1000}}, for many headers at once. */
  private static List<String> names(String name) {
    Matcher range = RANGE.matcher(name);
    if (!range.find()) {
      return List.of(name);
    }
    List<String> out = new ArrayList<>();
    for (int i = Integer.parseInt(range.group(1)); i <= Integer.parseInt(range.group(2)); i++) {
      out.add(name.substring(0, range.start()) + i + name.substring(range.end()));
    }
    return out;
  }

  /** Bodies may name the token or the secret (to prove they do not authenticate from there). */
  private static String expandBodyText(String text) {
    return text.replace("${token}", TOKEN).replace("${secret}", SECRET);
  }

  /** Header, query and cookie placeholders: see README.md. */
  static String expand(String value, Case c, byte[] body) {
    Matcher m = PLACEHOLDER.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(placeholder(m.group(1), c, body)));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String placeholder(String name, Case c, byte[] body) {
    byte[] signed = signedPart(body);
    String signature = sign(SECRET, "HmacSHA1", signed);
    if (name.startsWith("repeat:")) {
      String[] parts = name.split(":", 3);
      return parts[2].repeat(Integer.parseInt(parts[1]));
    }
    if (name.startsWith("basic:")) {
      return Base64.getEncoder().encodeToString(tokens(name.substring("basic:".length())).getBytes(StandardCharsets.UTF_8));
    }
    if (name.startsWith("basic-nocolon:")) {
      return Base64.getEncoder().encodeToString(tokens(name.substring("basic-nocolon:".length()))
          .getBytes(StandardCharsets.UTF_8));
    }
    return switch (name) {
      case "token" -> TOKEN;
      case "TOKEN" -> TOKEN.toUpperCase(Locale.ROOT);
      case "token-prefix" -> TOKEN.substring(0, TOKEN.length() / 2);
      case "secret" -> SECRET;
      case "signature" -> signature;
      case "signature-upper" -> signature.toUpperCase(Locale.ROOT);
      case "signature-cut" -> signature.substring(0, signature.length() - 1);
      case "signature-split" -> signature.substring(0, 20) + " " + signature.substring(20);
      case "hmac:body" -> sign(SECRET, "HmacSHA1", body);
      case "hmac:body+lf" -> sign(SECRET, "HmacSHA1", concat(body, new byte[] {'\n'}));
      case "hmac:compact" -> sign(SECRET, "HmacSHA1", compact(signed));
      case "hmac:signText" -> sign(SECRET, "HmacSHA1", c.spec().path("signText").asText().getBytes(StandardCharsets.UTF_8));
      case "hmac:wrong-key" -> sign("wrong-secret", "HmacSHA1", signed);
      case "hmac:token-key" -> sign(TOKEN, "HmacSHA1", signed);
      case "hmac-sha256" -> sign(SECRET, "HmacSHA256", signed);
      case "hmac-base64" -> Base64.getEncoder().encodeToString(HexFormat.of().parseHex(signature));
      default -> throw new IllegalArgumentException(c.id() + ": unknown placeholder ${" + name + "}");
    };
  }

  private static String tokens(String text) {
    return text.replace("%token%", TOKEN).replace("%TOKEN%", TOKEN.toUpperCase(Locale.ROOT));
  }

  private static byte[] compact(byte[] json) {
    try {
      return PLAIN.writeValueAsBytes(PLAIN.readTree(json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static String sign(String key, String algorithm, byte[] message) {
    try {
      Mac mac = Mac.getInstance(algorithm);
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), algorithm));
      return HexFormat.of().formatHex(mac.doFinal(message));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A string, or an array of strings and {"repeat": text, "times": n} parts, concatenated. */
  private static String text(JsonNode node) {
    if (node.isTextual()) {
      return node.asText();
    }
    StringBuilder out = new StringBuilder();
    for (JsonNode part : node) {
      if (part.isTextual()) {
        out.append(part.asText());
      } else {
        out.append(part.get("repeat").asText().repeat(part.get("times").asInt()));
      }
    }
    return out.toString();
  }

  /** UTF-8 text in which %XX stands for one raw byte (and %% for a percent sign). */
  static byte[] percentDecoded(String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < utf8.length; i++) {
      if (utf8[i] == '%' && i + 1 < utf8.length && utf8[i + 1] == '%') {
        out.write('%');
        i++;
      } else if (utf8[i] == '%' && i + 2 < utf8.length) {
        out.write(Integer.parseInt(new String(utf8, i + 1, 2, StandardCharsets.US_ASCII), 16));
        i += 2;
      } else {
        out.write(utf8[i]);
      }
    }
    return out.toByteArray();
  }
}
