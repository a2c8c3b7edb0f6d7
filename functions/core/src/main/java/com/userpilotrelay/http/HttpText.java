package com.userpilotrelay.http;

/** Header-value text rules shared by everything that reads request headers. */
public final class HttpText {
  private HttpText() {}

  /**
   * Drops HTTP's optional whitespace (spaces and tabs, RFC 9110) around a value. Not {@link String#trim()},
   * which also drops NUL, CR, LF and every other control character: a token followed by a NUL, a
   * signature followed by CRLF junk, or "application/json\0" is not what it looks like, and is refused.
   */
  public static String stripOws(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
      start++;
    }
    while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) {
      end--;
    }
    return value.substring(start, end);
  }
}
