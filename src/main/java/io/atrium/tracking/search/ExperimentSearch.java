package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles an MLflow SearchExperiments request into one parameterized SQL query. Follows MLflow's
 * {@code SearchExperimentsUtils} and SQLAlchemy store: attributes {@code name} (string) and
 * {@code creation_time} / {@code last_update_time} (numeric); {@code tags.<key>}; order_by on
 * attributes only, defaulting to {@code creation_time DESC, experiment_id ASC}, with {@code
 * experiment_id DESC} appended as tie-breaker when the caller's list lacks it.
 */
public final class ExperimentSearch {
  private static final List<String> ENTITY_TYPES = List.of("attribute", "tag", "tags");
  private static final List<String> SEARCHABLE_ATTRIBUTES =
      List.of("name", "creation_time", "last_update_time");
  private static final List<String> ORDERABLE_ATTRIBUTES =
      List.of("name", "experiment_id", "creation_time", "last_update_time");
  private static final Set<String> NUMERIC_ATTRIBUTES = Set.of("creation_time", "last_update_time");
  private static final List<String> STRING_COMPARATORS = List.of("=", "!=", "LIKE", "ILIKE");
  private static final List<String> NUMERIC_COMPARATORS = List.of("=", "!=", "<", "<=", ">", ">=");

  /** The only attribute names that reach SQL text. */
  private static final Map<String, String> COLUMNS =
      Map.of(
          "name", "e.name",
          "experiment_id", "e.experiment_id",
          "creation_time", "e.creation_time",
          "last_update_time", "e.last_update_time");

  private ExperimentSearch() {}

  /**
   * {@code SELECT e.experiment_id FROM experiments e WHERE e.tenant_id = :tenant AND <lifecycle
   * per view> AND <filter> ORDER BY ... LIMIT :limit OFFSET :offset}.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for a bad filter, order_by or page
   */
  public static SqlQuery compile(
      long tenantId, String filter, List<String> orderBy, ViewType view, int offset, int limit) {
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
    where.add("e.tenant_id = :tenant");
    where.add(view.lifecyclePredicate("e"));
    for (Clause c : clauses) {
      where.add(predicate(c, params));
    }

    StringBuilder sql = new StringBuilder("SELECT e.experiment_id FROM experiments e WHERE ");
    sql.append(String.join(" AND ", where));
    sql.append(" ORDER BY ").append(String.join(", ", orderTerms(orders)));
    sql.append(" LIMIT ").append(params.named("limit", limit));
    sql.append(" OFFSET ").append(params.named("offset", offset));
    return new SqlQuery(sql.toString(), params.values());
  }

  /** True for a tag, false for an attribute; MLflow accepts only these three prefixes here. */
  private static boolean isTag(String entity) {
    if (entity == null || entity.equals("attribute")) {
      return false;
    }
    if (entity.equals("tag") || entity.equals("tags")) {
      return true;
    }
    throw MlflowError.invalid(
        "Invalid entity type '"
            + entity
            + "'. Valid entity types are ('attribute', 'tag', 'tags')");
  }

  private static void checkAttribute(String key, List<String> valid) {
    if (!valid.contains(key)) {
      throw MlflowError.invalid(
          "Invalid attribute key '" + key + "' specified. Valid keys are '" + Sql.pySet(valid) + "'");
    }
  }

  private static String predicate(Clause c, SqlParams params) {
    String cmp = c.comparator();
    Value v = c.value();
    if (isTag(c.entity())) {
      if (!STRING_COMPARATORS.contains(cmp) && !Sql.NULL_CHECKS.contains(cmp)) {
        throw MlflowError.invalid("Invalid comparator for tag: " + cmp);
      }
      String exists =
          "SELECT 1 FROM experiment_tags et WHERE et.tenant_id = :tenant"
              + " AND et.experiment_id = e.experiment_id AND et.tag_key = "
              + params.bind(c.key());
      if (Sql.NULL_CHECKS.contains(cmp)) {
        String present = exists + " AND et.tag_value IS NOT NULL";
        return (cmp.equals("IS NULL") ? "NOT EXISTS (" : "EXISTS (") + present + ")";
      }
      if (!(v instanceof Value.Str)) {
        throw MlflowError.invalid(
            "Expected a quoted string value for tag (e.g. 'my-value'). Got value " + v.raw());
      }
      return "EXISTS ("
          + exists
          + " AND "
          + Sql.stringComparison("et.tag_value", cmp, v, params)
          + ")";
    }
    checkAttribute(c.key(), SEARCHABLE_ATTRIBUTES);
    String column = COLUMNS.get(c.key());
    if (NUMERIC_ATTRIBUTES.contains(c.key())) {
      if (!NUMERIC_COMPARATORS.contains(cmp)) {
        throw MlflowError.invalid("Invalid comparator for numeric attribute: " + cmp);
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
    if (!STRING_COMPARATORS.contains(cmp)) {
      throw MlflowError.invalid("Invalid comparator for string attribute: " + cmp);
    }
    if (!(v instanceof Value.Str)) {
      throw MlflowError.invalid(
          "Expected a quoted string value for attributes. Got value " + v.raw());
    }
    return Sql.stringComparison(column, cmp, v, params);
  }

  private static List<String> orderTerms(List<OrderBy> orders) {
    List<OrderBy> effective = orders;
    if (effective.isEmpty()) {
      effective =
          List.of(OrderBy.parse("creation_time DESC"), OrderBy.parse("experiment_id ASC"));
    }
    List<String> terms = new ArrayList<>();
    boolean hasId = false;
    for (OrderBy o : effective) {
      if (isTag(o.entity())) {
        throw MlflowError.invalid("Invalid order_by entity: tag");
      }
      checkAttribute(o.key(), ORDERABLE_ATTRIBUTES);
      hasId |= o.key().equals("experiment_id");
      // Every orderable experiment column is NOT NULL, so no NULL-placement term is needed.
      terms.add(COLUMNS.get(o.key()) + " " + o.direction());
    }
    if (!hasId) {
      terms.add("e.experiment_id DESC");
    }
    return terms;
  }
}
