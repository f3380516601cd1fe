package io.atrium.tracking.search;

import io.atrium.common.MlflowError;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.StringJoiner;

/**
 * SQL fragments shared by the run and experiment compilers. Column names passed in are always
 * compile-time constants; values always go through {@link SqlParams}.
 */
final class Sql {
  static final List<String> NULL_CHECKS = List.of("IS NULL", "IS NOT NULL");

  private Sql() {}

  /**
   * {@code column <comparator> value} for string columns. LIKE is case-sensitive and passes the
   * pattern through untouched ({@code %}, {@code _}, and backslash escapes mean what they mean in
   * SQL on both H2 and PostgreSQL). ILIKE is spelled {@code LOWER(a) LIKE LOWER(b)} because H2's
   * and PostgreSQL's native ILIKE are not a shared dialect.
   */
  static String stringComparison(String column, String comparator, Value value, SqlParams params) {
    return switch (comparator) {
      case "=" -> column + " = " + params.bind(string(value));
      case "!=" -> column + " <> " + params.bind(string(value));
      case "LIKE" -> column + " LIKE " + params.bind(string(value));
      case "ILIKE" -> "LOWER(" + column + ") LIKE LOWER(" + params.bind(string(value)) + ")";
      case "IN" -> column + " IN (" + bindAll(value, params) + ")";
      case "NOT IN" -> column + " NOT IN (" + bindAll(value, params) + ")";
      default -> throw new IllegalStateException("unvalidated comparator " + comparator);
    };
  }

  /**
   * How much of a param value PostgreSQL indexes (params_key_value_prefix_ix, postgresql/V8): a whole
   * value may be longer than a B-tree entry can hold.
   */
  static final int INDEXED_PREFIX = 200;

  /**
   * {@code column = value} in the form the prefix index serves: a value shorter than the prefix
   * equals the column exactly when it equals the column's prefix; a longer one needs both tests.
   */
  static String prefixedEquality(String column, String value, SqlParams params) {
    String prefix = "LEFT(" + column + ", " + INDEXED_PREFIX + ")";
    String bound = params.bind(value);
    if (value.length() < INDEXED_PREFIX) {
      return prefix + " = " + bound;
    }
    return prefix + " = LEFT(" + bound + ", " + INDEXED_PREFIX + ") AND " + column + " = " + bound;
  }

  /** {@code column <comparator> :p} for numeric comparators already validated by the caller. */
  static String numericComparison(String column, String comparator, Object bound, SqlParams params) {
    String op =
        switch (comparator) {
          case "=", "<", "<=", ">", ">=" -> comparator;
          case "!=" -> "<>";
          default -> throw new IllegalStateException("unvalidated comparator " + comparator);
        };
    return column + " " + op + " " + params.bind(bound);
  }

  private static String string(Value value) {
    if (value instanceof Value.Str s) {
      return s.value();
    }
    throw new IllegalStateException("unvalidated value " + value);
  }

  private static String bindAll(Value value, SqlParams params) {
    if (!(value instanceof Value.StrList list)) {
      throw new IllegalStateException("unvalidated value " + value);
    }
    StringJoiner j = new StringJoiner(", ");
    for (String v : list.values()) {
      j.add(params.bind(v));
    }
    return j.toString();
  }

  /** Checks that a value fits its comparator: a list for IN / NOT IN, a scalar otherwise. */
  static void requireShapeFor(String comparator, Value value, String scalarMessage) {
    boolean listComparator = comparator.equals("IN") || comparator.equals("NOT IN");
    if (listComparator && !(value instanceof Value.StrList)) {
      throw MlflowError.invalid(
          "Expected a parenthesized list of quoted string values for '"
              + comparator
              + "'. Got value "
              + value.raw());
    }
    if (!listComparator && value instanceof Value.StrList) {
      throw MlflowError.invalid(scalarMessage);
    }
  }

  /** Renders like Python's set repr, since MLflow's messages print its sets: {'a', 'b'}. */
  static String pySet(Collection<String> items) {
    StringJoiner j = new StringJoiner(", ", "{", "}");
    for (String s : items) {
      j.add("'" + s + "'");
    }
    return j.toString();
  }

  /** Renders like Python's list repr: ['a', 'b']. */
  static String pyList(Collection<String> items) {
    StringJoiner j = new StringJoiner(", ", "[", "]");
    for (String s : items) {
      j.add("'" + s + "'");
    }
    return j.toString();
  }

  static List<String> plus(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return List.copyOf(out);
  }

  static void checkComparator(String comparator, List<String> allowed) {
    if (!allowed.contains(comparator)) {
      throw MlflowError.invalid(
          "Invalid comparator '" + comparator + "' not one of '" + pySet(allowed) + "'");
    }
  }

  static void checkPaging(int offset, int limit) {
    if (offset < 0) {
      throw MlflowError.invalid("Invalid page offset " + offset + ": must be non-negative");
    }
    if (limit < 0) {
      throw MlflowError.invalid("Invalid max_results " + limit + ": must be non-negative");
    }
  }
}
