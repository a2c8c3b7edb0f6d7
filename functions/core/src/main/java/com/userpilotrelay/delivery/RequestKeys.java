package com.userpilotrelay.delivery;

import com.userpilotrelay.json.Json;
import com.userpilotrelay.mapping.MappedRequest;
import com.userpilotrelay.queue.MessageGroups;
import com.userpilotrelay.userpilot.UserpilotRequest;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which of an event's Userpilot requests were already accepted. A request is named by what it is — mapping
 * name, action and a digest of method, path and body — not by its position among the matching mappings, so a
 * redrive after mappings were reordered, added or fixed sends exactly the requests not yet accepted.
 *
 * <p>Progress is remembered in this container while the event is retried, and written onto the event when it is
 * dead-lettered (attribute {@value #ATTRIBUTE}), which a redrive carries back. An event retried by another
 * container may resend what this one delivered (RELIABILITY.md, "When duplicates can happen").
 */
final class RequestKeys {
  static final String ATTRIBUTE = "relayDone";
  /** Events whose progress is remembered between receives; the oldest are forgotten first. */
  static final int REMEMBERED = 10_000;

  private final Map<String, Set<String>> doneByMessage = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Set<String>> eldest) {
      return size() > REMEMBERED;
    }
  };

  static String keyOf(MappedRequest mapped) {
    UserpilotRequest r = mapped.request();
    String digest = MessageGroups.sha256(r.method() + " " + r.path() + "\n" + Json.write(r.body())).substring(0, 16);
    return sanitize(mapped.mappingName()) + "/" + r.action() + "/" + digest;
  }

  /** What is known done: the attribute a redrive carried, plus what this container delivered. */
  synchronized Set<String> done(String queueMessageId, String attribute) {
    Set<String> done = new LinkedHashSet<>();
    if (attribute != null && !attribute.isBlank()) {
      Arrays.stream(attribute.split(",")).filter(s -> !s.isEmpty()).forEach(done::add);
    }
    done.addAll(doneByMessage.getOrDefault(queueMessageId, Set.of()));
    return done;
  }

  synchronized void remember(String queueMessageId, Collection<String> done) {
    doneByMessage.put(queueMessageId, new LinkedHashSet<>(done));
  }

  synchronized void forget(String queueMessageId) {
    doneByMessage.remove(queueMessageId);
  }

  static String attribute(Collection<String> done) {
    return String.join(",", done);
  }

  /** Commas separate keys in the attribute; a mapping name may hold anything. */
  private static String sanitize(String name) {
    return name.replace(',', ';');
  }
}
