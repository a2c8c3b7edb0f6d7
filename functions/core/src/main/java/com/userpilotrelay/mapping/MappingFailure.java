package com.userpilotrelay.mapping;

/**
 * One event cannot become a valid request through one mapping (a createdAt that is no date, a
 * required id that is blank, a string {@code @json} cannot decode). Permanent for that event, so it
 * ends as a {@link MappedRequest#error()} and the event is dead-lettered; never thrown out of
 * {@link Mappings#map}.
 */
final class MappingFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String where;
  private final String problem;

  /** @param where the field (and directive) that failed, or null to be filled in by the caller */
  MappingFailure(String where, String problem) {
    super(where == null ? problem : where + ": " + problem, null, false, false);
    this.where = where;
    this.problem = problem;
  }

  String where() {
    return where;
  }

  String problem() {
    return problem;
  }

  MappingFailure at(String field) {
    return where != null ? this : new MappingFailure(field, problem);
  }
}
