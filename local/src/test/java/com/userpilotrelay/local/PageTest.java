package com.userpilotrelay.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Paging over items read in any order: every item exactly once, in key order, whatever the page size. */
class PageTest {
  @Test
  void pagingVisitsEveryItemOnceInKeyOrderForEveryPageSize() {
    List<String> items = new ArrayList<>();
    for (int i = 0; i < 57; i++) {
      items.add(String.format("id-%03d", i));
    }
    List<String> expected = new ArrayList<>(items);
    for (int limit : new int[] {1, 2, 10, 56, 57, 58, 1000}) {
      Collections.shuffle(items, new Random(limit));
      List<String> seen = new ArrayList<>();
      String after = null;
      int pages = 0;
      do {
        Page<String> page = Page.of(items, Function.identity(), limit, after);
        seen.addAll(page.items());
        after = page.next();
        pages++;
      } while (after != null);
      assertEquals(expected, seen, "limit " + limit);
      assertEquals(Math.max(1, (57 + limit - 1) / limit), pages, "a full last page says there is no next: " + limit);
    }
  }

  @Test
  void aCursorPastTheEndGivesAnEmptyLastPage() {
    Page<String> page = Page.of(List.of("a", "b"), Function.identity(), 5, "b");
    assertEquals(List.of(), page.items());
    assertNull(page.next());
  }
}
