package com.userpilotrelay.auth;

import com.userpilotrelay.http.HttpText;
import com.userpilotrelay.segment.SegmentBody;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks the credentials a deployment configures: Segment's {@code X-Signature} (HMAC-SHA1, lowercase
 * hex, of an array body's first element or of the whole body) and/or a token in {@code Authorization} (Bearer, or Basic with the token
 * as password). Every configured credential must be present and valid. Comparisons are constant-time
 * and hide lengths (both sides are hashed first), and a failure never says which part was wrong.
 */
public final class RequestAuthenticator {
  /** Longest header value worth looking at; anything longer is refused before any work. */
  static final int MAX_HEADER_CHARS = 4096;

  /**
   * How a presented credential is compared with the expected one. Both sides are always SHA-256 digests
   * (32 bytes whatever was sent, so nothing about lengths leaks), compared without an early exit.
   */
  @FunctionalInterface
  interface DigestComparison {
    boolean same(byte[] expectedDigest, byte[] presentedDigest);
  }

  /** The production comparison: {@link MessageDigest#isEqual} is constant-time for equal lengths. */
  static final DigestComparison CONSTANT_TIME = MessageDigest::isEqual;

  private final byte[] sharedSecret;
  private final byte[] tokenDigest;
  private final DigestComparison comparison;

  public RequestAuthenticator(Optional<String> sharedSecret, Optional<String> token) {
    this(sharedSecret, token, CONSTANT_TIME);
  }

  /** Tests pass a comparison that records what it is given, to prove every check goes through it. */
  RequestAuthenticator(Optional<String> sharedSecret, Optional<String> token, DigestComparison comparison) {
    this.sharedSecret = sharedSecret.filter(s -> !s.isEmpty()).map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
    this.tokenDigest = token.filter(t -> !t.isEmpty()).map(RequestAuthenticator::sha256).orElse(null);
    this.comparison = comparison;
  }

  public boolean enabled() {
    return sharedSecret != null || tokenDigest != null;
  }

  public boolean requiresSignature() {
    return sharedSecret != null;
  }

  /**
   * @param signatureHeader the {@code X-Signature} value, or null
   * @param authorizationHeader the {@code Authorization} value, or null
   * @param body the decoded request body (what Segment signed: after any Content-Encoding is undone)
   */
  public boolean verify(String signatureHeader, String authorizationHeader, byte[] body) {
    boolean ok = true;
    // Both checks always run, so timing does not reveal which one failed.
    if (sharedSecret != null) {
      ok &= signatureMatches(signatureHeader, body);
    }
    if (tokenDigest != null) {
      ok &= tokenMatches(authorizationHeader);
    }
    return ok && enabled();
  }

  /**
   * Segment signs one of two spans, and a request does not say which: Webhooks (Actions) signs the first
   * element of an array body as it stands (for a non-array body that is the whole body), classic Webhooks
   * and the pending Actions change sign the whole body. Both HMACs are computed and both digests compared
   * every time, without an early exit, so the work does not depend on which one (if any) matches.
   */
  private boolean signatureMatches(String header, byte[] body) {
    if (header == null || body == null || header.length() > MAX_HEADER_CHARS) {
      return false;
    }
    byte[] first = SegmentBody.signedBytesOf(body);
    boolean firstFound = first != null;
    byte[] presented = sha256(HttpText.stripOws(header));
    byte[] expectedFirst = sha256(HexFormat.of().formatHex(hmacSha1(sharedSecret, firstFound ? first : body)));
    byte[] expectedWhole = sha256(HexFormat.of().formatHex(hmacSha1(sharedSecret, body)));
    boolean asFirst = comparison.same(expectedFirst, presented) & firstFound;
    boolean asWhole = comparison.same(expectedWhole, presented);
    return asFirst | asWhole;
  }

  private boolean tokenMatches(String header) {
    if (header == null || header.length() > MAX_HEADER_CHARS) {
      return false;
    }
    String value = HttpText.stripOws(header);
    int space = value.indexOf(' ');
    if (space < 0) {
      return false;
    }
    String scheme = value.substring(0, space);
    String credentials = HttpText.stripOws(value.substring(space + 1));
    if (scheme.equalsIgnoreCase("Bearer")) {
      return comparison.same(tokenDigest, sha256(credentials));
    }
    if (scheme.equalsIgnoreCase("Basic")) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return false;
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        return false;
      }
      String user = decoded.substring(0, colon);
      String password = decoded.substring(colon + 1);
      // Segment's Basic convention puts the key in the user name with an empty password; others use
      // the password. Both are compared, so neither form's timing differs.
      boolean asPassword = comparison.same(tokenDigest, sha256(password));
      boolean asUser = comparison.same(tokenDigest, sha256(user)) & password.isEmpty();
      return asPassword | asUser;
    }
    return false;
  }


  /** Lowercase hex HMAC-SHA1, as Segment computes {@code X-Signature}. */
  public static String sign(String secret, byte[] message) {
    return HexFormat.of().formatHex(hmacSha1(secret.getBytes(StandardCharsets.UTF_8), message));
  }

  private static byte[] hmacSha1(byte[] key, byte[] message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(key, "HmacSHA1"));
      return mac.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 is unavailable in this JVM", e);
    }
  }

  private static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
    }
  }
}
