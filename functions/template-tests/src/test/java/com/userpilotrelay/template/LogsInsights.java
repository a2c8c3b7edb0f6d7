package com.userpilotrelay.template;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough of the CloudWatch Logs Insights query language to see which fields a query reads. */
final class LogsInsights {
  private static final Set<String> KEYWORDS = Set.of("fields", "filter", "stats", "sort", "limit", "by", "as", "and",
      "or", "not", "like", "in", "desc", "asc", "display", "dedup", "parse");
  private static final Pattern SOURCE = Pattern.compile("^\\s*SOURCE\\s+'([^']*)'\\s*\\|");
  private static final Pattern LITERAL = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|/(?:[^/\\\\]|\\\\.)+/");
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z_@][A-Za-z0-9_.@]*|\\S");
  private static final Pattern COMPARISON = Pattern.compile("\\b([A-Za-z][A-Za-z0-9_]*)\\s*=\\s*\"([^\"]*)\"");

  private LogsInsights() {}

  /** The log groups a dashboard log widget's query names with SOURCE '…' (none for a saved query). */
  static Set<String> sources(String query) {
    Set<String> found = new LinkedHashSet<>();
    Matcher m = SOURCE.matcher(query);
    if (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  /** The log fields a query reads: no system fields (@…), functions, keywords, aliases or literals. */
  static Set<String> fieldsRead(String query) {
    String body = SOURCE.matcher(query).replaceFirst("");
    body = LITERAL.matcher(body).replaceAll(" ");
    Matcher m = TOKEN.matcher(body);
    java.util.List<String> tokens = new java.util.ArrayList<>();
    while (m.find()) {
      tokens.add(m.group());
    }
    Set<String> aliases = new LinkedHashSet<>();
    for (int i = 1; i < tokens.size(); i++) {
      if (tokens.get(i - 1).equals("as")) {
        aliases.add(tokens.get(i));
      }
    }
    Set<String> fields = new LinkedHashSet<>();
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      boolean function = i + 1 < tokens.size() && tokens.get(i + 1).equals("(");
      if (Character.isLetter(t.charAt(0)) && !KEYWORDS.contains(t) && !function && !aliases.contains(t)) {
        fields.add(t);
      }
    }
    return fields;
  }

  /** Each {@code field = "value"} comparison, field to the values compared with. */
  static Map<String, Set<String>> comparedValues(String query) {
    Map<String, Set<String>> found = new LinkedHashMap<>();
    Matcher m = COMPARISON.matcher(query);
    while (m.find()) {
      found.computeIfAbsent(m.group(1), k -> new LinkedHashSet<>()).add(m.group(2));
    }
    return found;
  }
}
