package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.util.List;

/** The right-hand side of a filter comparison, as written. {@code raw} is kept for messages. */
sealed interface Value {
  String raw();

  /** A quoted string. */
  record Str(String value, String raw) implements Value {
    public Str {
      requireNonNull(value);
      requireNonNull(raw);
    }
  }

  /** A numeric literal (integer, decimal or scientific). */
  record Num(BigDecimal value, String raw) implements Value {
    public Num {
      requireNonNull(value);
      requireNonNull(raw);
    }

    /**
     * The value to bind against a BIGINT column: a Long when integral (so PostgreSQL compares
     * bigint to bigint), a Double otherwise.
     */
    Object forIntegerColumn() {
      BigDecimal v = value.stripTrailingZeros();
      if (v.scale() <= 0) {
        try {
          return v.longValueExact();
        } catch (ArithmeticException tooBig) {
          return v.doubleValue();
        }
      }
      return v.doubleValue();
    }
  }

  /** A parenthesized, non-empty list of quoted strings (for IN / NOT IN). */
  record StrList(List<String> values, String raw) implements Value {
    public StrList {
      values = List.copyOf(values);
      requireNonNull(raw);
    }
  }

  /** No value: the comparator was IS NULL / IS NOT NULL. */
  record None() implements Value {
    @Override
    public String raw() {
      return "";
    }
  }
}
