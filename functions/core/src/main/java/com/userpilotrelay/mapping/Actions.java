package com.userpilotrelay.mapping;

import java.util.List;
import java.util.Optional;

/** The actions a mapping can use, in preset order. */
final class Actions {
  static final List<Action> ALL =
      List.of(new IdentifyUser(), new IdentifyCompany(), new TrackEvent(), new DeleteUser());

  private Actions() {}

  static Optional<Action> byKey(String key) {
    return ALL.stream().filter(a -> a.key().equals(key)).findFirst();
  }

  static List<String> keys() {
    return ALL.stream().map(Action::key).toList();
  }
}
