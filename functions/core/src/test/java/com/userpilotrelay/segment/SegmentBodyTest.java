package com.userpilotrelay.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SegmentBodyTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void singleEventIsSignedOverTheWholeBody() throws Exception {
    byte[] body = bytes(" {\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\"}\n");
    SegmentBody parsed = SegmentBody.parse(body);
    assertEquals(SegmentBody.Shape.SINGLE, parsed.shape());
    assertEquals(1, parsed.events().size());
    assertArrayEquals(body, SegmentBody.signedBytesOf(body));
  }

  @Test
  void arrayIsSignedOverTheFirstElementExactlyAsItStands() throws Exception {
    String first = "{ \"type\" : \"identify\", \"userId\":\"ü-1\", \"traits\": {\"n\": \"Zoë ✓\"} }";
    byte[] body = bytes("[\n  " + first + " ,\n {\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\"} ]");
    SegmentBody parsed = SegmentBody.parse(body);
    assertEquals(SegmentBody.Shape.ARRAY, parsed.shape());
    assertEquals(2, parsed.events().size());
    assertArrayEquals(bytes(first), SegmentBody.signedBytesOf(body));
    assertEquals(com.userpilotrelay.json.Json.writeBytes(parsed.events().get(0).node()).length,
        parsed.events().get(0).rawBytes(), "measured as queued: compact, not the spacing sent");
    assertTrue(parsed.events().get(0).rawBytes() < bytes(first).length);
    assertEquals(1, parsed.events().get(1).index());
  }

  @Test
  void batchObjectMergesContextAndIntegrationsWithTheEventsOwnKeysWinning() throws Exception {
    byte[] body = bytes("{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"context\":{\"ip\":\"1.1.1.1\"}},"
        + "{\"type\":\"identify\",\"userId\":\"v\"}],"
        + "\"context\":{\"ip\":\"9.9.9.9\",\"library\":{\"name\":\"x\"}},\"integrations\":{\"All\":false}}");
    SegmentBody parsed = SegmentBody.parse(body);
    assertEquals(SegmentBody.Shape.BATCH_OBJECT, parsed.shape());
    var first = parsed.events().get(0).node();
    assertEquals("1.1.1.1", first.at("/context/ip").asText());
    assertEquals("x", first.at("/context/library/name").asText());
    assertFalse(first.at("/integrations/All").asBoolean());
    var second = parsed.events().get(1).node();
    assertEquals("9.9.9.9", second.at("/context/ip").asText());
  }

  @Test
  void aBodyWithBothBatchAndATopLevelTypeIsAmbiguousAndRefused() {
    for (String body : new String[] {
        "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"batch\":[]}",
        "{\"batch\":[{\"type\":\"identify\",\"userId\":\"v\"}],\"type\":\"identify\",\"userId\":\"u\"}"}) {
      BodyException e = assertThrows(BodyException.class, () -> SegmentBody.parse(bytes(body)));
      assertTrue(e.getMessage().contains("both \"batch\" and a top-level \"type\""), e.getMessage());
      assertFalse(e.tooLarge());
    }
  }

  @Test
  void aLargeSharedContextMakesEveryMergedEventOversizedAndKeepsItUnmerged() throws Exception {
    String context = "{\"blob\":\"" + "c".repeat(300_000) + "\"}";
    StringBuilder body = new StringBuilder("{\"batch\":[");
    for (int i = 0; i < 3; i++) {
      body.append(i == 0 ? "" : ",").append("{\"type\":\"identify\",\"userId\":\"u").append(i).append("\"}");
    }
    body.append("],\"context\":").append(context).append("}");
    SegmentBody parsed = SegmentBody.parse(bytes(body.toString()));
    for (SegmentBody.RawEvent event : parsed.events()) {
      assertTrue(event.rawBytes() > 300_000, "the merged size counts: " + event.rawBytes());
      assertTrue(event.node().path("context").isMissingNode(), "kept as sent: the quarantine copy is the event");
      assertFalse(EventValidator.validate(event.node(), event.rawBytes()).isEmpty());
    }
  }

  @Test
  void theMergedSizeIsExactlyTheQueuedSizeSoTheLimitHoldsToTheByte() throws Exception {
    String event = "{\"type\":\"identify\",\"userId\":\"u\",\"context\":{\"ip\":\"1\"}}";
    String shell = "{\"batch\":[" + event + "],\"context\":{\"ip\":\"2\",\"pad\":\"\"},\"integrations\":{\"All\":true}}";
    // The merged event with an empty pad, compact: its size plus the pad length is the queued size.
    SegmentBody empty = SegmentBody.parse(bytes(shell));
    int base = empty.events().get(0).rawBytes();
    assertEquals(com.userpilotrelay.json.Json.writeBytes(empty.events().get(0).node()).length, base);
    int padToLimit = SegmentLimits.MAX_EVENT_BYTES - base;
    SegmentBody.RawEvent at = SegmentBody.parse(bytes(shell.replace("\"pad\":\"\"",
        "\"pad\":\"" + "p".repeat(padToLimit) + "\""))).events().get(0);
    assertEquals(SegmentLimits.MAX_EVENT_BYTES, at.rawBytes());
    assertEquals(SegmentLimits.MAX_EVENT_BYTES, com.userpilotrelay.json.Json.writeBytes(at.node()).length);
    assertEquals("1", at.node().at("/context/ip").asText(), "merged: the event's own key wins");
    assertTrue(EventValidator.validate(at.node(), at.rawBytes()).isEmpty());
    SegmentBody.RawEvent over = SegmentBody.parse(bytes(shell.replace("\"pad\":\"\"",
        "\"pad\":\"" + "p".repeat(padToLimit + 1) + "\""))).events().get(0);
    assertEquals(SegmentLimits.MAX_EVENT_BYTES + 1, over.rawBytes());
    assertTrue(EventValidator.validate(over.node(), over.rawBytes()).get(0)
        .startsWith("event: 32769 bytes is over the 32768-byte limit for one event"));
  }

  @Test
  void mergedSizesMatchTheSerializedFormForEveryKindOfMerge() throws Exception {
    String body = "{\"batch\":[{\"type\":\"identify\",\"userId\":\"ü\"},"
        + "{\"type\":\"identify\",\"userId\":\"v\",\"context\":null,\"integrations\":{}},"
        + "{\"type\":\"identify\",\"userId\":\"w\",\"context\":{\"locale\":\"Zoë ✓\"}},"
        + "{\"type\":\"identify\",\"userId\":\"x\",\"context\":\"text\"},{}, 7],"
        + "\"context\":{\"library\":{\"name\":\"a\\\"b\"},\"n\":1.5e3,\"k\\u00e9\":[1,{}]},\"integrations\":{\"All\":false}}";
    SegmentBody parsed = SegmentBody.parse(bytes(body));
    assertEquals(6, parsed.events().size());
    for (SegmentBody.RawEvent event : parsed.events()) {
      assertEquals(com.userpilotrelay.json.Json.writeBytes(event.node()).length, event.rawBytes(),
          "event " + event.index() + ": " + event.node());
    }
    assertEquals("a\"b", parsed.events().get(2).node().at("/context/library/name").asText());
    assertEquals("text", parsed.events().get(3).node().get("context").asText(), "a non-object own context wins");
  }

  @Test
  void malformedJsonNamesThePosition() {
    BodyException e = assertThrows(BodyException.class,
        () -> SegmentBody.parse(bytes("{\"type\":\"track\",\n \"userId\": nope}")));
    assertTrue(e.getMessage().startsWith("body: malformed JSON at line 2, column"), e.getMessage());
    assertFalse(e.tooLarge());
  }

  @Test
  void refusesTrailingContentEmptyBodiesScalarsAndEmptyArrays() {
    assertTrue(assertThrows(BodyException.class, () -> SegmentBody.parse(bytes("{} {}"))).getMessage()
        .contains("after the JSON value"));
    assertTrue(assertThrows(BodyException.class, () -> SegmentBody.parse(bytes("  "))).getMessage().contains("empty"));
    assertTrue(assertThrows(BodyException.class, () -> SegmentBody.parse(bytes("42"))).getMessage().contains("a number"));
    assertTrue(assertThrows(BodyException.class, () -> SegmentBody.parse(bytes("[]"))).getMessage().contains("no events"));
    assertTrue(assertThrows(BodyException.class, () -> SegmentBody.parse(bytes("{\"batch\":{}}"))).getMessage()
        .startsWith("batch: must be an array"));
  }

  @Test
  void duplicateKeysAreRefusedSoASignedBodyCannotMeanTwoThings() {
    BodyException e = assertThrows(BodyException.class,
        () -> SegmentBody.parse(bytes("{\"type\":\"track\",\"userId\":\"a\",\"userId\":\"b\",\"event\":\"E\"}")));
    assertTrue(e.getMessage().contains("userId"), e.getMessage());
  }

  @Test
  void hostileNestingIsRefusedCheaply() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    BodyException e = assertThrows(BodyException.class, () -> SegmentBody.parse(bytes(deep)));
    assertTrue(e.getMessage().contains("malformed JSON") || e.getMessage().contains("depth"), e.getMessage());
  }

  @Test
  void moreThan4000EventsIsTooLargeAnd4000IsNot() throws Exception {
    StringBuilder at = new StringBuilder("[");
    for (int i = 0; i < 4000; i++) {
      at.append(i == 0 ? "" : ",").append("{}");
    }
    assertEquals(4000, SegmentBody.parse(bytes(at.append("]").toString())).events().size(), "Segment's largest batch");
    moreThanTheLimitIsTooLarge();
  }

  private void moreThanTheLimitIsTooLarge() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i <= SegmentLimits.MAX_EVENTS_PER_REQUEST; i++) {
      sb.append(i == 0 ? "" : ",").append("{}");
    }
    BodyException e = assertThrows(BodyException.class, () -> SegmentBody.parse(bytes(sb.append("]").toString())));
    assertTrue(e.tooLarge());
    assertTrue(e.getMessage().contains("more than 4000 events") && e.getMessage().contains("Batch Size (batch_size)"),
        e.getMessage());
  }

  @Test
  void invalidUtf8IsMalformed() {
    byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertThrows(BodyException.class, () -> SegmentBody.parse(body));
  }

  @Test
  void signedBytesOfAnUnreadableArrayIsNull() {
    org.junit.jupiter.api.Assertions.assertNull(SegmentBody.signedBytesOf(bytes("[{\"a\": ")));
  }

  @Test
  void theSignedFirstElementIsFoundEvenWhenItBreaksAParserLimit() {
    // Each of these is refused by the parser later (400, naming the problem); the signature must still be
    // checkable, or a correctly signed request would be told "unauthorized" instead.
    String deep = "{\"type\":\"identify\",\"userId\":\"u\",\"traits\":" + "[".repeat(100) + "]".repeat(100) + "}";
    String longNumber = "{\"type\":\"identify\",\"userId\":" + "9".repeat(400) + "}";
    String duplicate = "{\"type\":\"identify\",\"type\":\"track\",\"userId\":\"u\"}";
    String tricky = "{\"a\":\"]}\\\"[{\",\"b\":[1,{\"c\":\"}\"}]}";
    for (String first : new String[] {deep, longNumber, duplicate, tricky, "\"x\\\"]\"", "12.5e3", "null"}) {
      assertArrayEquals(bytes(first), SegmentBody.signedBytesOf(bytes("[ " + first + " , {}]")), first);
    }
    assertArrayEquals(bytes("[ ]"), SegmentBody.signedBytesOf(bytes("[ ]")));
    org.junit.jupiter.api.Assertions.assertNull(SegmentBody.signedBytesOf(bytes("[" + "[".repeat(1000))));
    org.junit.jupiter.api.Assertions.assertNull(SegmentBody.signedBytesOf(bytes("[ ")));
  }

  @Test
  void utf16BodiesAreRefusedNotGuessed() {
    // Jackson would detect UTF-16 from the NUL bytes; for an array its byte offsets are then -1 and
    // slicing the body threw ArrayIndexOutOfBoundsException (a 5xx).
    for (java.nio.charset.Charset utf16 : new java.nio.charset.Charset[] {StandardCharsets.UTF_16LE,
        StandardCharsets.UTF_16BE, StandardCharsets.UTF_16}) {
      for (String json : new String[] {"[{\"type\":\"identify\",\"userId\":\"u\"}]", "{\"type\":\"identify\",\"userId\":\"u\"}"}) {
        byte[] body = json.getBytes(utf16);
        SegmentBody.signedBytesOf(body);
        BodyException e = assertThrows(BodyException.class, () -> SegmentBody.parse(body));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
      }
    }
  }

  @Test
  void encodingsNoUtf8EncoderProducesAreRefused() {
    byte[][] bad = {
        {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'}, // overlong '/'
        {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}, // encoded surrogate
        {'{', '"', 'a', '"', ':', '"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"', '}'}, // > U+10FFFF
        {'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'}, // truncated sequence
    };
    for (byte[] body : bad) {
      BodyException e = assertThrows(BodyException.class, () -> SegmentBody.parse(body));
      assertTrue(e.getMessage().startsWith("body: not valid UTF-8 at byte 6"), e.getMessage());
    }
  }

  @Test
  void anExponentPastBigDecimalIsA400NotAnException() {
    // Jackson threw NumberFormatException here, which escaped ingest as a 5xx.
    BodyException e = assertThrows(BodyException.class,
        () -> SegmentBody.parse(bytes("{\"type\":\"identify\",\"userId\":1e99999999999}")));
    assertTrue(e.getMessage().contains("out of range"), e.getMessage());
  }

  @Test
  void limitBreachesNameAPosition() {
    BodyException e = assertThrows(BodyException.class,
        () -> SegmentBody.parse(bytes("{\"a\":" + "[".repeat(70) + "]".repeat(70) + "}")));
    assertTrue(e.getMessage().startsWith("body: malformed JSON at line 1, column"), e.getMessage());
    assertTrue(e.getMessage().contains("nesting depth"), e.getMessage());
  }
}
