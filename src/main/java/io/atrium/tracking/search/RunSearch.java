package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles an MLflow SearchRuns request (filter string, order_by list, view type, page) into one
 * parameterized SQL query over the V1 schema that runs unchanged on H2 and PostgreSQL.
 *
 * <p>Semantics follow MLflow's SQLAlchemy store ({@code mlflow/store/tracking/sqlalchemy_store.py}
 * and {@code mlflow/utils/search_utils.py}):
 *
 * <ul>
 *   <li>Clauses are AND-ed; a metric/param/tag clause matches only runs that have the key, so
 *       {@code params.x != 'a'} does not match runs without {@code x}. {@code IS NULL} / {@code IS
 *       NOT NULL} (an Atrium addition) test for absence/presence of the key.
 *   <li>Metrics compare the latest value. A NaN latest value behaves as a float NaN does in
 *       MLflow's client-side filter: it matches only {@code !=}.
 *   <li>Ordering puts runs lacking the key last whatever the direction and, for metrics, NaN after
 *       every number; then MLflow's default {@code start_time DESC} (unless already ordered by
 *       start time) and {@code run_uuid ASC} as the tie-breaker, so pagination is stable.
 * </ul>
 */
public final class RunSearch {
  private enum Type {
    METRIC,
    PARAM,
    TAG,
    ATTRIBUTE,
    DATASET
  }

  private static final List<String> IDENTIFIERS =
      List.of("metric", "parameter", "tag", "attribute", "dataset");

  private static final List<String> METRIC_COMPARATORS = List.of(">", ">=", "!=", "=", "<", "<=");
  private static final List<String> PARAM_COMPARATORS = List.of("!=", "=", "LIKE", "ILIKE");
  private static final List<String> STRING_ATTRIBUTE_COMPARATORS =
      List.of("!=", "=", "LIKE", "ILIKE", "IN", "NOT IN");
  private static final List<String> DATASET_COMPARATORS = STRING_ATTRIBUTE_COMPARATORS;

  private static final List<String> SEARCHABLE_ATTRIBUTES =
      List.of(
          "artifact_uri", "end_time", "run_id", "run_name", "start_time", "status", "user_id",
          "created", "Created", "run name", "Run name", "Run Name");
  private static final List<String> ORDERABLE_ATTRIBUTES =
      List.of(
          "artifact_uri", "end_time", "run_id", "run_name", "start_time", "status", "user_id",
          "created", "Created");
  private static final Set<String> NUMERIC_ATTRIBUTES = Set.of("start_time", "end_time");
  private static final List<String> DATASET_KEYS = List.of("name", "digest", "context");

  /** MLflow's input tag holding a dataset's role for the run (training, eval, ...). */
  static final String DATASET_CONTEXT_TAG = "mlflow.data.context";

  /** Attribute (canonical name) to column; the only attribute names that reach SQL text. */
  private static final Map<String, String> ATTRIBUTE_COLUMNS =
      Map.of(
          "run_id", "r.run_uuid",
          "run_name", "r.name",
          "status", "r.status",
          "user_id", "r.user_id",
          "artifact_uri", "r.artifact_uri",
          "start_time", "r.start_time",
          "end_time", "r.end_time");

  private RunSearch() {}

  /**
   * {@code SELECT r.run_uuid FROM runs r <a JOIN per metric/param/tag clause> <a LEFT JOIN per
   * metric/param/tag order_by> WHERE r.tenant_id = :tenant AND r.experiment_id IN (...) AND
   * <lifecycle per view> AND <other clauses> ORDER BY <order_by..., then default> LIMIT :limit
   * OFFSET :offset}. An empty experiment list matches nothing.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for a bad filter, order_by or page
   */
  public static SqlQuery compile(
      long tenantId,
      List<Long> experimentIds,
      String filter,
      List<String> orderBy,
      ViewType view,
      int offset,
      int limit) {
    return plan(tenantId, experimentIds, filter, orderBy, view, offset, limit).full();
  }

  /**
   * A search as the store runs it: the {@link #compile full query}, and when the only order key is
   * a metric, the {@link TopK} route that finds the same page from the metric's index.
   */
  public record Plan(SqlQuery full, Optional<TopK> topK) {
    /**
     * Runs the plan with the caller's statements: {@code count} for a count, {@code candidates} for
     * the route's rows, {@code ids} for run ids. By the metric's index when the experiments are big
     * enough for it to pay and the page lies within the runs that have a number for the metric,
     * else by the full query.
     */
    public List<String> page(Function<SqlQuery, List<String>> ids, ToLongFunction<SqlQuery> count,
        Function<SqlQuery, List<TopK.Candidate>> candidates) {
      if (topK.isPresent() && count.applyAsLong(topK.get().sizeProbe()) >= topK.get().minRuns()) {
        Optional<List<String>> page = topK.get().page(candidates.apply(topK.get().candidates()));
        if (page.isPresent()) {
          return page.get();
        }
      }
      return ids.apply(full);
    }
  }

  /**
   * The page of a search ordered by one metric, found without ordering every run of the
   * experiments. {@link #candidates} walks the index on {@code latest_metrics (tenant_id,
   * metric_key, metric_value)} in the order asked for, through the runs that pass the filter, and
   * stops after the {@link #rows}-th (offset + limit) of them and every run tied with it on the
   * value ({@code FETCH FIRST n ROWS WITH TIES}): at most that many index entries plus the filter's
   * misses are read, where the full query joins and sorts every run of the experiments (at 100,000
   * runs on H2, 500,000 lookups and 4-6 s). {@link #page} orders those runs as the full query does
   * (the value, then start time, latest first and missing last, then run id) and cuts the page:
   * every run outside them has a strictly worse value, so the first {@code rows} runs of the full
   * order are all among them. The ordering happens here rather than in a second statement because
   * H2 does not look a list of ids up by the second column of the runs' primary key; run ids are
   * 32 lowercase hex digits, which order the same in Java as under either database's collation.
   *
   * <p>The route reads the metric's index for the whole tenant, so it pays only when the searched
   * experiments hold many runs: {@link #sizeProbe} counts their runs up to {@link #minRuns} (ten
   * times {@code rows}, at least {@link #MIN_RUNS}), and below that the full query runs, as cheap
   * there as the route would be and not exposed to a tenant whose other experiments dwarf these.
   * The full query also answers when fewer than {@code rows} runs have a number for the metric (the
   * page reaches NaN or runs without it), and for pages deeper than {@link #MAX_ROWS}.
   */
  public record TopK(SqlQuery sizeProbe, int minRuns, SqlQuery candidates, boolean ascending, int offset, int limit) {
    /** Deepest offset + limit the route serves. */
    public static final int MAX_ROWS = 5_000;
    /** Fewest runs in the searched experiments for the route, whatever the page. */
    public static final int MIN_RUNS = 1_000;

    /** A run the index walk passed: its id, the metric's value and its start time (may be null). */
    public record Candidate(String runId, double value, Long startTime) {
      /** The current row of {@link #candidates}' result. */
      public static Candidate read(ResultSet rs) throws SQLException {
        long start = rs.getLong(3);
        Long startTime = rs.wasNull() ? null : start; // before any other column is read
        return new Candidate(rs.getString(1), rs.getDouble(2), startTime);
      }
    }

    public int rows() {
      return offset + limit;
    }

    /** The page among {@code found}, or empty when they do not hold it (fewer than {@link #rows}). */
    public Optional<List<String>> page(List<Candidate> found) {
      if (found.size() < rows()) {
        return Optional.empty();
      }
      // == first: SQL holds -0.0 and 0.0 equal (a tie for start time to break), Double.compare does not.
      Comparator<Candidate> byValue = (a, b) -> a.value() == b.value() ? 0 : Double.compare(a.value(), b.value());
      List<Candidate> sorted = new ArrayList<>(found);
      sorted.sort((ascending ? byValue : byValue.reversed())
          .thenComparing(Candidate::startTime, Comparator.nullsLast(Comparator.<Long>reverseOrder()))
          .thenComparing(Candidate::runId));
      List<String> page = new ArrayList<>(limit);
      for (Candidate c : sorted.subList(offset, rows())) {
        page.add(c.runId());
      }
      return Optional.of(page);
    }
  }

  /** Same as {@link #compile}, with the metric-ordered route when it applies. */
  public static Plan plan(
      long tenantId,
      List<Long> experimentIds,
      String filter,
      List<String> orderBy,
      ViewType view,
      int offset,
      int limit) {
    requireNonNull(experimentIds);
    requireNonNull(view);
    Sql.checkPaging(offset, limit);
    List<Clause> clauses = FilterParser.parse(filter);
    List<OrderBy> orders = new ArrayList<>();
    for (String o : orderBy == null ? List.<String>of() : orderBy) {
      orders.add(OrderBy.parse(requireNonNull(o)));
    }

    SqlParams params = new SqlParams();
    params.named("tenant", tenantId);

    List<String> where = new ArrayList<>();
    where.add("r.tenant_id = :tenant");
    String experimentsIn = null;
    if (experimentIds.isEmpty()) {
      where.add("1 = 0");
    } else {
      StringJoiner ids = new StringJoiner(", ", "r.experiment_id IN (", ")");
      for (int k = 0; k < experimentIds.size(); k++) {
        ids.add(params.named("e" + k, requireNonNull(experimentIds.get(k))));
      }
      experimentsIn = ids.toString();
      where.add(experimentsIn);
    }
    where.add(view.lifecyclePredicate("r"));
    List<String> joins = new ArrayList<>();
    for (Clause c : clauses) {
      String p = predicate(c, params, joins);
      if (p != null) {
        where.add(p);
      }
    }

    int filterJoins = joins.size();
    List<String> orderTerms = new ArrayList<>();
    String firstMetricKey = orderTerms(orders, params, joins, orderTerms);
    String limitParam = params.named("limit", limit);
    String offsetParam = params.named("offset", offset);
    String whereText = String.join(" AND ", where);
    String pageTail = " ORDER BY " + String.join(", ", orderTerms) + " LIMIT " + limitParam + " OFFSET " + offsetParam;

    StringBuilder sql = new StringBuilder("SELECT r.run_uuid FROM runs r");
    for (String j : joins) {
      sql.append(' ').append(j);
    }
    sql.append(" WHERE ").append(whereText).append(pageTail);
    SqlQuery full = new SqlQuery(sql.toString(), params.values());
    // The metric-ordered route: o0 (the order key's join) drives, as an inner join.
    if (firstMetricKey == null || orders.size() > 1 || experimentIds.isEmpty() || offset + limit > TopK.MAX_ROWS) {
      return new Plan(full, Optional.empty());
    }
    int minRuns = Math.max(TopK.MIN_RUNS, 10 * (offset + limit));
    String probe = "SELECT COUNT(*) FROM (SELECT 1 AS one FROM runs r WHERE r.tenant_id = :tenant AND "
        + experimentsIn + " AND " + view.lifecyclePredicate("r") + " FETCH FIRST (" + params.named("probe", minRuns)
        + ") ROWS ONLY) probe";
    String dir = orders.get(0).direction();
    StringBuilder candidates = new StringBuilder("SELECT r.run_uuid, o0.metric_value, r.start_time"
        + " FROM latest_metrics o0 JOIN runs r ON r.tenant_id = :tenant AND r.run_uuid = o0.run_uuid");
    for (String j : joins.subList(0, filterJoins)) {
      candidates.append(' ').append(j);
    }
    // All three index columns in the ORDER BY: H2 reads an index in order (and backwards) only
    // when the ORDER BY names its columns from the first; PostgreSQL drops the constant ones.
    candidates.append(" WHERE o0.tenant_id = :tenant AND o0.metric_key = ").append(firstMetricKey)
        .append(" AND o0.is_nan = FALSE AND ").append(whereText)
        .append(" ORDER BY o0.tenant_id ").append(dir).append(", o0.metric_key ").append(dir)
        .append(", o0.metric_value ").append(dir)
        .append(" FETCH FIRST (").append(params.named("rows", offset + limit)).append(") ROWS WITH TIES");
    String c = candidates.toString();
    return new Plan(full, Optional.of(new TopK(new SqlQuery(probe, used(probe, params.values())), minRuns,
        new SqlQuery(c, used(c, params.values())), orders.get(0).ascending(), offset, limit)));
  }

  private static final Pattern PLACEHOLDER = Pattern.compile(":(\\w+)");

  /** The parameters that {@code sql} names: Jdbi refuses bindings a statement does not use. */
  private static Map<String, Object> used(String sql, Map<String, Object> all) {
    Set<String> names = new HashSet<>();
    Matcher m = PLACEHOLDER.matcher(sql);
    while (m.find()) {
      names.add(m.group(1));
    }
    Map<String, Object> p = new LinkedHashMap<>();
    all.forEach((k, v) -> {
      if (names.contains(k)) {
        p.put(k, v);
      }
    });
    return p;
  }

  private static Type type(String entity) {
    if (entity == null) {
      return Type.ATTRIBUTE;
    }
    return switch (entity) {
      case "metric", "metrics" -> Type.METRIC;
      case "parameter", "parameters", "param", "params" -> Type.PARAM;
      case "tag", "tags" -> Type.TAG;
      case "attribute", "attr", "attributes", "run" -> Type.ATTRIBUTE;
      case "dataset", "datasets" -> Type.DATASET;
      default ->
          throw MlflowError.invalid(
              "Invalid entity type '" + entity + "'. Valid values are " + Sql.pyList(IDENTIFIERS));
    };
  }

  /** MLflow's aliases: created is start_time, "run name" is run_name. */
  private static String canonicalAttribute(String key) {
    return switch (key) {
      case "created", "Created" -> "start_time";
      case "run name", "Run name", "Run Name" -> "run_name";
      default -> key;
    };
  }

  /**
   * The WHERE term for clause {@code c}, or null when the clause became an inner join (added to
   * {@code joins}) instead.
   */
  private static String predicate(Clause c, SqlParams params, List<String> joins) {
    Type type = type(c.entity());
    String cmp = c.comparator();
    Value v = c.value();
    return switch (type) {
      case METRIC -> metricPredicate(c, params, joins);
      case PARAM ->
          keyValuePredicate(
              c, params, joins, "parameter", "params", "param_key", "param_value", false);
      case TAG ->
          keyValuePredicate(c, params, joins, "tag", "tags", "tag_key", "tag_value", true);
      case ATTRIBUTE -> attributePredicate(c, params);
      case DATASET -> {
        if (!DATASET_KEYS.contains(c.key())) {
          throw MlflowError.invalid(
              "Invalid dataset key '"
                  + c.key()
                  + "' specified. Valid keys are '"
                  + Sql.pySet(DATASET_KEYS)
                  + "'");
        }
        Sql.checkComparator(cmp, DATASET_COMPARATORS);
        requireString(
            v, cmp, "Expected a quoted string value for dataset attributes. Got value " + v.raw());
        yield datasetPredicate(c.key(), cmp, v, params);
      }
    };
  }

  /** Scalar string for =, LIKE...; list of strings for IN / NOT IN. */
  private static void requireString(Value v, String cmp, String message) {
    if (v instanceof Value.Num) {
      throw MlflowError.invalid(message);
    }
    Sql.requireShapeFor(cmp, v, message);
  }

  /**
   * A metric, param or tag clause that needs the key present becomes {@code JOIN <table> f<n> ON
   * f<n>.tenant_id = :tenant AND f<n>.run_uuid = r.run_uuid AND f<n>.<key column> = :key AND
   * <value test>}: the key is the rest of the table's primary key, so the join matches at most one
   * row per run and means exactly what {@code EXISTS} would, while the database may start from
   * whichever side is smaller and look the other up by primary key (a correlated EXISTS is probed
   * once per run on H2). Only absence ({@code IS NULL}) stays a {@code NOT EXISTS}.
   */
  private static String metricPredicate(Clause c, SqlParams params, List<String> joins) {
    String cmp = c.comparator();
    Sql.checkComparator(cmp, Sql.plus(METRIC_COMPARATORS, Sql.NULL_CHECKS));
    if (cmp.equals("IS NULL")) {
      return "NOT EXISTS (SELECT 1 FROM latest_metrics lm WHERE lm.tenant_id = :tenant"
          + " AND lm.run_uuid = r.run_uuid AND lm.metric_key = " + params.bind(c.key()) + ")";
    }
    String a = "f" + joins.size();
    String on = "JOIN latest_metrics " + a + " ON " + a + ".tenant_id = :tenant AND " + a
        + ".run_uuid = r.run_uuid AND " + a + ".metric_key = ";
    if (cmp.equals("IS NOT NULL")) {
      joins.add(on + params.bind(c.key()));
      return null;
    }
    if (!(c.value() instanceof Value.Num n)) {
      throw MlflowError.invalid(
          "Expected numeric value type for metric. Found " + c.value().raw());
    }
    double d = n.value().doubleValue();
    // The key is bound before the value, so placeholders number in reading order.
    String key = params.bind(c.key());
    String test;
    if (cmp.equals("!=")) {
      // NaN differs from every number, so a NaN latest value satisfies != and nothing else.
      test = "(" + a + ".is_nan = TRUE OR "
          + Sql.numericComparison(a + ".metric_value", cmp, d, params) + ")";
    } else {
      test = a + ".is_nan = FALSE AND "
          + Sql.numericComparison(a + ".metric_value", cmp, d, params);
    }
    joins.add(on + key + " AND " + test);
    return null;
  }

  private static String keyValuePredicate(
      Clause c,
      SqlParams params,
      List<String> joins,
      String typeName,
      String table,
      String keyColumn,
      String valueColumn,
      boolean nullableValue) {
    String cmp = c.comparator();
    Sql.checkComparator(cmp, Sql.plus(PARAM_COMPARATORS, Sql.NULL_CHECKS));
    String a = "f" + joins.size();
    String on = "JOIN " + table + " " + a + " ON " + a + ".tenant_id = :tenant AND " + a
        + ".run_uuid = r.run_uuid AND " + a + "." + keyColumn + " = ";
    if (cmp.equals("IS NULL")) {
      // A tag stored with a NULL value counts as absent: it has no value to show.
      return "NOT EXISTS (SELECT 1 FROM " + table + " kv WHERE kv.tenant_id = :tenant"
          + " AND kv.run_uuid = r.run_uuid AND kv." + keyColumn + " = " + params.bind(c.key())
          + (nullableValue ? " AND kv." + valueColumn + " IS NOT NULL" : "") + ")";
    }
    if (cmp.equals("IS NOT NULL")) {
      joins.add(on + params.bind(c.key())
          + (nullableValue ? " AND " + a + "." + valueColumn + " IS NOT NULL" : ""));
      return null;
    }
    if (!(c.value() instanceof Value.Str)) {
      throw MlflowError.invalid(
          "Expected a quoted string value for "
              + typeName
              + " (e.g. 'my-value'). Got value "
              + c.value().raw());
    }
    String key = params.bind(c.key());
    String column = a + "." + valueColumn;
    String test = table.equals("params") && cmp.equals("=") && c.value() instanceof Value.Str s
        ? Sql.prefixedEquality(column, s.value(), params)
        : Sql.stringComparison(column, cmp, c.value(), params);
    joins.add(on + key + " AND " + test);
    return null;
  }

  private static void checkSearchableAttribute(String key, List<String> valid) {
    if (!valid.contains(key)) {
      throw MlflowError.invalid(
          "Invalid attribute key '" + key + "' specified. Valid keys are '" + Sql.pySet(valid) + "'");
    }
  }

  private static String attributePredicate(Clause c, SqlParams params) {
    checkSearchableAttribute(c.key(), SEARCHABLE_ATTRIBUTES);
    String key = canonicalAttribute(c.key());
    String column = ATTRIBUTE_COLUMNS.get(key);
    String cmp = c.comparator();
    Value v = c.value();
    if (NUMERIC_ATTRIBUTES.contains(key)) {
      Sql.checkComparator(cmp, Sql.plus(METRIC_COMPARATORS, Sql.NULL_CHECKS));
      if (cmp.equals("IS NULL") || cmp.equals("IS NOT NULL")) {
        return column + " " + cmp;
      }
      if (!(v instanceof Value.Num n)) {
        throw MlflowError.invalid(
            "Expected numeric value type for numeric attribute: "
                + c.key()
                + ". Found "
                + v.raw());
      }
      return Sql.numericComparison(column, cmp, n.forIntegerColumn(), params);
    }
    Sql.checkComparator(cmp, Sql.plus(STRING_ATTRIBUTE_COMPARATORS, Sql.NULL_CHECKS));
    if (cmp.equals("IS NULL") || cmp.equals("IS NOT NULL")) {
      return column + " " + cmp;
    }
    if (v instanceof Value.Num) {
      throw MlflowError.invalid(
          "Expected a quoted string value for attributes. Got value " + v.raw());
    }
    if ((v instanceof Value.StrList || cmp.equals("IN") || cmp.equals("NOT IN"))
        && !key.equals("run_id")) {
      throw MlflowError.invalid(
          "Only the 'run_id' attribute supports comparison with a list of quoted string values.");
    }
    Sql.requireShapeFor(
        cmp, v, "Expected a quoted string value for attributes. Got value " + v.raw());
    return Sql.stringComparison(column, cmp, v, params);
  }

  private static String datasetPredicate(String key, String cmp, Value v, SqlParams params) {
    StringBuilder sb =
        new StringBuilder(
            "EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.tenant_id = i.tenant_id"
                + " AND d.dataset_uuid = i.source_id");
    String column;
    if (key.equals("context")) {
      sb.append(
              " JOIN input_tags it ON it.tenant_id = i.tenant_id AND it.input_uuid = i.input_uuid"
                  + " AND it.name = ")
          .append(params.bind(DATASET_CONTEXT_TAG));
      column = "it.tag_value";
    } else {
      column = key.equals("name") ? "d.name" : "d.digest";
    }
    sb.append(
        " WHERE i.tenant_id = :tenant AND i.source_type = 'DATASET'"
            + " AND i.destination_type = 'RUN' AND i.destination_id = r.run_uuid AND ");
    sb.append(Sql.stringComparison(column, cmp, v, params)).append(')');
    return sb.toString();
  }

  /**
   * Adds the order_by joins and terms; returns the placeholder of the first key when it is a metric
   * (its join is then {@code o0}), else null.
   */
  private static String orderTerms(
      List<OrderBy> orders, SqlParams params, List<String> joins, List<String> terms) {
    String firstMetricKey = null;
    Set<String> seen = new HashSet<>();
    boolean startTimeOrdered = false;
    int n = 0;
    for (OrderBy o : orders) {
      Type type = type(o.entity());
      String dir = o.direction();
      String dedupeKey;
      switch (type) {
        case ATTRIBUTE -> {
          checkSearchableAttribute(o.key(), ORDERABLE_ATTRIBUTES);
          String key = canonicalAttribute(o.key());
          String column = ATTRIBUTE_COLUMNS.get(key);
          startTimeOrdered |= key.equals("start_time");
          dedupeKey = "attribute\0" + key;
          // NULLs last in both directions, spelled out because H2 and PostgreSQL default
          // differently.
          terms.add("CASE WHEN " + column + " IS NULL THEN 1 ELSE 0 END");
          terms.add(column + " " + dir);
        }
        case METRIC -> {
          String a = "o" + n++;
          String key = params.bind(o.key());
          if (o == orders.get(0)) {
            firstMetricKey = key; // and a is o0
          }
          joins.add(
              "LEFT JOIN latest_metrics "
                  + a
                  + " ON "
                  + a
                  + ".tenant_id = :tenant AND "
                  + a
                  + ".run_uuid = r.run_uuid AND "
                  + a
                  + ".metric_key = "
                  + key);
          dedupeKey = "metric\0" + o.key();
          // MLflow: numbers first, then NaN, then runs without the metric, in either direction.
          terms.add(
              "CASE WHEN " + a + ".is_nan = TRUE THEN 1 WHEN " + a
                  + ".run_uuid IS NULL THEN 2 ELSE 0 END");
          terms.add(a + ".metric_value " + dir);
        }
        case PARAM, TAG -> {
          String a = "o" + n++;
          boolean param = type == Type.PARAM;
          String table = param ? "params" : "tags";
          String keyColumn = param ? "param_key" : "tag_key";
          String valueColumn = a + (param ? ".param_value" : ".tag_value");
          joins.add(
              "LEFT JOIN "
                  + table
                  + " "
                  + a
                  + " ON "
                  + a
                  + ".tenant_id = :tenant AND "
                  + a
                  + ".run_uuid = r.run_uuid AND "
                  + a
                  + "."
                  + keyColumn
                  + " = "
                  + params.bind(o.key()));
          dedupeKey = (param ? "parameter\0" : "tag\0") + o.key();
          terms.add("CASE WHEN " + valueColumn + " IS NULL THEN 1 ELSE 0 END");
          terms.add(valueColumn + " " + dir);
        }
        default ->
            throw MlflowError.invalid(
                "Invalid identifier type '" + (o.entity() == null ? "" : o.entity()) + "'");
      }
      if (!seen.add(dedupeKey)) {
        List<String> texts = new ArrayList<>();
        for (OrderBy x : orders) {
          texts.add(x.text());
        }
        throw MlflowError.invalid("`order_by` contains duplicate fields: " + Sql.pyList(texts));
      }
    }
    if (!startTimeOrdered) {
      terms.add("CASE WHEN r.start_time IS NULL THEN 1 ELSE 0 END");
      terms.add("r.start_time DESC");
    }
    terms.add("r.run_uuid ASC");
    return firstMetricKey;
  }
}
