package io.atrium.tracking.search;

import io.atrium.common.MlflowError;
import java.util.LinkedHashMap;
import java.util.Map;

/** Hands out unique placeholder names and collects the values bound to them. */
final class SqlParams {
  /**
   * A cap well under PostgreSQL's 32767 bind parameters per statement, so an enormous IN list is
   * a client error rather than a driver failure.
   */
  static final int MAX_PARAMS = 10_000;

  private final Map<String, Object> values = new LinkedHashMap<>();
  private int next;

  /** Binds {@code value} under a fresh name {@code p<n>} and returns the placeholder {@code :p<n>}. */
  String bind(Object value) {
    return named("p" + next++, value);
  }

  /** Binds under a caller-chosen (constant, never user-derived) name and returns the placeholder. */
  String named(String name, Object value) {
    if (values.containsKey(name)) {
      throw new IllegalStateException("duplicate parameter " + name);
    }
    if (values.size() >= MAX_PARAMS) {
      throw MlflowError.invalid("Search query is too large: more than " + MAX_PARAMS + " values");
    }
    values.put(name, value);
    return ":" + name;
  }

  Map<String, Object> values() {
    return values;
  }
}
