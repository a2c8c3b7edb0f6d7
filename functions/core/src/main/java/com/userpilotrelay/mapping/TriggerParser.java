package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.userpilotrelay.mapping.TriggerLexer.Kind;
import com.userpilotrelay.mapping.TriggerLexer.Token;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recursive descent over the trigger grammar, with {@code and} binding tighter than {@code or}
 * (Segment's parser applies the last and/or it saw to the whole group instead):
 *
 * <pre>
 * trigger    := or END
 * or         := and ( "or" and )*
 * and        := unary ( "and" unary )*
 * unary      := "!" function | primary
 * primary    := "(" or ")" | function | field op literal
 * function   := ("contains" | "match") "(" field "," string ")"
 * field      := type | event | name | userId | (properties|traits|context) "." path
 * op         := "=" | "!=" | "<" | "<=" | ">" | ">="
 * literal    := string | number | true | false | null
 * </pre>
 *
 * Keywords (and, or, true, false, null, contains, match) are case-insensitive; field names are not.
 */
final class TriggerParser {
  static final int MAX_DEPTH = 64;
  private static final Set<String> PLAIN_FIELDS = Set.of("type", "event", "name", "userId");
  private static final Set<String> OBJECT_FIELDS = Set.of("properties", "traits", "context");
  private static final String FIELD_LIST =
      "type, event, name, userId, properties.<name>, traits.<name> or context.<name>";

  private final String src;
  private final List<Token> tokens;
  private int at;
  private int depth;

  private TriggerParser(String src) {
    this.src = src;
    this.tokens = TriggerLexer.tokens(src);
  }

  static Condition parse(String src) {
    if (src == null || src.isBlank()) {
      throw new TriggerSyntaxException("the trigger is empty; write a condition such as type = \"track\"", 0,
          src == null ? "" : src);
    }
    TriggerParser p = new TriggerParser(src);
    Condition c = p.or();
    Token rest = p.peek();
    if (rest.kind() != Kind.END) {
      throw p.error("unexpected " + rest.shown() + " after a complete condition; join conditions with and / or",
          rest);
    }
    return c;
  }

  private Condition or() {
    List<Condition> parts = new ArrayList<>();
    parts.add(and());
    while (isKeyword(peek(), "or")) {
      next();
      parts.add(and());
    }
    return parts.size() == 1 ? parts.get(0) : new Condition.Any(List.copyOf(parts));
  }

  private Condition and() {
    List<Condition> parts = new ArrayList<>();
    parts.add(unary());
    while (isKeyword(peek(), "and")) {
      next();
      parts.add(unary());
    }
    return parts.size() == 1 ? parts.get(0) : new Condition.All(List.copyOf(parts));
  }

  private Condition unary() {
    Token t = peek();
    if (t.kind() == Kind.BANG) {
      next();
      if (!functionAhead()) {
        throw error("'!' can only negate contains(...) or match(...); for a field use != instead", t);
      }
      return function(true);
    }
    return primary();
  }

  private Condition primary() {
    Token t = peek();
    if (t.kind() == Kind.LPAREN) {
      next();
      if (++depth > MAX_DEPTH) {
        throw error("parentheses are nested more than " + MAX_DEPTH + " deep", t);
      }
      Condition inner = or();
      Token close = peek();
      if (close.kind() != Kind.RPAREN) {
        throw error("expected ')' to close the '(' at column " + (t.pos() + 1) + " but found " + close.shown(), close);
      }
      next();
      depth--;
      return inner;
    }
    if (functionAhead()) {
      return function(false);
    }
    if (t.kind() == Kind.WORD) {
      return comparison();
    }
    throw error("expected a condition (a field comparison, contains(...), match(...) or '(') but found "
        + t.shown(), t);
  }

  private Condition comparison() {
    Token fieldToken = next();
    FieldPath field = field(fieldToken);
    Token op = peek();
    if (op.kind() != Kind.OP) {
      throw error("expected an operator (=, !=, <, <=, >, >=) after " + fieldToken.shown() + " but found "
          + op.shown(), op);
    }
    next();
    Token valueToken = peek();
    JsonNode literal = literal(valueToken, op.text());
    next();
    return switch (op.text()) {
      case "=" -> new Condition.Equals(field, literal, false);
      case "!=" -> new Condition.Equals(field, literal, true);
      default -> {
        if (!literal.isNumber()) {
          String hint = literal.isTextual() && isNumeric(literal.textValue())
              ? " (write " + literal.textValue() + " without quotes)"
              : "";
          throw error("'" + op.text() + "' compares numbers, but " + valueToken.shown() + " is not a number" + hint,
              valueToken);
        }
        yield new Condition.Compare(field, op.text(), literal.decimalValue());
      }
    };
  }

  private Condition function(boolean negated) {
    Token name = next();
    String fn = name.text().toLowerCase(Locale.ROOT);
    expect(Kind.LPAREN, "'(' after " + fn);
    Token fieldToken = peek();
    if (fieldToken.kind() != Kind.WORD) {
      throw error(fn + "() needs a field as its 1st argument but found " + fieldToken.shown(), fieldToken);
    }
    next();
    FieldPath field = field(fieldToken);
    expect(Kind.COMMA, "',' between the arguments of " + fn + "()");
    Token arg = peek();
    if (arg.kind() != Kind.STRING) {
      throw error(fn + "() needs a \"string\" as its 2nd argument but found " + arg.shown(), arg);
    }
    next();
    expect(Kind.RPAREN, "')' to close " + fn + "(");
    String s = (String) arg.value();
    if (fn.equals("contains")) {
      return new Condition.Text(field, Condition.Text.Kind.CONTAINS, s, negated);
    }
    return matchPattern(field, s, negated, arg);
  }

  private Condition matchPattern(FieldPath field, String pattern, boolean negated, Token arg) {
    int stars = (int) pattern.chars().filter(c -> c == '*').count();
    if (pattern.equals("*")) {
      return new Condition.Text(field, Condition.Text.Kind.STARTS_WITH, "", negated);
    }
    if (stars == 1 && pattern.endsWith("*")) {
      return new Condition.Text(field, Condition.Text.Kind.STARTS_WITH,
          pattern.substring(0, pattern.length() - 1), negated);
    }
    if (stars == 1 && pattern.startsWith("*")) {
      return new Condition.Text(field, Condition.Text.Kind.ENDS_WITH, pattern.substring(1), negated);
    }
    throw error("match() takes one '*' at the end (\"pre*\": starts with) or at the start (\"*suf\": ends with);"
        + " use contains() for text anywhere and = for an exact value", arg);
  }

  private FieldPath field(Token t) {
    String word = t.text();
    if (isKeywordWord(word)) {
      throw error("expected a field (" + FIELD_LIST + ") but found the keyword " + t.shown(), t);
    }
    List<String> parts = Arrays.asList(word.split("\\.", -1));
    String head = parts.get(0);
    if (PLAIN_FIELDS.contains(head)) {
      if (parts.size() > 1) {
        throw error("'" + head + "' has no sub-fields; did you mean properties." + word.substring(head.length() + 1)
            + "?", t);
      }
      return FieldPath.of(parts);
    }
    if (OBJECT_FIELDS.contains(head)) {
      if (parts.size() == 1) {
        throw error("'" + head + "' needs a name after it, e.g. " + head + ".plan", t);
      }
      return FieldPath.of(parts);
    }
    throw error("unknown field '" + word + "'; a trigger can test " + FIELD_LIST, t);
  }

  private JsonNode literal(Token t, String op) {
    switch (t.kind()) {
      case STRING:
        return TextNode.valueOf((String) t.value());
      case NUMBER:
        return DecimalNode.valueOf((BigDecimal) t.value());
      case WORD:
        switch (t.text().toLowerCase(Locale.ROOT)) {
          case "true":
            return BooleanNode.TRUE;
          case "false":
            return BooleanNode.FALSE;
          case "null":
            if (!op.equals("=") && !op.equals("!=")) {
              throw error("'" + op + "' cannot compare with null; use = null (absent) or != null (present)", t);
            }
            return NullNode.instance;
          default:
            throw error("expected a value after '" + op + "' but found " + t.shown()
                + "; strings need double quotes (\"" + t.text() + "\")", t);
        }
      default:
        throw error("expected a value (a \"string\", a number, true, false or null) after '" + op + "' but found "
            + t.shown(), t);
    }
  }

  private void expect(Kind kind, String what) {
    Token t = peek();
    if (t.kind() != kind) {
      throw error("expected " + what + " but found " + t.shown(), t);
    }
    next();
  }

  /** contains/match followed by '(': otherwise the word is read as a (probably unknown) field. */
  private boolean functionAhead() {
    Token t = peek();
    if (t.kind() != Kind.WORD) {
      return false;
    }
    String w = t.text().toLowerCase(Locale.ROOT);
    return (w.equals("contains") || w.equals("match")) && tokens.get(at + 1).kind() == Kind.LPAREN;
  }

  private static boolean isKeyword(Token t, String keyword) {
    return t.kind() == Kind.WORD && t.text().equalsIgnoreCase(keyword);
  }

  private static boolean isKeywordWord(String word) {
    String w = word.toLowerCase(Locale.ROOT);
    return w.equals("and") || w.equals("or") || w.equals("true") || w.equals("false") || w.equals("null");
  }

  private static boolean isNumeric(String s) {
    return s.matches("-?\\d+(\\.\\d+)?");
  }

  private Token peek() {
    return tokens.get(at);
  }

  private Token next() {
    Token t = tokens.get(at);
    if (t.kind() != Kind.END) {
      at++;
    }
    return t;
  }

  private TriggerSyntaxException error(String reason, Token t) {
    return new TriggerSyntaxException(reason, t.pos(), src);
  }
}
