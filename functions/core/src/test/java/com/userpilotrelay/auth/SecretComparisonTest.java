package com.userpilotrelay.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The credential checks are constant-time by construction, not by measurement: every check hands two
 * SHA-256 digests (32 bytes, whatever was sent) to one comparison, which is MessageDigest.isEqual, and
 * the amount of that work does not depend on what was sent. Each assertion here fails if a check is
 * rewritten as String.equals, as a comparison of the raw values, or with an early exit.
 */
class SecretComparisonTest {
  private static final String SECRET = "hmac-key-✓";
  private static final String TOKEN = "ingest-token-0123456789";

  /** A comparison that records the length of both sides of every call, then does the real one. */
  private static final class Recording implements RequestAuthenticator.DigestComparison {
    final List<String> calls = new ArrayList<>();

    @Override
    public boolean same(byte[] expectedDigest, byte[] presentedDigest) {
      calls.add(expectedDigest.length + "/" + presentedDigest.length);
      return RequestAuthenticator.CONSTANT_TIME.same(expectedDigest, presentedDigest);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Runs one verification and returns the comparisons it made. */
  private static List<String> work(Optional<String> secret, Optional<String> token, String signature,
      String authorization, byte[] signed, boolean expected) {
    Recording recording = new Recording();
    RequestAuthenticator authenticator = new RequestAuthenticator(secret, token, recording);
    assertEquals(expected, authenticator.verify(signature, authorization, signed),
        "verify(" + (signature == null ? null : signature.length() + " chars") + ", "
            + (authorization == null ? null : authorization.length() + " chars") + ")");
    return recording.calls;
  }

  @Test
  void aWrongTokenOfOneCharacterAndOneOf4089CostTheSameAsTheRightOne() {
    // 4089 characters is the longest token whose "Bearer " header fits the 4096-character limit.
    List<String> right = work(Optional.empty(), Optional.of(TOKEN), null, "Bearer " + TOKEN, null, true);
    List<String> shortWrong = work(Optional.empty(), Optional.of(TOKEN), null, "Bearer x", null, false);
    List<String> longWrong = work(Optional.empty(), Optional.of(TOKEN), null, "Bearer " + "x".repeat(4089), null, false);
    List<String> prefix = work(Optional.empty(), Optional.of(TOKEN), null, "Bearer " + TOKEN.substring(0, 5), null, false);
    assertEquals(List.of("32/32"), right, "one comparison of two SHA-256 digests");
    assertEquals(right, shortWrong);
    assertEquals(right, longWrong);
    assertEquals(right, prefix);
  }

  @Test
  void basicCredentialsCompareBothFormsEveryTime() {
    String asPassword = "Basic " + Base64.getEncoder().encodeToString(bytes("segment:" + TOKEN));
    String asUser = "Basic " + Base64.getEncoder().encodeToString(bytes(TOKEN + ":"));
    String wrong = "Basic " + Base64.getEncoder().encodeToString(bytes("segment:" + "y".repeat(3000)));
    List<String> expected = List.of("32/32", "32/32");
    assertEquals(expected, work(Optional.empty(), Optional.of(TOKEN), null, asPassword, null, true));
    assertEquals(expected, work(Optional.empty(), Optional.of(TOKEN), null, asUser, null, true));
    assertEquals(expected, work(Optional.empty(), Optional.of(TOKEN), null, wrong, null, false));
  }

  @Test
  void aWrongSignatureOfOneCharacterAndOneOf4096CostTheSameAsTheRightOne() {
    byte[] body = bytes("{\"type\":\"identify\",\"userId\":\"u\"}");
    String good = RequestAuthenticator.sign(SECRET, body);
    List<String> right = work(Optional.of(SECRET), Optional.empty(), good, null, body, true);
    assertEquals(List.of("32/32", "32/32"), right, "the first-element and the whole-body forms, both compared");
    assertEquals(right, work(Optional.of(SECRET), Optional.empty(), "0", null, body, false));
    assertEquals(right, work(Optional.of(SECRET), Optional.empty(), "f".repeat(4096), null, body, false));
    assertEquals(right, work(Optional.of(SECRET), Optional.empty(), good.substring(0, 39) + "0", null, body, false));
  }

  @Test
  void withBothConfiguredBothChecksRunWhicheverFails() {
    byte[] body = bytes("{}");
    String good = RequestAuthenticator.sign(SECRET, body);
    List<String> both = List.of("32/32", "32/32", "32/32");
    assertEquals(both, work(Optional.of(SECRET), Optional.of(TOKEN), good, "Bearer " + TOKEN, body, true));
    assertEquals(both, work(Optional.of(SECRET), Optional.of(TOKEN), "bad", "Bearer " + TOKEN, body, false));
    assertEquals(both, work(Optional.of(SECRET), Optional.of(TOKEN), good, "Bearer bad", body, false));
    assertEquals(both, work(Optional.of(SECRET), Optional.of(TOKEN), "bad", "Bearer bad", body, false));
  }

  @Test
  void anArrayBodyComparesBothSignedFormsWhicheverMatches() {
    String first = "{\"type\":\"identify\",\"userId\":\"u\"}";
    byte[] body = bytes("[" + first + ",{\"type\":\"identify\",\"userId\":\"v\"}]");
    List<String> two = List.of("32/32", "32/32");
    assertEquals(two, work(Optional.of(SECRET), Optional.empty(), RequestAuthenticator.sign(SECRET, bytes(first)),
        null, body, true), "first element matches: the whole-body comparison still runs");
    assertEquals(two, work(Optional.of(SECRET), Optional.empty(), RequestAuthenticator.sign(SECRET, body), null, body,
        true), "whole body matches: the first-element comparison ran before it");
    assertEquals(two, work(Optional.of(SECRET), Optional.empty(), "0".repeat(40), null, body, false));
    // No first element (the array never ends): still two comparisons, the first one cannot count.
    byte[] cut = bytes("[" + first.substring(0, 12));
    assertEquals(two, work(Optional.of(SECRET), Optional.empty(), RequestAuthenticator.sign(SECRET, bytes(first)),
        null, cut, false));
  }

  @Test
  void whatIsRefusedWithoutAComparisonIsRefusedForAPublicReasonOnly() {
    // Over the public header limit, absent, or not a known scheme: nothing about the secret is consulted.
    assertEquals(List.of(), work(Optional.empty(), Optional.of(TOKEN), null, "Bearer " + "x".repeat(4096), null, false));
    assertEquals(List.of(), work(Optional.empty(), Optional.of(TOKEN), null, null, null, false));
    assertEquals(List.of(), work(Optional.empty(), Optional.of(TOKEN), null, "Token " + TOKEN, null, false));
    assertEquals(List.of(), work(Optional.of(SECRET), Optional.empty(), "f".repeat(4097), null, bytes("{}"), false));
  }

  @Test
  void controlCharactersAroundACredentialAreNotStrippedAway() {
    // String.trim() strips every character up to U+0020; only spaces and tabs are HTTP whitespace.
    byte[] body = bytes("{}");
    String good = RequestAuthenticator.sign(SECRET, body);
    RequestAuthenticator both = new RequestAuthenticator(Optional.of(SECRET), Optional.of(TOKEN));
    assertTrue(both.verify(" " + good + "\t", "Bearer \t" + TOKEN + " ", body));
    for (String junk : new String[] {"\u0000", "\r\n", "\n", "\u000b", "\u001f"}) {
      assertFalse(both.verify(good + junk, "Bearer " + TOKEN, body), "signature + " + junk.codePointAt(0));
      assertFalse(both.verify(good, "Bearer " + TOKEN + junk, body), "token + " + junk.codePointAt(0));
      assertFalse(both.verify(good, "Bearer " + junk + TOKEN, body), junk.codePointAt(0) + " + token");
    }
  }

  @Test
  void theDeployedConstructorUsesTheConstantTimeComparison() throws ReflectiveOperationException {
    RequestAuthenticator deployed = new RequestAuthenticator(Optional.of(SECRET), Optional.of(TOKEN));
    Field field = RequestAuthenticator.class.getDeclaredField("comparison");
    field.setAccessible(true);
    assertSame(RequestAuthenticator.CONSTANT_TIME, field.get(deployed));
    assertTrue(RequestAuthenticator.CONSTANT_TIME.same(new byte[32], new byte[32]));
    byte[] other = new byte[32];
    other[31] = 1;
    assertFalse(RequestAuthenticator.CONSTANT_TIME.same(new byte[32], other));
  }

  @Test
  void theAuthenticatorNeverCallsAnEqualsMethod() throws IOException {
    // The class file's constant pool names every method it calls. A CONSTANT_Utf8 entry "equals" (tag 1,
    // length 6) appears once anything calls String.equals, Arrays.equals or Object.equals; the scheme
    // check uses equalsIgnoreCase, a different entry.
    byte[] classFile;
    try (InputStream in = RequestAuthenticator.class.getResourceAsStream("RequestAuthenticator.class")) {
      classFile = in.readAllBytes();
    }
    byte[] entry = {1, 0, 6, 'e', 'q', 'u', 'a', 'l', 's'};
    assertFalse(indexOf(classFile, entry) >= 0, "RequestAuthenticator calls an equals method: compare digests with"
        + " the DigestComparison instead");
    assertTrue(indexOf(classFile, bytes("isEqual")) >= 0, "MessageDigest.isEqual is the comparison");
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
