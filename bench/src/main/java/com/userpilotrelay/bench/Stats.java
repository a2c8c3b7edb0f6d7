package com.userpilotrelay.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Medians and spreads of repeated measurements; a benchmark reports the median, never the best run. */
final class Stats {
  private Stats() {}

  static double median(List<? extends Number> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = sorted(values);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static double min(List<? extends Number> values) {
    return values.isEmpty() ? Double.NaN : sorted(values).get(0);
  }

  static double max(List<? extends Number> values) {
    return values.isEmpty() ? Double.NaN : sorted(values).get(values.size() - 1);
  }

  private static List<Double> sorted(List<? extends Number> values) {
    List<Double> sorted = new ArrayList<>(values.size());
    values.forEach(v -> sorted.add(v.doubleValue()));
    Collections.sort(sorted);
    return sorted;
  }

  static double round(double value, int decimals) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return value;
    }
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }
}
