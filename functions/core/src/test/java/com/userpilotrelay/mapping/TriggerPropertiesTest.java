package com.userpilotrelay.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.userpilotrelay.json.Json;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/** Whatever text a mappings file holds, parsing either works or says where it does not. */
class TriggerPropertiesTest {
  private static final List<String> TOKENS = List.of(
      "type", "event", "name", "userId", "properties.a", "traits.b.c", "context.d", "properties.",
      "=", "!=", "<", "<=", ">", ">=", "!", "(", ")", ",", "and", "OR", "And",
      "\"x\"", "\"a*\"", "\"*b\"", "\"", "5", "-1.5", "1e3", "true", "null", "FALSE",
      "contains", "match", "contains(", "match(", "'q'", "\\", "#", "..", "é", "\u0000");

  private static final JsonNode EVENT = Json.parse(
      "{\"type\":\"track\",\"event\":\"x\",\"properties\":{\"a\":5},\"traits\":{\"b\":{\"c\":\"a1\"}},\"context\":{}}");

  @Property(tries = 2000)
  void arbitraryTextParsesOrFailsWithItsSyntaxException(@ForAll String text) {
    parseOrSyntaxError(text);
  }

  @Property(tries = 3000)
  void tokenSoupParsesOrFailsWithItsSyntaxException(@ForAll("tokenSoup") String text) {
    // Nearly all soup is invalid: it probes the error paths; generatedTriggers covers valid ones.
    Statistics.collect(parseOrSyntaxError(text) ? "parsed" : "syntax error");
  }

  @Property(tries = 1000)
  void generatedTriggersParseAndEvaluate(@ForAll("triggers") String text) {
    Trigger.parse(text).matches(EVENT);
  }

  @Property(tries = 2000)
  void damagedTriggersParseOrFailWithItsSyntaxException(
      @ForAll("triggers") String text, @ForAll("cuts") int cut, @ForAll("cuts") int length) {
    int from = Math.min(cut, text.length());
    int to = Math.min(text.length(), from + length % 4);
    parseOrSyntaxError(text.substring(0, from) + text.substring(to));
  }

  @Provide
  Arbitrary<Integer> cuts() {
    return Arbitraries.integers().between(0, 80);
  }

  /** Valid triggers from the grammar, to damage and to evaluate. */
  @Provide
  Arbitrary<String> triggers() {
    return condition(3);
  }

  private Arbitrary<String> condition(int depth) {
    Arbitrary<String> field = Arbitraries.of("type", "event", "name", "userId", "properties.a", "traits.b.c", "context.d");
    Arbitrary<String> literal = Arbitraries.of("\"x\"", "\"\"", "5", "-1.5", "true", "FALSE", "null", "\"a\\\"b\"");
    Arbitrary<String> comparison = Combinators.combine(field, Arbitraries.of("=", "!="), literal)
        .as((f, op, v) -> f + " " + op + " " + v);
    Arbitrary<String> ordering = Combinators.combine(field, Arbitraries.of("<", "<=", ">", ">="),
        Arbitraries.of("0", "10", "-2.5")).as((f, op, v) -> f + op + v);
    Arbitrary<String> function = Combinators.combine(Arbitraries.of("", "!"),
        Arbitraries.of("contains", "match", "CONTAINS"), field, Arbitraries.of("\"a*\"", "\"*1\""))
        .as((bang, fn, f, arg) -> bang + fn + "(" + f + ", " + arg + ")");
    Arbitrary<String> leaf = Arbitraries.oneOf(comparison, ordering, function);
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<String> inner = Arbitraries.lazy(() -> condition(depth - 1));
    Arbitrary<String> joined = Combinators.combine(inner, Arbitraries.of(" and ", " or ", " AND ", " Or "),
        inner).as((a, op, b) -> a + op + b);
    Arbitrary<String> grouped = inner.map(c -> "(" + c + ")");
    return Arbitraries.frequencyOf(
        Tuple.of(3, leaf), Tuple.of(2, joined), Tuple.of(1, grouped));
  }

  @Provide
  Arbitrary<String> tokenSoup() {
    return Arbitraries.of(TOKENS).list().ofMaxSize(14)
        .flatMap(tokens -> Arbitraries.of(" ", "", "  ").map(sep -> String.join(sep, tokens)));
  }

  /** Any exception but TriggerSyntaxException fails the property; a parsed trigger must also evaluate. */
  private static boolean parseOrSyntaxError(String text) {
    Trigger trigger;
    try {
      trigger = Trigger.parse(text);
    } catch (TriggerSyntaxException e) {
      if (e.position() < 0 || e.position() > text.length()) {
        throw new AssertionError("position " + e.position() + " outside the text: " + text, e);
      }
      return false;
    }
    trigger.matches(EVENT);
    return true;
  }
}
