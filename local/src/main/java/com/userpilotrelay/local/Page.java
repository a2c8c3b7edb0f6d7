package com.userpilotrelay.local;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * One page of a listing ordered by a stable key (for dead letters, the queue's message id): the items with
 * a key after the cursor, up to a limit, and the cursor of the next page when there are more. Kept apart
 * from how the items were read, so a queue that hands messages out in another order pages the same way.
 */
record Page<T>(List<T> items, String next) {

  static <T> Page<T> of(List<T> all, Function<T, String> key, int limit, String after) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
    List<T> sorted = new ArrayList<>();
    for (T item : all) {
      if (after == null || key.apply(item).compareTo(after) > 0) {
        sorted.add(item);
      }
    }
    sorted.sort(Comparator.comparing(key));
    if (sorted.size() <= limit) {
      return new Page<>(sorted, null);
    }
    List<T> page = List.copyOf(sorted.subList(0, limit));
    return new Page<>(page, key.apply(page.get(limit - 1)));
  }
}
