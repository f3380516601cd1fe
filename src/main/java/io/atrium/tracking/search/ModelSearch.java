package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles the registry's and logged models' search requests into parameterized SQL, with the same
 * filter grammar as runs and experiments (AND-ed comparisons only). Follows MLflow's {@code
 * SearchModelUtils}, {@code SearchModelVersionUtils} and the logged-model search of its SQLAlchemy
 * store.
 *
 * <p>A {@link Scope} can restrict a query to one registered model and present its name under a
 * prefix: that is how a grantee tenant searches a model shared with it ({@code shared.acme.churn}),
 * with every name comparison applied to the name the grantee sees.
 */
public final class ModelSearch {
  private static final String PROMPT_TAG = "mlflow.prompt.is_prompt";
  private static final List<String> STRING_COMPARATORS = List.of("=", "!=", "LIKE", "ILIKE");
  private static final List<String> LIST_COMPARATORS = List.of("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN");
  private static final List<String> NUMERIC_COMPARATORS = List.of("=", "!=", "<", "<=", ">", ">=");

  /**
   * Restricts a search to one model of the tenant, shown as {@code namePrefix + name}; {@code
   * versions} (model-version search only) further restricts to those version numbers when not null.
   */
  public record Scope(String namePrefix, String modelName, Set<Integer> versions) {
    public Scope {
      requireNonNull(namePrefix);
      requireNonNull(modelName);
      versions = versions == null ? null : Set.copyOf(versions);
    }
  }

  private ModelSearch() {}

  /** {@code SELECT rm.name FROM registered_models rm WHERE ...}: names in the tenant's own namespace. */
  public static SqlQuery registeredModels(
      long tenantId, Scope scope, String filter, List<String> orderBy, int offset, int limit) {
    Sql.checkPaging(offset, limit);
    List<Clause> clauses = FilterParser.parse(filter);
    SqlParams params = new SqlParams();
    params.named("tenant", tenantId);
    List<String> where = new ArrayList<>();
    where.add("rm.tenant_id = :tenant");
    String nameExpr = "rm.name";
    if (scope != null) {
      where.add("rm.name = " + params.named("scopename", scope.modelName()));
      nameExpr = "CONCAT(" + params.named("nameprefix", scope.namePrefix()) + ", rm.name)";
    }
    for (Clause c : clauses) {
      if (isTag(c.entity())) {
        where.add(tagPredicate(c, params,
            "SELECT 1 FROM registered_model_tags t WHERE t.tenant_id = :tenant AND t.name = rm.name AND t.tag_key = "));
        continue;
      }
      if (!c.key().equals("name")) {
        throw MlflowError.invalid("Invalid attribute key '" + c.key() + "' specified. Valid keys are '{'name'}'");
      }
      where.add(stringPredicate(nameExpr, c, params, LIST_COMPARATORS));
    }
    List<String> terms = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String o : orderBy == null ? List.<String>of() : orderBy) {
      OrderBy ob = OrderBy.parse(requireNonNull(o));
      String column =
          switch (ob.key()) {
            case "name" -> nameExpr;
            case "timestamp", "creation_timestamp" -> "rm.creation_time";
            case "last_updated_timestamp" -> "rm.last_updated_time";
            default -> throw MlflowError.invalid("Invalid order by key '" + ob.key() + "' specified.Valid keys are "
                + "'{'name', 'creation_timestamp', 'last_updated_timestamp'}'");
          };
      if (ob.entity() != null && !ob.entity().equals("attribute") || !seen.add(column)) {
        throw MlflowError.invalid("`order_by` contains duplicate fields: " + Sql.pyList(orderBy));
      }
      terms.add(column + " " + ob.direction());
    }
    if (!seen.contains(nameExpr)) {
      terms.add(nameExpr + " ASC");
    }
    String sql = "SELECT rm.name FROM registered_models rm WHERE " + String.join(" AND ", where) + " ORDER BY "
        + String.join(", ", terms) + " LIMIT " + params.named("limit", limit) + " OFFSET "
        + params.named("offset", offset);
    return new SqlQuery(sql, params.values());
  }

  /** {@code SELECT mv.name, mv.version FROM model_versions mv WHERE ...}. */
  public static SqlQuery modelVersions(
      long tenantId, Scope scope, String filter, List<String> orderBy, int offset, int limit) {
    Sql.checkPaging(offset, limit);
    List<Clause> clauses = FilterParser.parse(filter);
    SqlParams params = new SqlParams();
    params.named("tenant", tenantId);
    List<String> where = new ArrayList<>();
    where.add("mv.tenant_id = :tenant");
    String nameExpr = "mv.name";
    if (scope != null) {
      where.add("mv.name = " + params.named("scopename", scope.modelName()));
      nameExpr = "CONCAT(" + params.named("nameprefix", scope.namePrefix()) + ", mv.name)";
      if (scope.versions() != null) {
        if (scope.versions().isEmpty()) {
          where.add("1 = 0");
        } else {
          List<String> vs = new ArrayList<>();
          for (Integer v : scope.versions()) {
            vs.add(params.bind(v));
          }
          where.add("mv.version IN (" + String.join(", ", vs) + ")");
        }
      }
    }
    for (Clause c : clauses) {
      if (isTag(c.entity())) {
        where.add(tagPredicate(c, params, "SELECT 1 FROM model_version_tags t WHERE t.tenant_id = :tenant"
            + " AND t.name = mv.name AND t.version = mv.version AND t.tag_key = "));
        continue;
      }
      switch (c.key()) {
        case "name" -> where.add(stringPredicate(nameExpr, c, params, LIST_COMPARATORS));
        // A grantee never sees the owner's run ids, so a run_id filter matches nothing shared.
        case "run_id" -> where.add(scope != null ? "1 = 0" : stringPredicate("mv.run_id", c, params, LIST_COMPARATORS));
        case "source_path" -> where.add(stringPredicate("mv.source", c, params, STRING_COMPARATORS));
        case "version_number" -> {
          Sql.checkComparator(c.comparator(), NUMERIC_COMPARATORS);
          if (!(c.value() instanceof Value.Num n)) {
            throw MlflowError.invalid("Expected numeric value type for numeric attribute: version_number. Found "
                + c.value().raw());
          }
          where.add(Sql.numericComparison("mv.version", c.comparator(), n.forIntegerColumn(), params));
        }
        default -> throw MlflowError.invalid("Invalid attribute key '" + c.key() + "' specified. Valid keys are "
            + "'{'name', 'version_number', 'run_id', 'source_path'}'");
      }
    }
    List<String> terms = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String o : orderBy == null ? List.<String>of() : orderBy) {
      OrderBy ob = OrderBy.parse(requireNonNull(o));
      String column =
          switch (ob.key()) {
            case "name" -> nameExpr;
            case "version_number" -> "mv.version";
            case "timestamp", "creation_timestamp" -> "mv.creation_time";
            case "last_updated_timestamp" -> "mv.last_updated_time";
            default -> throw MlflowError.invalid("Invalid order by key '" + ob.key() + "' specified. Valid keys are "
                + "'{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'");
          };
      if (!seen.add(column)) {
        throw MlflowError.invalid("`order_by` contains duplicate fields: " + Sql.pyList(orderBy));
      }
      terms.add(column + " " + ob.direction());
    }
    if (!seen.contains(nameExpr)) {
      terms.add(nameExpr + " ASC");
    }
    if (!seen.contains("mv.version")) {
      terms.add("mv.version DESC");
    }
    String sql = "SELECT mv.name, mv.version FROM model_versions mv WHERE " + String.join(" AND ", where)
        + " ORDER BY " + String.join(", ", terms) + " LIMIT " + params.named("limit", limit) + " OFFSET "
        + params.named("offset", offset);
    return new SqlQuery(sql, params.values());
  }

  /**
   * One order_by entry of a logged-model search (a structured field there, not a string). For
   * {@code metrics.<name>}, the dataset fields pick which of the model's points count.
   */
  public record LoggedModelOrder(String fieldName, boolean ascending, String datasetName, String datasetDigest) {
    public LoggedModelOrder(String fieldName, boolean ascending) {
      this(fieldName, ascending, null, null);
    }
  }

  /** A {@code datasets} entry of a logged-model search: metrics of that dataset (any digest when null). */
  public record DatasetFilter(String name, String digest) {
    public DatasetFilter {
      requireNonNull(name);
    }
  }

  private static final String MODEL_METRICS =
      "FROM logged_model_metrics mm WHERE mm.tenant_id = :tenant AND mm.model_id = lm.model_id";

  private static final Map<String, String> LOGGED_MODEL_STRINGS =
      Map.of("name", "lm.name", "model_id", "lm.model_id", "status", "lm.status", "model_type", "lm.model_type",
          "source_run_id", "lm.source_run_id");
  private static final Map<String, String> LOGGED_MODEL_NUMBERS =
      Map.of("creation_timestamp", "lm.creation_time", "creation_time", "lm.creation_time",
          "last_updated_timestamp", "lm.last_updated_time");

  /** {@code SELECT lm.model_id FROM logged_models lm WHERE ...}, active models of the given experiments. */
  public static SqlQuery loggedModels(
      long tenantId, List<Long> experimentIds, String filter, List<LoggedModelOrder> orderBy, int offset, int limit) {
    return loggedModels(tenantId, experimentIds, filter, List.of(), orderBy, offset, limit);
  }

  /**
   * As MLflow's SQL store: a {@code metrics.<name>} clause matches a model with any linked point of
   * that name satisfying it (restricted to {@code datasets} when given); {@code datasets} alone keeps
   * models with any point on one of them; ordering by {@code metrics.<name>} uses the model's latest
   * point (greatest timestamp, then step), models without one (or NaN) last.
   */
  public static SqlQuery loggedModels(long tenantId, List<Long> experimentIds, String filter,
      List<DatasetFilter> datasets, List<LoggedModelOrder> orderBy, int offset, int limit) {
    Sql.checkPaging(offset, limit);
    List<Clause> clauses = FilterParser.parse(filter);
    SqlParams params = new SqlParams();
    params.named("tenant", tenantId);
    List<String> where = new ArrayList<>();
    where.add("lm.tenant_id = :tenant");
    where.add("lm.lifecycle_stage = 'active'");
    if (experimentIds.isEmpty()) {
      where.add("1 = 0");
    } else {
      List<String> ids = new ArrayList<>();
      for (Long id : experimentIds) {
        ids.add(params.bind(id));
      }
      where.add("lm.experiment_id IN (" + String.join(", ", ids) + ")");
    }
    String datasetMatch = datasets == null || datasets.isEmpty() ? "" : " AND (" + datasetMatch(datasets, params) + ")";
    boolean metricClause = false;
    for (Clause c : clauses) {
      String entity = c.entity();
      if (entity != null && (entity.equals("metric") || entity.equals("metrics"))) {
        Sql.checkComparator(c.comparator(), NUMERIC_COMPARATORS);
        if (!(c.value() instanceof Value.Num n)) {
          throw MlflowError.invalid("Expected numeric value type for metric. Found " + c.value().raw());
        }
        metricClause = true;
        where.add("EXISTS (SELECT 1 " + MODEL_METRICS + " AND mm.metric_name = " + params.bind(c.key())
            + " AND mm.is_nan = FALSE AND "
            + Sql.numericComparison("mm.metric_value", c.comparator(), n.value().doubleValue(), params)
            + datasetMatch + ")");
      } else if (entity != null && (entity.equals("tag") || entity.equals("tags"))) {
        where.add(tagPredicate(c, params,
            "SELECT 1 FROM logged_model_tags t WHERE t.tenant_id = :tenant AND t.model_id = lm.model_id AND t.tag_key = "));
      } else if (entity != null && (entity.equals("param") || entity.equals("params"))) {
        Sql.checkComparator(c.comparator(), STRING_COMPARATORS);
        requireString(c);
        where.add("EXISTS (SELECT 1 FROM logged_model_params p WHERE p.tenant_id = :tenant AND p.model_id = lm.model_id"
            + " AND p.param_key = " + params.bind(c.key()) + " AND "
            + Sql.stringComparison("p.param_value", c.comparator(), c.value(), params) + ")");
      } else if (entity != null && !entity.equals("attribute") && !entity.equals("attributes")) {
        throw MlflowError.invalid("Invalid entity '" + entity + "' in filter: logged models support attributes, "
            + "metrics.<key>, params.<key> and tags.<key>");
      } else if (LOGGED_MODEL_STRINGS.containsKey(c.key())) {
        where.add(stringPredicate(LOGGED_MODEL_STRINGS.get(c.key()), c, params, LIST_COMPARATORS));
      } else if (LOGGED_MODEL_NUMBERS.containsKey(c.key())) {
        Sql.checkComparator(c.comparator(), NUMERIC_COMPARATORS);
        if (!(c.value() instanceof Value.Num n)) {
          throw MlflowError.invalid("Expected numeric value type for numeric attribute: " + c.key() + ". Found "
              + c.value().raw());
        }
        where.add(Sql.numericComparison(LOGGED_MODEL_NUMBERS.get(c.key()), c.comparator(), n.forIntegerColumn(), params));
      } else {
        throw MlflowError.invalid("Invalid attribute key '" + c.key() + "' specified.");
      }
    }
    if (!datasetMatch.isEmpty() && !metricClause) {
      where.add("EXISTS (SELECT 1 " + MODEL_METRICS + datasetMatch + ")");
    }
    List<String> terms = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (LoggedModelOrder o : orderBy == null ? List.<LoggedModelOrder>of() : orderBy) {
      if (o.fieldName().startsWith("metrics.")) {
        String name = o.fieldName().substring("metrics.".length());
        List<DatasetFilter> only = o.datasetName() == null || o.datasetName().isEmpty() ? List.of()
            : List.of(new DatasetFilter(o.datasetName(), o.datasetDigest()));
        String latest = "(SELECT CASE WHEN mm.is_nan THEN NULL ELSE mm.metric_value END " + MODEL_METRICS
            + " AND mm.metric_name = " + params.bind(name)
            + (only.isEmpty() ? "" : " AND " + datasetMatch(only, params))
            + " ORDER BY mm.metric_timestamp_ms DESC, mm.metric_step DESC, mm.run_uuid ASC LIMIT 1)";
        terms.add("CASE WHEN " + latest + " IS NULL THEN 1 ELSE 0 END ASC");
        terms.add(latest + (o.ascending() ? " ASC" : " DESC"));
        continue;
      }
      if (o.fieldName().contains(".")) {
        throw MlflowError.invalid("Invalid order by field name: " + o.fieldName() + ". Only metrics are supported.");
      }
      String column = LOGGED_MODEL_STRINGS.getOrDefault(o.fieldName(), LOGGED_MODEL_NUMBERS.get(o.fieldName()));
      if (column == null) {
        throw MlflowError.invalid("Invalid order by field name '" + o.fieldName() + "'");
      }
      if (seen.add(column)) {
        terms.add(column + (o.ascending() ? " ASC" : " DESC"));
      }
    }
    // MLflow's tie-breakers: newest first unless creation time was ordered on, then model id.
    if (!seen.contains("lm.creation_time")) {
      terms.add("lm.creation_time DESC");
    }
    if (!seen.contains("lm.model_id")) {
      terms.add("lm.model_id ASC");
    }
    String sql = "SELECT lm.model_id FROM logged_models lm WHERE " + String.join(" AND ", where) + " ORDER BY "
        + String.join(", ", terms) + " LIMIT " + params.named("limit", limit) + " OFFSET "
        + params.named("offset", offset);
    return new SqlQuery(sql, params.values());
  }

  private static String datasetMatch(List<DatasetFilter> datasets, SqlParams params) {
    List<String> any = new ArrayList<>();
    for (DatasetFilter d : datasets) {
      any.add(d.digest() == null || d.digest().isEmpty()
          ? "mm.dataset_name = " + params.bind(d.name())
          : "(mm.dataset_name = " + params.bind(d.name()) + " AND mm.dataset_digest = " + params.bind(d.digest()) + ")");
    }
    return String.join(" OR ", any);
  }

  private static boolean isTag(String entity) {
    if (entity == null || entity.equals("attribute")) {
      return false;
    }
    if (entity.equals("tag") || entity.equals("tags")) {
      return true;
    }
    throw MlflowError.invalid("Invalid entity type '" + entity + "'. Valid entity types are ('attribute', 'tag', 'tags')");
  }

  private static void requireString(Clause c) {
    if (!(c.value() instanceof Value.Str)) {
      throw MlflowError.invalid("Expected a quoted string value for " + c.identifier() + ". Got value " + c.value().raw());
    }
  }

  private static String stringPredicate(String column, Clause c, SqlParams params, List<String> allowed) {
    Sql.checkComparator(c.comparator(), allowed);
    Sql.requireShapeFor(c.comparator(), c.value(),
        "Expected a quoted string value for attributes. Got value " + c.value().raw());
    if (!(c.value() instanceof Value.Str) && !(c.value() instanceof Value.StrList)) {
      throw MlflowError.invalid("Expected a quoted string value for attributes. Got value " + c.value().raw());
    }
    return Sql.stringComparison(column, c.comparator(), c.value(), params);
  }

  private static String tagPredicate(Clause c, SqlParams params, String existsPrefix) {
    Sql.checkComparator(c.comparator(), STRING_COMPARATORS);
    requireString(c);
    if (c.key().equals(PROMPT_TAG) && c.comparator().equals("!=")) {
      // The mlflow client appends "tag.`mlflow.prompt.is_prompt` != 'true'" to every model search to
      // hide prompts; MLflow's store reads it as "has no such tag with that value", so models without
      // the tag match (an ordinary tag != needs the tag to exist).
      return "NOT EXISTS (" + existsPrefix + params.bind(c.key()) + " AND t.tag_value = "
          + params.bind(((Value.Str) c.value()).value()) + ")";
    }
    return "EXISTS (" + existsPrefix + params.bind(c.key()) + " AND "
        + Sql.stringComparison("t.tag_value", c.comparator(), c.value(), params) + ")";
  }
}
