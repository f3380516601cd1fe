package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

/**
 * One syntactic comparison of a filter, before any entity-specific validation.
 *
 * @param entity the prefix before the first dot ({@code metrics}, {@code tags}, ...) with
 *     backticks removed, or null when the identifier had no prefix (an attribute, as in MLflow)
 * @param key the key after the prefix, unquoted
 * @param comparator upper-cased: {@code =, !=, <, LIKE, IN, NOT IN, IS NULL, ...} (possibly one
 *     that is invalid for the entity; the compiler rejects it with MLflow's message)
 * @param identifier the identifier as written, for messages
 */
record Clause(String entity, String key, String comparator, Value value, String identifier) {
  Clause {
    requireNonNull(key);
    requireNonNull(comparator);
    requireNonNull(value);
    requireNonNull(identifier);
  }
}
