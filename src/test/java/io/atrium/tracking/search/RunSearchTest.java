package io.atrium.tracking.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/** Parser and compiler checks for run search: accepted grammar, SQL shape, errors, injection. */
class RunSearchTest {
  private static SqlQuery compile(String filter) {
    return RunSearch.compile(7, List.of(1L), filter, List.of(), ViewType.ACTIVE_ONLY, 0, 100);
  }

  private static SqlQuery order(String... orderBy) {
    return RunSearch.compile(7, List.of(1L), null, List.of(orderBy), ViewType.ACTIVE_ONLY, 0, 100);
  }

  /** Every word the compiler may ever put into SQL; anything else would be leaked user text. */
  private static final Set<String> VOCABULARY =
      Set.of(
          "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "EXISTS", "IN", "IS", "NULL", "LIKE",
          "LOWER", "JOIN", "LEFT", "ON", "ORDER", "BY", "ASC", "DESC", "LIMIT", "OFFSET", "CASE",
          "WHEN", "THEN", "ELSE", "END", "TRUE", "FALSE", "runs", "r", "latest_metrics", "lm",
          "params", "tags", "kv", "inputs", "i", "datasets", "d", "input_tags", "it",
          "tenant_id", "run_uuid", "experiment_id", "lifecycle_stage", "metric_key",
          "metric_value", "is_nan", "param_key", "param_value", "tag_key", "tag_value", "name",
          "status", "user_id", "artifact_uri", "start_time", "end_time", "source_type",
          "source_id", "destination_type", "destination_id", "dataset_uuid", "input_uuid",
          "digest", "experiments", "e", "experiment_tags", "et", "creation_time",
          "last_update_time");

  private static final Pattern TOKEN =
      Pattern.compile(
          "\\s+|:[a-z]+[0-9]*|'(active|deleted|RUN|DATASET)'|[A-Za-z_][A-Za-z0-9_]*|[0-9]+"
              + "|<>|<=|>=|[(),.=<>]");

  /** Asserts the SQL is made only of whitelisted words, placeholders and constant literals. */
  static void assertOnlyWhitelistedSql(SqlQuery q) {
    String sql = q.sql();
    Matcher m = TOKEN.matcher(sql);
    int pos = 0;
    while (pos < sql.length()) {
      assertThat(m.find(pos) && m.start() == pos)
          .as("unexpected text at %d in %s", pos, sql)
          .isTrue();
      String t = m.group();
      if (Character.isLetter(t.charAt(0)) || t.charAt(0) == '_') {
        boolean alias = t.matches("[of][0-9]+");
        assertThat(alias || VOCABULARY.contains(t)).as("word '%s' in %s", t, sql).isTrue();
      }
      if (t.startsWith(":")) {
        assertThat(q.params()).as(sql).containsKey(t.substring(1));
      }
      pos = m.end();
    }
  }

  private static void assertInvalid(String filter, String messageFragment) {
    assertThatThrownBy(() -> compile(filter))
        .as(filter)
        .isInstanceOf(MlflowError.class)
        .hasMessageContaining(messageFragment)
        .extracting(e -> ((MlflowError) e).code())
        .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
  }

  private static void assertInvalidOrder(String orderBy, String messageFragment) {
    assertThatThrownBy(() -> order(orderBy))
        .as(orderBy)
        .isInstanceOf(MlflowError.class)
        .hasMessageContaining(messageFragment)
        .extracting(e -> ((MlflowError) e).code())
        .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
  }

  @Test
  void emptyFilterGivesBaseQueryWithDefaultOrder() {
    SqlQuery q = compile(null);
    assertThat(q.sql())
        .isEqualTo(
            "SELECT r.run_uuid FROM runs r WHERE r.tenant_id = :tenant AND r.experiment_id IN"
                + " (:e0) AND r.lifecycle_stage = 'active' ORDER BY CASE WHEN r.start_time IS"
                + " NULL THEN 1 ELSE 0 END, r.start_time DESC, r.run_uuid ASC LIMIT :limit OFFSET"
                + " :offset");
    assertThat(q.params())
        .containsExactly(
            entry("tenant", 7L), entry("e0", 1L), entry("limit", 100), entry("offset", 0));
    assertThat(compile("").sql()).isEqualTo(q.sql());
    assertThat(compile("   ").sql()).isEqualTo(q.sql());
  }

  @Test
  void experimentIdsAreBoundIndividually() {
    SqlQuery q =
        RunSearch.compile(1, List.of(3L, 5L, 8L), null, null, ViewType.ALL, 20, 10);
    assertThat(q.sql())
        .contains("r.experiment_id IN (:e0, :e1, :e2)")
        .contains("r.lifecycle_stage IN ('active', 'deleted')");
    assertThat(q.params()).contains(entry("e0", 3L), entry("e1", 5L), entry("e2", 8L));
    assertThat(q.params()).contains(entry("limit", 10), entry("offset", 20));
    assertThat(RunSearch.compile(1, List.of(), null, null, ViewType.ALL, 0, 1).sql())
        .contains("1 = 0")
        .doesNotContain("IN ()");
    assertThat(RunSearch.compile(1, List.of(1L), null, null, ViewType.DELETED_ONLY, 0, 1).sql())
        .contains("r.lifecycle_stage = 'deleted'");
  }

  @Test
  void paramClauseShape() {
    SqlQuery q = compile("params.lr = '0.1'");
    assertThat(q.sql())
        .contains(
            "JOIN params f0 ON f0.tenant_id = :tenant AND f0.run_uuid = r.run_uuid AND"
                + " f0.param_key = :p0 AND LEFT(f0.param_value, 200) = :p1 WHERE")
        .doesNotContain("EXISTS");
    assertThat(q.params()).contains(entry("p0", "lr"), entry("p1", "0.1"));
    // A value as long as the indexed prefix or longer is compared whole as well.
    String longValue = "x".repeat(200);
    assertThat(compile("params.prompt = '" + longValue + "'").sql())
        .contains("LEFT(f0.param_value, 200) = LEFT(:p1, 200) AND f0.param_value = :p1");
  }

  @Test
  void metricClauseShape() {
    SqlQuery q = compile("metrics.rmse < 0.5");
    assertThat(q.sql())
        .contains(
            "JOIN latest_metrics f0 ON f0.tenant_id = :tenant AND f0.run_uuid = r.run_uuid AND"
                + " f0.metric_key = :p0 AND f0.is_nan = FALSE AND f0.metric_value < :p1 WHERE");
    assertThat(q.params()).contains(entry("p0", "rmse"), entry("p1", 0.5));
    assertThat(compile("metrics.rmse != 1").sql())
        .contains("AND (f0.is_nan = TRUE OR f0.metric_value <> :p1) WHERE");
    assertThat(compile("metrics.rmse IS NULL").sql())
        .contains("NOT EXISTS (SELECT 1 FROM latest_metrics lm")
        .doesNotContain("metric_value");
  }

  @Test
  void stringComparatorShapes() {
    assertThat(compile("tags.t LIKE 'a%'").sql()).contains("f0.tag_value LIKE :p1");
    assertThat(compile("tags.t ILIKE 'a%'").sql())
        .contains("LOWER(f0.tag_value) LIKE LOWER(:p1)");
    assertThat(compile("tags.t != 'a'").sql()).contains("f0.tag_value <> :p1");
    assertThat(compile("tags.t IS NOT NULL").sql())
        .contains("JOIN tags f0 ON")
        .contains("f0.tag_key = :p0 AND f0.tag_value IS NOT NULL WHERE");
    assertThat(compile("tags.t IS NULL").sql())
        .contains("NOT EXISTS (SELECT 1 FROM tags kv")
        .contains("kv.tag_value IS NOT NULL)");
    assertThat(compile("run_id IN ('a', 'b', 'c')").sql())
        .contains("r.run_uuid IN (:p0, :p1, :p2)");
    assertThat(compile("run_id NOT IN ('a')").sql()).contains("r.run_uuid NOT IN (:p0)");
    assertThat(compile("attributes.run_name = 'x'").sql()).contains("r.name = :p0");
    assertThat(compile("attributes.end_time IS NULL").sql()).contains("r.end_time IS NULL");
  }

  @Test
  void datasetClauseShapes() {
    SqlQuery q = compile("datasets.context = 'training'");
    assertThat(q.sql())
        .contains("JOIN input_tags it ON it.tenant_id = i.tenant_id")
        .contains("it.name = :p0")
        .contains("i.destination_id = r.run_uuid")
        .contains("it.tag_value = :p1");
    assertThat(q.params())
        .contains(entry("p0", "mlflow.data.context"), entry("p1", "training"));
    assertThat(compile("datasets.digest IN ('a', 'b')").sql()).contains("d.digest IN (:p0, :p1)");
    assertThat(compile("dataset.name ILIKE '%x'").sql())
        .contains("LOWER(d.name) LIKE LOWER(:p0)")
        .doesNotContain("input_tags");
  }

  @Test
  void numbersInAllForms() {
    Map<String, Object> expected =
        Map.of(
            "1", 1.0, "-1", -1.0, "1.5", 1.5, "1e-3", 0.001, ".5", 0.5, "1E+10", 1e10,
            "+2", 2.0, "-.25", -0.25, "3.", 3.0);
    SoftAssertions soft = new SoftAssertions();
    expected.forEach(
        (text, value) ->
            soft.assertThat(compile("metrics.m > " + text).params().get("p1"))
                .as(text)
                .isEqualTo(value));
    soft.assertAll();
    // BIGINT attributes get a Long when the literal is integral, so PostgreSQL compares bigints.
    assertThat(compile("start_time > 1000").params().get("p0")).isEqualTo(1000L);
    assertThat(compile("start_time > 1.0e3").params().get("p0")).isEqualTo(1000L);
    assertThat(compile("end_time <= 99.5").params().get("p0")).isEqualTo(99.5);
  }

  @Test
  void identifierFormsAndAliases() {
    String[][] cases = {
      {"metrics.m > 1", "latest_metrics", "m"},
      {"metric.m > 1", "latest_metrics", "m"},
      {"`metrics`.m > 1", "latest_metrics", "m"},
      {"metrics.`my metric` > 1", "latest_metrics", "my metric"},
      {"metrics.\"my metric\" > 1", "latest_metrics", "my metric"},
      {"metrics.a.b.c > 1", "latest_metrics", "a.b.c"},
      {"metrics.`a.b` > 1", "latest_metrics", "a.b"},
      {"metrics.0_loss > 1", "latest_metrics", "0_loss"},
      {"params.p = 'v'", "params", "p"},
      {"param.p = 'v'", "params", "p"},
      {"parameter.p = 'v'", "params", "p"},
      {"parameters.p = 'v'", "params", "p"},
      {"tags.t = 'v'", "tags", "t"},
      {"tag.t = 'v'", "tags", "t"},
      {"tags.'mlflow.user' = 'v'", "tags", "mlflow.user"},
      {"tags.`mlflow.runName` = 'v'", "tags", "mlflow.runName"},
      {"tags.`weird key with spaces & symbols/!` = 'v'", "tags", "weird key with spaces & symbols/!"},
      {"tags.`ключ` = 'v'", "tags", "ключ"},
    };
    SoftAssertions soft = new SoftAssertions();
    for (String[] c : cases) {
      SqlQuery q = compile(c[0]);
      soft.assertThat(q.sql()).as(c[0]).contains("JOIN " + c[1] + " ");
      soft.assertThat(q.params().get("p0")).as(c[0]).isEqualTo(c[2]);
    }
    soft.assertAll();

    for (String attr :
        List.of("attributes.status", "attribute.status", "attr.status", "run.status", "status",
            "`status`", "\"status\"")) {
      assertThat(compile(attr + " = 'FINISHED'").sql()).as(attr).contains("r.status = :p0");
    }
    for (String created : List.of("created", "Created", "attributes.created")) {
      assertThat(compile(created + " > 5").sql()).as(created).contains("r.start_time > :p0");
    }
    for (String runName :
        List.of("`run name`", "\"Run name\"", "attributes.`Run Name`", "attributes.run_name")) {
      assertThat(compile(runName + " = 'x'").sql()).as(runName).contains("r.name = :p0");
    }
  }

  @Test
  void keywordsAreCaseInsensitiveAndStringsUnescape() {
    SqlQuery q =
        compile(
            "params.a like 'x%' and tags.b ilike \"Y\" AnD run_id in ('r1') and run_id not in"
                + " ('r2') and tags.c is null and tags.d Is Not Null");
    assertThat(q.sql())
        .contains("f0.param_value LIKE")
        .contains("LOWER(f1.tag_value) LIKE LOWER(")
        .contains("r.run_uuid IN (")
        .contains("r.run_uuid NOT IN (")
        .contains("NOT EXISTS (");
    assertThat(compile("params.a = 'it''s'").params().get("p1")).isEqualTo("it's");
    assertThat(compile("params.a = 'it\\'s'").params().get("p1")).isEqualTo("it's");
    assertThat(compile("params.a = \"say \"\"hi\"\"\"").params().get("p1")).isEqualTo("say \"hi\"");
    assertThat(compile("params.a LIKE 'a\\_b%'").params().get("p1")).isEqualTo("a\\_b%");
    assertThat(compile("params.a = ''").params().get("p1")).isEqualTo("");
    assertThat(compile("params.a='x'AND params.b='y'").params()).containsValues("x", "y");
  }

  @Test
  void clausesCompileInOrderWithUniqueParameters() {
    SqlQuery q =
        compile(
            "metrics.a > 1 AND params.b = 'x' AND tags.c LIKE '%y' AND start_time < 10"
                + " AND datasets.name IN ('n1', 'n2')");
    assertThat(q.params())
        .containsKeys("tenant", "e0", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8",
            "limit", "offset");
    assertThat(q.sql().indexOf("latest_metrics")).isLessThan(q.sql().indexOf("JOIN params"));
    assertOnlyWhitelistedSql(q);
  }

  @Test
  void invalidFilters() {
    Object[][] cases = {
      // syntax
      {"params.a = 'x' OR params.b = 'y'", "Invalid clause(s) in filter string: 'OR params.b = 'y''"},
      {"(params.a = 'x')", "Invalid comparison clause"},
      {"params.a = 'x' AND", "Invalid clause(s) in filter string"},
      {"AND params.a = 'x'", "Invalid comparison clause"},
      {"params.a = 'x' params.b = 'y'", "Invalid clause(s) in filter string"},
      {"params.a = 'unterminated", "Error on parsing filter"},
      {"params.a = 'x';", "Error on parsing filter"},
      {"params.a = 'x'; DROP TABLE runs", "Error on parsing filter"},
      {"params.a = 'x' -- comment", "Error on parsing filter"},
      {"params.", "Error on parsing filter"},
      {"params.`` = 'x'", "Error on parsing filter"},
      {"params.a", "Expected comparison found ''"},
      {"params.a =", "Expected value token found ''"},
      {"params.a = = 'x'", "Expected value token found '='"},
      {"params.a 'x'", "Expected comparison found"},
      {"params.a ! 'x'", "Error on parsing filter"},
      {"metrics.m > 1abc", "Error on parsing filter"},
      {"metrics.m > 1.2.3", "Error on parsing filter"},
      {"metrics.m > 1e", "Error on parsing filter"},
      {"params.a IS 'x'", "Expected comparison found 'IS'"},
      {"params.a IS NOT 'x'", "Expected comparison found 'IS'"},
      {"'params.a' = 'x'", "Expected 'Identifier' found ''params.a''"},
      {"5 = 5", "Expected 'Identifier' found '5'"},
      {"metrics.a.`b` > 1", "Invalid identifier"},
      // entities and keys
      {"foo.a = 'x'", "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"},
      {"Metrics.a > 1", "Invalid entity type 'Metrics'"},
      {"lr = '0.1'", "Invalid attribute key 'lr' specified. Valid keys are"},
      {"attributes.lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'"},
      {"attributes.experiment_id = '1'", "Invalid attribute key 'experiment_id'"},
      {"datasets.source = 'x'", "Invalid dataset key 'source' specified. Valid keys are '{'name', 'digest', 'context'}'"},
      // comparators
      {"metrics.m LIKE 1", "Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<=', 'IS NULL', 'IS NOT NULL'}'"},
      {"metrics.m IN ('1')", "Invalid comparator 'IN'"},
      {"metrics.m <> 1", "Invalid comparator '<>'"},
      {"metrics.m == 1", "Invalid comparator '=='"},
      {"params.p > 'a'", "Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'}'"},
      {"params.p IN ('a')", "Invalid comparator 'IN'"},
      {"tags.t NOT LIKE 'a'", "Invalid comparator 'NOT LIKE'"},
      {"tags.t NOT 'a'", "Expected comparison found 'NOT'"},
      {"start_time LIKE '1'", "Invalid comparator 'LIKE'"},
      {"status > 'A'", "Invalid comparator '>'"},
      {"datasets.name IS NULL", "Invalid comparator 'IS NULL'"},
      {"datasets.name < 'a'", "Invalid comparator '<'"},
      // values
      {"metrics.m > '1'", "Expected numeric value type for metric. Found '1'"},
      {"metrics.m > \"1\"", "Expected numeric value type for metric. Found \"1\""},
      {"params.p = 1", "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1"},
      {"tags.t = 1.5", "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1.5"},
      {"params.p = ('a', 'b')", "Expected a quoted string value for parameter"},
      {"start_time > 'yesterday'", "Expected numeric value type for numeric attribute: start_time. Found 'yesterday'"},
      {"created = '1'", "Expected numeric value type for numeric attribute: created"},
      {"status = 3", "Expected a quoted string value for attributes. Got value 3"},
      {"status IN ('A', 'B')", "Only the 'run_id' attribute supports comparison with a list of quoted string values."},
      {"run_id IN 'a'", "Expected a parenthesized list of quoted string values for 'IN'. Got value 'a'"},
      {"run_id = ('a')", "Expected a quoted string value for attributes"},
      {"run_id IN ()", "expected a non-empty list of string values, but got empty list"},
      {"run_id IN ('a', 1)", "expected string value, punctuation, or whitespace, but got different type in list"},
      {"run_id IN ('a' 'b')", "but got ill-formed list."},
      {"run_id IN ('a',)", "expected string value"},
      {"run_id IN ('a'", "but got ill-formed list."},
      {"datasets.name = 5", "Expected a quoted string value for dataset attributes. Got value 5"},
      {"datasets.name IN 'a'", "Expected a parenthesized list"},
    };
    SoftAssertions soft = new SoftAssertions();
    for (Object[] c : cases) {
      String filter = (String) c[0];
      soft.assertThatThrownBy(() -> compile(filter))
          .as(filter)
          .isInstanceOf(MlflowError.class)
          .hasMessageContaining((String) c[1])
          .extracting(e -> ((MlflowError) e).code())
          .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
    }
    soft.assertAll();
  }

  @Test
  void errorOnParsingFilterQuotesTheFilter() {
    assertInvalid("params.a = 'x", "Error on parsing filter 'params.a = 'x'");
  }

  @Test
  void injectionAttemptsStayInParametersOrAreRejected() {
    List<String> accepted =
        List.of(
            "params.x = '''; DROP TABLE runs; --'",
            "params.x = '1'' OR 1=1 --'",
            "params.x = \"1\"\" OR \"\"1\"\"=\"\"1\"",
            "params.`x'; DROP TABLE runs; --` = '1'",
            "tags.`a' OR '1'='1` = 'b'",
            "tags.\"a\"\" OR 1=1 --\" = 'b'",
            "metrics.`m) OR (1=1` > 0",
            "run_id IN ('a'') OR 1=1 --', 'b')",
            "datasets.context = 'x''); DELETE FROM datasets; --'",
            "run_name LIKE '%'' UNION SELECT run_uuid FROM runs --'");
    for (String filter : accepted) {
      SqlQuery q = compile(filter);
      assertThat(q.sql())
          .as(filter)
          .doesNotContain("DROP")
          .doesNotContain("1=1")
          .doesNotContain("--")
          .doesNotContain("UNION")
          .doesNotContain("DELETE")
          .doesNotContain("';");
      assertOnlyWhitelistedSql(q);
      assertThat(q.params().values().stream().map(String::valueOf).anyMatch(v -> v.contains("'") || v.contains(")") || v.contains("\"")))
          .as(filter)
          .isTrue();
    }
    assertThat(compile("params.`x'; DROP TABLE runs; --` = '1'").params())
        .containsValue("x'; DROP TABLE runs; --");

    List<String> rejected =
        List.of(
            "params.x = '1' OR 1=1",
            "params.x = '1' OR '1'='1'",
            "params.x = '1'; DROP TABLE runs; --",
            "params.x = '1' UNION SELECT run_uuid FROM runs",
            "params.x = 1; DROP TABLE runs",
            "params.x = '1') OR (1=1",
            "params.x = '1' -- ",
            "params.x = '1' /* c */",
            "`params`.x`; DROP TABLE runs` = '1'",
            "params.x = '1' AND 1=1",
            "params.x = '1' AND EXISTS (SELECT 1)");
    for (String filter : rejected) {
      assertThatThrownBy(() -> compile(filter))
          .as(filter)
          .isInstanceOf(MlflowError.class)
          .extracting(e -> ((MlflowError) e).code())
          .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
    }
  }

  @Test
  void orderByShapes() {
    SqlQuery q = order("metrics.rmse DESC", "params.lr", "tags.`t x` asc", "attributes.end_time");
    assertThat(q.sql())
        .contains(
            "LEFT JOIN latest_metrics o0 ON o0.tenant_id = :tenant AND o0.run_uuid = r.run_uuid"
                + " AND o0.metric_key = :p0")
        .contains("LEFT JOIN params o1 ON o1.tenant_id = :tenant AND o1.run_uuid = r.run_uuid AND o1.param_key = :p1")
        .contains("LEFT JOIN tags o2 ON o2.tenant_id = :tenant AND o2.run_uuid = r.run_uuid AND o2.tag_key = :p2")
        .endsWith(
            "ORDER BY CASE WHEN o0.is_nan = TRUE THEN 1 WHEN o0.run_uuid IS NULL THEN 2 ELSE 0"
                + " END, o0.metric_value DESC, CASE WHEN o1.param_value IS NULL THEN 1 ELSE 0 END,"
                + " o1.param_value ASC, CASE WHEN o2.tag_value IS NULL THEN 1 ELSE 0 END,"
                + " o2.tag_value ASC, CASE WHEN r.end_time IS NULL THEN 1 ELSE 0 END, r.end_time"
                + " ASC, CASE WHEN r.start_time IS NULL THEN 1 ELSE 0 END, r.start_time DESC,"
                + " r.run_uuid ASC LIMIT :limit OFFSET :offset");
    assertThat(q.params()).contains(entry("p0", "rmse"), entry("p1", "lr"), entry("p2", "t x"));
    assertOnlyWhitelistedSql(q);
  }

  @Test
  void orderingByStartTimeReplacesTheDefault() {
    for (String o : List.of("start_time", "attributes.start_time ASC", "created DESC")) {
      String sql = order(o).sql();
      assertThat(sql).as(o).containsOnlyOnce("CASE WHEN r.start_time IS NULL").endsWith("r.run_uuid ASC LIMIT :limit OFFSET :offset");
    }
    assertThat(order("attributes.run_name").sql())
        .contains("r.name ASC, CASE WHEN r.start_time IS NULL THEN 1 ELSE 0 END, r.start_time DESC");
    assertThat(order("run_id DESC").sql()).contains("r.run_uuid DESC");
    assertThat(order("metrics.`a b`   DESC ").params()).containsValue("a b");
    assertThat(order("metric.m").sql()).contains("latest_metrics o0");
    assertThat(order("tag.m").sql()).contains("LEFT JOIN tags o0");
    assertThat(order("param.m").sql()).contains("LEFT JOIN params o0");
  }

  @Test
  void invalidOrderBy() {
    assertInvalidOrder("metrics.m DESCENDING", "Invalid ordering key in order_by clause 'metrics.m DESCENDING'.");
    assertInvalidOrder("metrics.m DESC NULLS", "Invalid order_by clause 'metrics.m DESC NULLS'. Could not be parsed.");
    assertInvalidOrder("", "Invalid order_by clause ''. Could not be parsed.");
    assertInvalidOrder("metrics.m, params.p", "Could not be parsed.");
    assertInvalidOrder("metrics.m; DROP TABLE runs", "Could not be parsed.");
    assertInvalidOrder("'metrics.m'", "Could not be parsed.");
    assertInvalidOrder("metrics.m 'DESC'", "Could not be parsed.");
    assertInvalidOrder("foo.m", "Invalid entity type 'foo'");
    assertInvalidOrder("lifecycle_stage", "Invalid attribute key 'lifecycle_stage' specified.");
    assertInvalidOrder("`Run Name`", "Invalid attribute key 'Run Name' specified.");
    assertInvalidOrder("datasets.name", "Invalid identifier type 'datasets'");
    assertThatThrownBy(() -> order("metrics.m", "metrics.m DESC"))
        .isInstanceOf(MlflowError.class)
        .hasMessage("`order_by` contains duplicate fields: ['metrics.m', 'metrics.m DESC']");
    assertThatThrownBy(() -> order("start_time", "created"))
        .isInstanceOf(MlflowError.class)
        .hasMessageContaining("duplicate fields");
    // Same key under different entities is not a duplicate.
    assertThat(order("metrics.k", "params.k", "tags.k").sql()).contains("o2");
  }

  @Test
  void badPagingIsRejected() {
    assertThatThrownBy(() -> RunSearch.compile(1, List.of(1L), null, null, ViewType.ALL, -1, 5))
        .isInstanceOf(MlflowError.class);
    assertThatThrownBy(() -> RunSearch.compile(1, List.of(1L), null, null, ViewType.ALL, 0, -5))
        .isInstanceOf(MlflowError.class);
  }

  @Test
  void hugeInListIsRejectedBeforeTheDriver() {
    StringBuilder f = new StringBuilder("run_id IN (");
    for (int k = 0; k < SqlParams.MAX_PARAMS + 1; k++) {
      f.append(k == 0 ? "" : ",").append("'r").append(k).append("'");
    }
    f.append(')');
    assertInvalid(f.toString(), "too large");
  }

  @Test
  void viewTypeParse() {
    assertThat(ViewType.parse(null)).isEqualTo(ViewType.ACTIVE_ONLY);
    assertThat(ViewType.parse("")).isEqualTo(ViewType.ACTIVE_ONLY);
    assertThat(ViewType.parse("ACTIVE_ONLY")).isEqualTo(ViewType.ACTIVE_ONLY);
    assertThat(ViewType.parse("deleted_only")).isEqualTo(ViewType.DELETED_ONLY);
    assertThat(ViewType.parse("ALL")).isEqualTo(ViewType.ALL);
    assertThat(ViewType.parse("3")).isEqualTo(ViewType.ALL);
    assertThatThrownBy(() -> ViewType.parse("SOME"))
        .isInstanceOf(MlflowError.class)
        .hasMessageContaining("Invalid view_type 'SOME'")
        .extracting(e -> ((MlflowError) e).code())
        .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
  }
}
