package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.List;

/**
 * A compiled trigger. Comparisons are type-strict: a string literal only matches strings, a number
 * only numbers, true/false only booleans; a missing field satisfies {@code !=} and {@code = null}
 * and nothing else.
 */
sealed interface Condition {
  boolean test(JsonNode event);

  record All(List<Condition> parts) implements Condition {
    @Override
    public boolean test(JsonNode event) {
      for (Condition c : parts) {
        if (!c.test(event)) {
          return false;
        }
      }
      return true;
    }
  }

  record Any(List<Condition> parts) implements Condition {
    @Override
    public boolean test(JsonNode event) {
      for (Condition c : parts) {
        if (c.test(event)) {
          return true;
        }
      }
      return false;
    }
  }

  /** {@code field = literal} (or {@code !=} when negated); a null literal tests absence. */
  record Equals(FieldPath field, JsonNode literal, boolean negated) implements Condition {
    @Override
    public boolean test(JsonNode event) {
      return equal(field.resolve(event)) != negated;
    }

    private boolean equal(JsonNode actual) {
      if (literal.isNull()) {
        return actual == null || actual.isNull();
      }
      if (actual == null) {
        return false;
      }
      if (literal.isNumber()) {
        return actual.isNumber() && actual.decimalValue().compareTo(literal.decimalValue()) == 0;
      }
      if (literal.isBoolean()) {
        return actual.isBoolean() && actual.booleanValue() == literal.booleanValue();
      }
      return actual.isTextual() && actual.textValue().equals(literal.textValue());
    }
  }

  /** {@code <, <=, >, >=}: false unless the field holds a number. */
  record Compare(FieldPath field, String op, BigDecimal bound) implements Condition {
    @Override
    public boolean test(JsonNode event) {
      JsonNode actual = field.resolve(event);
      if (actual == null || !actual.isNumber()) {
        return false;
      }
      int c = actual.decimalValue().compareTo(bound);
      return switch (op) {
        case "<" -> c < 0;
        case "<=" -> c <= 0;
        case ">" -> c > 0;
        default -> c >= 0;
      };
    }
  }

  /** contains() and match(); negated by '!', and false either way unless the field is a string. */
  record Text(FieldPath field, Kind kind, String arg, boolean negated) implements Condition {
    enum Kind { CONTAINS, STARTS_WITH, ENDS_WITH }

    @Override
    public boolean test(JsonNode event) {
      JsonNode actual = field.resolve(event);
      if (actual == null || !actual.isTextual()) {
        return false;
      }
      String s = actual.textValue();
      boolean hit = switch (kind) {
        case CONTAINS -> s.contains(arg);
        case STARTS_WITH -> s.startsWith(arg);
        case ENDS_WITH -> s.endsWith(arg);
      };
      return hit != negated;
    }
  }
}
