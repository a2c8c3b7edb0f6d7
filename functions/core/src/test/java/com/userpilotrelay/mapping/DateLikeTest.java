package com.userpilotrelay.mapping;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.userpilotrelay.json.Json;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DateLikeTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "2021-02-01T00:00:00.000Z", "2021-02-01T10:00:00+02:00", "2021-02-01T10:00:00-0530", "2021-02-01T10:00:00+01",
      "2021-02-01T10:00Z", "2021-02-01 10:00:00", "2021-02-01t10:00:00z", "2021-02-01T10:00:00.123456789Z",
      "2021-02-01", "2021-02", "2021", "2024-02-29",
      "1612137600", "1612137600000", "1612137600.5", "-86400",
      "Tue, 3 Jun 2008 11:05:30 GMT", "Mon, 01 Feb 2021 00:00:00 GMT"})
  void dateLikeStrings(String s) {
    assertTrue(DateLike.test(s), s);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "yesterday", "", " ", "now", "March 7, 2020", "2021/02/01", "01/02/2021", "2021-2-1",
      "2021-13-01", "2021-02-30", "2023-02-29", "2021-02-01T25:00:00Z", "2021-02-01T10:61Z",
      "2021-02-01T10:00:00+19:00", "2021-02-01Z", "2021-02-01T", " 2021-02-01", "2021-02-01 ",
      "0x10", "1e9", "12:00", "true"})
  void notDateLikeStrings(String s) {
    assertFalse(DateLike.test(s), s);
  }

  @Test
  void anyJsonNumberIsAnEpoch() {
    assertTrue(DateLike.test(IntNode.valueOf(1612137600)));
    assertTrue(DateLike.test(DecimalNode.valueOf(new BigDecimal("1612137600000.25"))));
    assertTrue(DateLike.test(Json.parse("-1")));
  }

  @Test
  void otherJsonTypesAreNotDates() {
    assertFalse(DateLike.test(BooleanNode.TRUE));
    assertFalse(DateLike.test(NullNode.instance));
    assertFalse(DateLike.test(Json.parse("{\"d\":\"2021-01-01\"}")));
    assertFalse(DateLike.test(Json.parse("[\"2021-01-01\"]")));
    assertFalse(DateLike.test((com.fasterxml.jackson.databind.JsonNode) null));
  }
}
