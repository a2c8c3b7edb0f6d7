package com.userpilotrelay.mapping;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** Splits a trigger into tokens; every token keeps its offset so errors can point at it. */
final class TriggerLexer {
  enum Kind { LPAREN, RPAREN, COMMA, BANG, OP, STRING, NUMBER, WORD, END }

  /** {@code value} is the decoded string or the number; {@code text} is what was written. */
  record Token(Kind kind, String text, int pos, Object value) {
    String shown() {
      return kind == Kind.END ? "the end of the trigger" : "'" + text + "'";
    }
  }

  private final String src;
  private int i;

  private TriggerLexer(String src) {
    this.src = src;
  }

  static List<Token> tokens(String src) {
    return new TriggerLexer(src).run();
  }

  private List<Token> run() {
    List<Token> out = new ArrayList<>();
    while (true) {
      skipSpace();
      if (i >= src.length()) {
        out.add(new Token(Kind.END, "", src.length(), null));
        return out;
      }
      out.add(next());
    }
  }

  private Token next() {
    int start = i;
    char c = src.charAt(i);
    switch (c) {
      case '(':
        i++;
        return new Token(Kind.LPAREN, "(", start, null);
      case ')':
        i++;
        return new Token(Kind.RPAREN, ")", start, null);
      case ',':
        i++;
        return new Token(Kind.COMMA, ",", start, null);
      case '!':
        i++;
        if (peek('=')) {
          i++;
          return new Token(Kind.OP, "!=", start, null);
        }
        return new Token(Kind.BANG, "!", start, null);
      case '=':
        i++;
        return new Token(Kind.OP, "=", start, null);
      case '<':
      case '>':
        i++;
        if (peek('=')) {
          i++;
          return new Token(Kind.OP, c + "=", start, null);
        }
        return new Token(Kind.OP, String.valueOf(c), start, null);
      case '"':
        return string();
      case '\'':
        throw error("strings are written in double quotes (\"...\"), not single quotes", start);
      default:
        if (Character.isDigit(c) || (c == '-' && i + 1 < src.length() && Character.isDigit(src.charAt(i + 1)))) {
          return number();
        }
        if (isWordStart(c)) {
          return word();
        }
        throw error("unexpected character '" + new String(Character.toChars(src.codePointAt(i))) + "'", start);
    }
  }

  private Token string() {
    int start = i++;
    StringBuilder value = new StringBuilder();
    while (i < src.length()) {
      char c = src.charAt(i++);
      if (c == '"') {
        return new Token(Kind.STRING, src.substring(start, i), start, value.toString());
      }
      if (c == '\\') {
        if (i >= src.length()) {
          break;
        }
        char e = src.charAt(i++);
        switch (e) {
          case 'n' -> value.append('\n');
          case 't' -> value.append('\t');
          case 'r' -> value.append('\r');
          case 'b' -> value.append('\b');
          case 'f' -> value.append('\f');
          case 'u' -> value.append(unicodeEscape(i - 2));
          default -> value.append(e); // \" \\ \/ and any other escaped character stand for themselves
        }
      } else {
        value.append(c);
      }
    }
    throw error("this string is never closed: add the missing '\"'", start);
  }

  private char unicodeEscape(int escapeStart) {
    if (i + 4 > src.length()) {
      throw error("\\u must be followed by four hex digits", escapeStart);
    }
    String hex = src.substring(i, i + 4);
    for (int k = 0; k < 4; k++) {
      if (Character.digit(hex.charAt(k), 16) < 0) {
        throw error("\\u must be followed by four hex digits", escapeStart);
      }
    }
    i += 4;
    return (char) Integer.parseInt(hex, 16);
  }

  private Token number() {
    int start = i;
    if (src.charAt(i) == '-') {
      i++;
    }
    digits();
    if (peek('.')) {
      i++;
      if (!digitAt(i)) {
        throw error("a number needs digits after its decimal point", start);
      }
      digits();
    }
    if (peek('e') || peek('E')) {
      i++;
      if (peek('+') || peek('-')) {
        i++;
      }
      if (!digitAt(i)) {
        throw error("a number needs digits in its exponent", start);
      }
      digits();
    }
    if (i < src.length() && isWordPart(src.charAt(i))) {
      throw error("malformed number '" + src.substring(start, i + 1) + "…'; strings need double quotes", start);
    }
    String text = src.substring(start, i);
    return new Token(Kind.NUMBER, text, start, new BigDecimal(text));
  }

  private Token word() {
    int start = i;
    i++;
    while (i < src.length() && isWordPart(src.charAt(i))) {
      i++;
    }
    // A dotted path: segments after a dot may start with a digit or contain '-' (UUID-like keys).
    while (peek('.')) {
      int dot = i++;
      int segmentStart = i;
      while (i < src.length() && (isWordPart(src.charAt(i)) || src.charAt(i) == '-')) {
        i++;
      }
      if (i == segmentStart) {
        throw error("expected a property name after '.'", dot);
      }
    }
    return new Token(Kind.WORD, src.substring(start, i), start, null);
  }

  private void digits() {
    while (digitAt(i)) {
      i++;
    }
  }

  private boolean digitAt(int at) {
    return at < src.length() && Character.isDigit(src.charAt(at));
  }

  private boolean peek(char c) {
    return i < src.length() && src.charAt(i) == c;
  }

  private void skipSpace() {
    while (i < src.length() && Character.isWhitespace(src.charAt(i))) {
      i++;
    }
  }

  /** Letters of any script: trait and property names are not always English. */
  private static boolean isWordStart(char c) {
    return Character.isLetter(c) || c == '_' || c == '$';
  }

  private static boolean isWordPart(char c) {
    return isWordStart(c) || Character.isDigit(c);
  }

  private TriggerSyntaxException error(String reason, int pos) {
    return new TriggerSyntaxException(reason, pos, src);
  }
}
