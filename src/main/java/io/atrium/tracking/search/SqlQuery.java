package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A compiled search: SQL text with {@code :name} placeholders and the values to bind to them. The
 * SQL holds only whitelisted column names and keywords; every user-supplied key and value lives in
 * {@link #params()}, so callers must bind (e.g. Jdbi {@code bindMap}) and never interpolate.
 */
public record SqlQuery(String sql, Map<String, Object> params) {
  public SqlQuery {
    requireNonNull(sql);
    // Insertion order kept so the SQL and its parameters read in the same order when debugging.
    params = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(params)));
  }
}
