package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Segment's "date-like" check for datetime fields (createdAt), made strict enough to be sensible.
 *
 * <p>Segment (actions-core, the ajv format 'date-like') accepts a numeric string as epoch seconds,
 * and otherwise anything dayjs or the JavaScript {@code Date} constructor can parse; numbers are not
 * checked at all. That includes free text such as "March 7, 2020" and out-of-range dates such as
 * "2021-13-45" (which roll over into a real date). The relay accepts:
 *
 * <ul>
 *   <li>any JSON number (epoch seconds or milliseconds);
 *   <li>a numeric string ("1612137600", "1612137600.5");
 *   <li>ISO-8601 / RFC 3339 calendar dates: {@code yyyy}, {@code yyyy-MM}, {@code yyyy-MM-dd}, the
 *       latter optionally followed by {@code T} (or a space) and {@code HH:mm[:ss[.fraction]]} and
 *       an optional offset {@code Z}, {@code ±HH:mm}, {@code ±HHmm} or {@code ±HH};
 *   <li>RFC 1123 dates, as JavaScript's {@code toUTCString()} writes them ("Tue, 3 Jun 2008 11:05:30 GMT").
 * </ul>
 *
 * Every part must be in range (no 30 February, no hour 25). Values are never converted: the value
 * that passes is forwarded exactly as received.
 */
final class DateLike {
  private static final Pattern NUMERIC = Pattern.compile("-?\\d+(?:\\.\\d+)?");
  private static final Pattern ISO = Pattern.compile(
      "(\\d{4})(?:-(\\d{2})(?:-(\\d{2})"
          + "(?:[Tt ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,]\\d{1,9})?)?"
          + "([Zz]|[+-]\\d{2}(?::?\\d{2})?)?)?)?)?");

  private DateLike() {}

  static boolean test(JsonNode value) {
    if (value == null) {
      return false;
    }
    if (value.isNumber()) {
      return true;
    }
    return value.isTextual() && test(value.textValue());
  }

  static boolean test(String s) {
    return NUMERIC.matcher(s).matches() || isIso(s) || isRfc1123(s);
  }

  private static boolean isIso(String s) {
    Matcher m = ISO.matcher(s);
    if (!m.matches()) {
      return false;
    }
    try {
      LocalDate.of(Integer.parseInt(m.group(1)), intOr(m.group(2), 1), intOr(m.group(3), 1));
      if (m.group(4) != null) {
        LocalTime.of(Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), intOr(m.group(6), 0));
      }
      if (m.group(7) != null) {
        offset(m.group(7));
      }
      return true;
    } catch (DateTimeException e) {
      return false;
    }
  }

  private static void offset(String zone) {
    if (zone.equalsIgnoreCase("Z")) {
      return;
    }
    int sign = zone.charAt(0) == '-' ? -1 : 1;
    String digits = zone.substring(1).replace(":", "");
    int hours = Integer.parseInt(digits.substring(0, 2));
    int minutes = digits.length() > 2 ? Integer.parseInt(digits.substring(2)) : 0;
    ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
  }

  private static boolean isRfc1123(String s) {
    try {
      DateTimeFormatter.RFC_1123_DATE_TIME.parse(s);
      return true;
    } catch (DateTimeException e) {
      return false;
    }
  }

  private static int intOr(String digits, int fallback) {
    return digits == null ? fallback : Integer.parseInt(digits);
  }
}
