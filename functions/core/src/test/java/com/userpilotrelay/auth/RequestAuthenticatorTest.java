package com.userpilotrelay.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RequestAuthenticatorTest {
  private static final String SECRET = "s3cr3t-ü";
  private final RequestAuthenticator signatureOnly = new RequestAuthenticator(Optional.of(SECRET), Optional.empty());
  private final RequestAuthenticator tokenOnly = new RequestAuthenticator(Optional.empty(), Optional.of("tok-123"));
  private final RequestAuthenticator both = new RequestAuthenticator(Optional.of(SECRET), Optional.of("tok-123"));

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void signatureIsLowercaseHexHmacSha1KnownAnswer() {
    // RFC 2202 test case 2.
    assertEquals("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        RequestAuthenticator.sign("Jefe", bytes("what do ya want for nothing?")));
  }

  @Test
  void singleBodySignatureCoversTheRawBytes() {
    byte[] body = bytes("{ \"type\": \"identify\", \"userId\": \"Zoë\" }\n");
    String signature = RequestAuthenticator.sign(SECRET, body);
    assertTrue(signatureOnly.verify(signature, null, body));
    // A re-serialisation (whitespace dropped) is different bytes and must not verify.
    byte[] compact = bytes("{\"type\":\"identify\",\"userId\":\"Zoë\"}");
    assertFalse(signatureOnly.verify(signature, null, compact));
  }

  @Test
  void arraySignatureCoversOnlyTheFirstElementAsItStands() {
    String first = "{\"type\":\"track\",\"userId\":\"✓\",\"event\":\"E\"}";
    byte[] body = bytes("[ " + first + ",\n {\"type\":\"track\",\"userId\":\"x\",\"event\":\"F\"}]");
    String signature = RequestAuthenticator.sign(SECRET, bytes(first));
    assertTrue(signatureOnly.verify(signature, null, body));
  }

  @Test
  void anArrayMaySignTheFirstElementOrTheWholeBodyButNothingElse() {
    String first = "{\"type\":\"track\",\"userId\":\"✓\",\"event\":\"E\"}";
    String second = "{\"type\":\"track\",\"userId\":\"x\",\"event\":\"F\"}";
    byte[] body = bytes("[" + first + "," + second + "]");
    assertTrue(signatureOnly.verify(RequestAuthenticator.sign(SECRET, bytes(first)), null, body), "first element");
    assertTrue(signatureOnly.verify(RequestAuthenticator.sign(SECRET, body), null, body), "whole body");
    assertFalse(signatureOnly.verify(RequestAuthenticator.sign(SECRET, bytes(second)), null, body), "second element");
    assertFalse(signatureOnly.verify(RequestAuthenticator.sign(SECRET, bytes("[" + first + "]")), null, body),
        "a whole body the request was extended from");
    assertFalse(signatureOnly.verify(RequestAuthenticator.sign("other", body), null, body), "another key");
    // A truncated array has no first element; the whole-body form still counts, nothing else does.
    byte[] cut = bytes("[" + first.substring(0, 10));
    assertTrue(signatureOnly.verify(RequestAuthenticator.sign(SECRET, cut), null, cut));
    assertFalse(signatureOnly.verify(RequestAuthenticator.sign(SECRET, bytes(first)), null, cut));
  }

  @Test
  void wrongMissingEmptyOrOversizedSignaturesFail() {
    byte[] body = bytes("{}");
    String good = RequestAuthenticator.sign(SECRET, body);
    assertFalse(signatureOnly.verify(RequestAuthenticator.sign("other", body), null, body));
    assertFalse(signatureOnly.verify(null, null, body));
    assertFalse(signatureOnly.verify("", null, body));
    assertFalse(signatureOnly.verify(good.substring(1), null, body));
    assertFalse(signatureOnly.verify(good + "0".repeat(5000), null, body));
    assertFalse(signatureOnly.verify(good, null, null));
    assertTrue(signatureOnly.verify(" " + good + " ", null, body));
  }

  @Test
  void bearerAndBasicTokensAreAcceptedInEitherCase() {
    assertTrue(tokenOnly.verify(null, "Bearer tok-123", null));
    assertTrue(tokenOnly.verify(null, "bearer tok-123", null));
    String basicPassword = Base64.getEncoder().encodeToString(bytes("segment:tok-123"));
    assertTrue(tokenOnly.verify(null, "Basic " + basicPassword, null));
    String basicUser = Base64.getEncoder().encodeToString(bytes("tok-123:"));
    assertTrue(tokenOnly.verify(null, "BASIC " + basicUser, null));
  }

  @Test
  void wrongTokensFail() {
    assertFalse(tokenOnly.verify(null, null, null));
    assertFalse(tokenOnly.verify(null, "", null));
    assertFalse(tokenOnly.verify(null, "Bearer", null));
    assertFalse(tokenOnly.verify(null, "Bearer tok-1234", null));
    assertFalse(tokenOnly.verify(null, "Bearer TOK-123", null));
    assertFalse(tokenOnly.verify(null, "Token tok-123", null));
    assertFalse(tokenOnly.verify(null, "tok-123", null));
    assertFalse(tokenOnly.verify(null, "Basic !!notbase64", null));
    assertFalse(tokenOnly.verify(null, "Basic " + Base64.getEncoder().encodeToString(bytes("tok-123:x")), null));
    assertFalse(tokenOnly.verify(null, "Basic " + Base64.getEncoder().encodeToString(bytes("nocolon")), null));
  }

  @Test
  void withBothConfiguredBothAreRequired() {
    byte[] body = bytes("{}");
    String signature = RequestAuthenticator.sign(SECRET, body);
    assertTrue(both.verify(signature, "Bearer tok-123", body));
    assertFalse(both.verify(signature, null, body));
    assertFalse(both.verify(null, "Bearer tok-123", body));
    assertFalse(both.verify(signature, "Bearer nope", body));
  }

  @Test
  void nothingConfiguredVerifiesNothing() {
    RequestAuthenticator none = new RequestAuthenticator(Optional.of(""), Optional.empty());
    assertFalse(none.enabled());
    assertFalse(none.verify("x", "Bearer x", bytes("{}")));
  }
}
