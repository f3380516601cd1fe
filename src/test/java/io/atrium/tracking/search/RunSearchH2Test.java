package io.atrium.tracking.search;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Executes compiled searches against an in-memory H2 carrying the real V1 schema, binding exactly
 * as the services do ({@code createQuery(sql).bindMap(params)}), to check results rather than SQL
 * shape. Two tenants share experiment id 1 so leaks across tenants would show.
 *
 * <p>Set {@code -Datrium.search.jdbcUrl=jdbc:postgresql://host:port/db?user=...} to run the same
 * checks on PostgreSQL (in a throwaway schema); the default is a private in-memory H2.
 */
class RunSearchH2Test {
  private static final long T1 = 1;
  private static final long T2 = 2;

  private static Handle h;
  private static String pgSchema;

  @BeforeAll
  static void setUp() throws IOException {
    String url =
        System.getProperty(
            "atrium.search.jdbcUrl",
            "jdbc:h2:mem:search-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    h = Jdbi.create(url).open();
    if (url.startsWith("jdbc:postgresql:")) {
      pgSchema = "search_test_" + UUID.randomUUID().toString().replace("-", "");
      h.execute("CREATE SCHEMA " + pgSchema);
      h.execute("SET search_path TO " + pgSchema);
    }
    for (String statement : schemaStatements()) {
      h.execute(statement);
    }

    experiment(T1, 1, "Default", "active", 100, 900);
    experiment(T1, 2, "vision-exp", "active", 300, 300);
    experiment(T1, 3, "old", "deleted", 200, 200);
    experiment(T2, 1, "Default", "active", 100, 100);
    experiment(T2, 2, "vision-exp", "active", 400, 400);
    h.execute(
        "INSERT INTO experiment_tags VALUES (?, ?, ?, ?)", T1, 2L, "owner", "ann");
    h.execute("INSERT INTO experiment_tags VALUES (?, ?, ?, ?)", T2, 2L, "owner", "ann");

    run(T1, "r1", 1, "alpha", "ann", "FINISHED", 1000L, 2000L, "active");
    run(T1, "r2", 1, "beta", "bob", "RUNNING", 3000L, null, "active");
    run(T1, "r3", 1, "gamma", "ann", "FAILED", 2000L, 2500L, "deleted");
    run(T1, "r4", 2, "Alpha2", "cy", "FINISHED", 500L, 600L, "active");
    run(T1, "r5", 1, null, "ann", "SCHEDULED", null, null, "active");
    run(T2, "t2r1", 1, "alpha", "ann", "FINISHED", 5000L, 6000L, "active");
    run(T2, "t2r2", 1, "beta", "bob", "FINISHED", 7000L, null, "active");

    param(T1, "r1", "lr", "0.1");
    param(T1, "r1", "opt", "adam");
    param(T1, "r2", "lr", "0.01");
    param(T1, "r3", "opt", "sgd");
    param(T1, "r4", "my key", "x");
    param(T2, "t2r1", "lr", "0.1");
    param(T2, "t2r2", "lr", "0.01");
    // Values around the 200 characters that PostgreSQL's param index covers (postgresql/V8).
    param(T1, "r1", "prompt", "p".repeat(200) + "A");
    param(T1, "r2", "prompt", "p".repeat(200) + "B");
    param(T1, "r4", "prompt", "p".repeat(200));
    param(T1, "r5", "prompt", "p".repeat(199));

    metric(T1, "r1", "rmse", 0.5, false);
    metric(T1, "r1", "acc", 0.9, false);
    metric(T1, "r2", "rmse", 0, true);
    metric(T1, "r2", "acc", 0.7, false);
    metric(T1, "r3", "rmse", 0.2, false);
    metric(T1, "r4", "rmse", 0.9, false);
    metric(T2, "t2r1", "rmse", 0.1, false);
    metric(T2, "t2r2", "rmse", 0.3, false);

    tag(T1, "r1", "team", "Vision");
    tag(T1, "r1", "mlflow.source.name", "train.py");
    tag(T1, "r2", "team", "nlp");
    tag(T1, "r4", "team", null);
    tag(T2, "t2r1", "team", "Vision");
    tag(T2, "t2r2", "team", "nlp");

    dataset(T1, "ds1", 1, "train-set", "d1", "in1", "r1", "training");
    dataset(T1, "ds2", 1, "eval-set", "d2", "in2", "r2", "eval");
    dataset(T2, "ds1", 1, "train-set", "d1", "in1", "t2r1", "training");
  }

  @AfterAll
  static void tearDown() {
    if (pgSchema != null) {
      h.execute("DROP SCHEMA " + pgSchema + " CASCADE");
    }
    h.close();
  }

  /**
   * V1__core.sql split into statements with plain JDBC in mind: comments dropped first because
   * one of them contains a semicolon. The schema has no string literal containing "--" or ";".
   */
  static List<String> schemaStatements() throws IOException {
    String script;
    try (InputStream in =
        RunSearchH2Test.class.getResourceAsStream("/db/migration/common/V1__core.sql")) {
      script = new String(requireNonNull(in, "V1__core.sql on the classpath").readAllBytes(), UTF_8);
    }
    StringBuilder noComments = new StringBuilder();
    for (String line : script.split("\n", -1)) {
      int dash = line.indexOf("--");
      noComments.append(dash >= 0 ? line.substring(0, dash) : line).append('\n');
    }
    List<String> out = new ArrayList<>();
    for (String statement : noComments.toString().split(";")) {
      if (!statement.isBlank()) {
        out.add(statement.strip());
      }
    }
    return out;
  }

  private static void experiment(
      long tenant, long id, String name, String stage, long created, long updated) {
    h.execute(
        "INSERT INTO experiments (tenant_id, experiment_id, name, artifact_location,"
            + " lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
        tenant, id, name, "file:///a/" + id, stage, created, updated);
  }

  private static void run(
      long tenant, String id, long exp, String name, String user, String status, Long start,
      Long end, String stage) {
    h.execute(
        "INSERT INTO runs (tenant_id, run_uuid, experiment_id, name, user_id, status, start_time,"
            + " end_time, lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        tenant, id, exp, name, user, status, start, end, stage, "file:///a/" + id);
  }

  private static void param(long tenant, String run, String key, String value) {
    h.execute("INSERT INTO params VALUES (?, ?, ?, ?)", tenant, run, key, value);
  }

  private static void tag(long tenant, String run, String key, String value) {
    h.execute("INSERT INTO tags VALUES (?, ?, ?, ?)", tenant, run, key, value);
  }

  private static void metric(long tenant, String run, String key, double value, boolean nan) {
    h.execute(
        "INSERT INTO latest_metrics VALUES (?, ?, ?, ?, ?, ?, ?)", tenant, run, key, value, 1L, 0L,
        nan);
  }

  private static void dataset(
      long tenant, String uuid, long exp, String name, String digest, String input, String run,
      String context) {
    h.execute(
        "INSERT INTO datasets (tenant_id, dataset_uuid, experiment_id, name, digest, source_type,"
            + " source) VALUES (?, ?, ?, ?, ?, ?, ?)",
        tenant, uuid, exp, name, digest, "local", "/data");
    h.execute(
        "INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?)", tenant, input, "DATASET", uuid, "RUN", run);
    h.execute(
        "INSERT INTO input_tags VALUES (?, ?, ?, ?)", tenant, input, "mlflow.data.context",
        context);
  }

  private static List<String> runs(
      long tenant, List<Long> exps, String filter, List<String> orderBy, ViewType view) {
    SqlQuery q = RunSearch.compile(tenant, exps, filter, orderBy, view, 0, 1000);
    return h.createQuery(q.sql()).bindMap(q.params()).mapTo(String.class).list();
  }

  private static List<String> t1(String filter) {
    return runs(T1, List.of(1L, 2L), filter, List.of(), ViewType.ACTIVE_ONLY);
  }

  private static List<String> t1Ordered(String... orderBy) {
    return runs(T1, List.of(1L), null, List.of(orderBy), ViewType.ALL);
  }

  @Test
  void paramEqualityComparesWholeValuesAroundTheIndexedPrefix() {
    assertThat(t1("params.prompt = '" + "p".repeat(200) + "A'")).containsExactly("r1");
    assertThat(t1("params.prompt = '" + "p".repeat(200) + "'")).containsExactly("r4");
    assertThat(t1("params.prompt = '" + "p".repeat(199) + "'")).containsExactly("r5");
    assertThat(t1("params.prompt = '" + "p".repeat(198) + "'")).isEmpty();
    assertThat(t1("params.prompt != '" + "p".repeat(200) + "'")).containsExactly("r2", "r1", "r5");
  }

  @Test
  void defaultOrderIsStartTimeDescWithMissingStartTimesLast() {
    assertThat(t1(null)).containsExactly("r2", "r1", "r4", "r5");
    assertThat(runs(T1, List.of(1L, 2L), "", List.of(), ViewType.ALL))
        .containsExactly("r2", "r3", "r1", "r4", "r5");
  }

  @Test
  void viewTypeSelectsLifecycleStage() {
    assertThat(runs(T1, List.of(1L), null, List.of(), ViewType.DELETED_ONLY))
        .containsExactly("r3");
    assertThat(runs(T1, List.of(1L), null, List.of(), ViewType.ACTIVE_ONLY))
        .containsExactly("r2", "r1", "r5");
  }

  @Test
  void otherTenantsRowsNeverComeBack() {
    // Tenant 2 has runs in experiment 1 too, with identical params, metrics, tags and datasets.
    assertThat(t1("params.lr = '0.1'")).containsExactly("r1");
    assertThat(t1("metrics.rmse < 0.4")).isEmpty();
    assertThat(t1("tags.team = 'nlp'")).containsExactly("r2");
    assertThat(t1("datasets.name = 'train-set'")).containsExactly("r1");
    assertThat(t1("run_name = 'alpha'")).containsExactly("r1");
    assertThat(runs(T1, List.of(1L), null, List.of("metrics.rmse"), ViewType.ALL))
        .doesNotContain("t2r1", "t2r2");

    assertThat(runs(T2, List.of(1L), null, List.of(), ViewType.ALL))
        .containsExactly("t2r2", "t2r1");
    assertThat(runs(T2, List.of(1L), "params.lr = '0.1'", List.of(), ViewType.ALL))
        .containsExactly("t2r1");
    assertThat(runs(T2, List.of(1L), "metrics.rmse < 0.4", List.of("metrics.rmse"), ViewType.ALL))
        .containsExactly("t2r1", "t2r2");
    assertThat(runs(3, List.of(1L, 2L), null, List.of(), ViewType.ALL)).isEmpty();
  }

  @Test
  void experimentIdsRestrictTheSearch() {
    assertThat(runs(T1, List.of(2L), null, List.of(), ViewType.ALL)).containsExactly("r4");
    assertThat(runs(T1, List.of(), null, List.of(), ViewType.ALL)).isEmpty();
  }

  @Test
  void paramFilters() {
    assertThat(t1("params.lr = '0.1'")).containsExactly("r1");
    assertThat(t1("params.lr != '0.1'")).containsExactly("r2"); // runs without lr do not match
    assertThat(t1("params.lr LIKE '0.%'")).containsExactly("r2", "r1");
    assertThat(t1("params.opt ILIKE 'ADA_'")).containsExactly("r1");
    assertThat(t1("params.opt LIKE 'ADA_'")).isEmpty();
    assertThat(t1("params.`my key` = 'x'")).containsExactly("r4");
    assertThat(t1("params.\"my key\" = \"x\"")).containsExactly("r4");
    assertThat(t1("params.lr IS NULL")).containsExactly("r4", "r5");
    assertThat(t1("params.lr IS NOT NULL")).containsExactly("r2", "r1");
    assertThat(t1("params.lr = '0.1' AND params.opt = 'adam'")).containsExactly("r1");
    assertThat(t1("params.lr = '0.1' and params.opt = 'sgd'")).isEmpty();
  }

  @Test
  void metricFiltersCompareLatestValueAndNaNMatchesOnlyNotEquals() {
    assertThat(t1("metrics.rmse < 1")).containsExactly("r1", "r4");
    assertThat(t1("metrics.rmse >= 0.5")).containsExactly("r1", "r4");
    assertThat(t1("metrics.rmse = 0.5")).containsExactly("r1");
    assertThat(t1("metrics.rmse != 0.5")).containsExactly("r2", "r4");
    assertThat(t1("metrics.rmse = 0")).isEmpty(); // NaN is stored as 0 but is not 0
    assertThat(t1("metric.acc > 8e-1")).containsExactly("r1");
    assertThat(t1("metrics.rmse IS NULL")).containsExactly("r5");
    assertThat(t1("metrics.acc IS NOT NULL")).containsExactly("r2", "r1");
    assertThat(t1("metrics.rmse > -1 AND metrics.acc < 0.8")).isEmpty();
  }

  @Test
  void tagFilters() {
    assertThat(t1("tags.team = 'Vision'")).containsExactly("r1");
    assertThat(t1("tags.team LIKE 'vis%'")).isEmpty();
    assertThat(t1("tags.team ILIKE 'vis%'")).containsExactly("r1");
    assertThat(t1("tags.`mlflow.source.name` = 'train.py'")).containsExactly("r1");
    assertThat(t1("tags.\"mlflow.source.name\" LIKE '%.py'")).containsExactly("r1");
    // A tag stored without a value counts as absent.
    assertThat(t1("tags.team IS NULL")).containsExactly("r4", "r5");
    assertThat(t1("tags.team IS NOT NULL")).containsExactly("r2", "r1");
  }

  @Test
  void attributeFilters() {
    assertThat(t1("attributes.run_name = 'alpha'")).containsExactly("r1");
    assertThat(t1("run_name ILIKE 'ALPHA%'")).containsExactly("r1", "r4");
    assertThat(t1("`Run Name` LIKE 'Alpha%'")).containsExactly("r4");
    assertThat(t1("attributes.run_id IN ('r1', 'r2')")).containsExactly("r2", "r1");
    assertThat(t1("run.run_id NOT IN ('r1')")).containsExactly("r2", "r4", "r5");
    assertThat(t1("status = 'FINISHED' AND user_id = 'ann'")).containsExactly("r1");
    assertThat(t1("attributes.status != 'FINISHED'")).containsExactly("r2", "r5");
    assertThat(t1("attributes.start_time >= 1000")).containsExactly("r2", "r1");
    assertThat(t1("created < 1000")).containsExactly("r4");
    assertThat(t1("attributes.end_time IS NULL")).containsExactly("r2", "r5");
    assertThat(t1("attr.artifact_uri LIKE '%/r4'")).containsExactly("r4");
    assertThat(t1("start_time > 999.5")).containsExactly("r2", "r1");
  }

  @Test
  void datasetFilters() {
    assertThat(t1("datasets.name = 'train-set'")).containsExactly("r1");
    assertThat(t1("dataset.name LIKE '%-set'")).containsExactly("r2", "r1");
    assertThat(t1("datasets.digest IN ('d1', 'zz')")).containsExactly("r1");
    assertThat(t1("datasets.digest NOT IN ('d1')")).containsExactly("r2");
    assertThat(t1("datasets.context = 'training'")).containsExactly("r1");
    assertThat(t1("datasets.context ILIKE 'EVAL'")).containsExactly("r2");
  }

  @Test
  void metricOrderingPutsNaNThenMissingLastInBothDirections() {
    assertThat(t1Ordered("metrics.rmse")).containsExactly("r3", "r1", "r2", "r5");
    assertThat(t1Ordered("metrics.rmse ASC")).containsExactly("r3", "r1", "r2", "r5");
    assertThat(t1Ordered("metrics.rmse DESC")).containsExactly("r1", "r3", "r2", "r5");
  }

  @Test
  void paramTagAndAttributeOrdering() {
    assertThat(t1Ordered("params.lr DESC")).containsExactly("r1", "r2", "r3", "r5");
    assertThat(t1Ordered("params.opt", "start_time ASC")).containsExactly("r1", "r3", "r2", "r5");
    assertThat(t1Ordered("tags.team desc")).containsExactly("r2", "r1", "r3", "r5");
    assertThat(t1Ordered("attributes.start_time ASC")).containsExactly("r1", "r3", "r2", "r5");
    assertThat(t1Ordered("run_name DESC")).containsExactly("r3", "r2", "r1", "r5");
    assertThat(t1Ordered("attributes.user_id", "created DESC"))
        .containsExactly("r3", "r1", "r5", "r2");
  }

  @Test
  void pagination() {
    SqlQuery q = RunSearch.compile(T1, List.of(1L, 2L), null, List.of(), ViewType.ALL, 1, 2);
    assertThat(h.createQuery(q.sql()).bindMap(q.params()).mapTo(String.class).list())
        .containsExactly("r3", "r1");
  }

  @Test
  void injectionAttemptsAreInertValues() {
    assertThat(t1("params.lr = '''; DROP TABLE runs; --'")).isEmpty();
    assertThat(t1("params.`lr'; DROP TABLE runs; --` = 'x'")).isEmpty();
    assertThat(t1("tags.\"team' OR '1'='1\" = 'x'")).isEmpty();
    assertThat(t1("run_name LIKE '%'' OR 1=1 --'")).isEmpty();
    assertThat(t1("metrics.rmse IS NOT NULL")).hasSize(3); // the tables are all still there
  }

  private static List<Long> experiments(
      long tenant, String filter, List<String> orderBy, ViewType view) {
    SqlQuery q = ExperimentSearch.compile(tenant, filter, orderBy, view, 0, 100);
    return h.createQuery(q.sql()).bindMap(q.params()).mapTo(Long.class).list();
  }

  @Test
  void experimentSearch() {
    assertThat(experiments(T1, null, List.of(), ViewType.ACTIVE_ONLY)).containsExactly(2L, 1L);
    assertThat(experiments(T1, null, List.of(), ViewType.ALL)).containsExactly(2L, 3L, 1L);
    assertThat(experiments(T1, null, List.of(), ViewType.DELETED_ONLY)).containsExactly(3L);
    assertThat(experiments(T1, "name LIKE 'vision%'", List.of(), ViewType.ALL))
        .containsExactly(2L);
    assertThat(experiments(T1, "name ILIKE 'DEFAULT'", List.of(), ViewType.ALL))
        .containsExactly(1L);
    assertThat(experiments(T1, "tags.owner = 'ann'", List.of(), ViewType.ALL))
        .containsExactly(2L);
    assertThat(experiments(T1, "tags.owner IS NULL", List.of(), ViewType.ALL))
        .containsExactly(3L, 1L);
    assertThat(experiments(T1, "creation_time >= 200", List.of("name"), ViewType.ALL))
        .containsExactly(3L, 2L);
    assertThat(experiments(T1, null, List.of("last_update_time DESC"), ViewType.ALL))
        .containsExactly(1L, 2L, 3L);
    assertThat(experiments(T1, null, List.of("experiment_id"), ViewType.ALL))
        .containsExactly(1L, 2L, 3L);
    assertThat(experiments(T2, "name = 'vision-exp'", List.of(), ViewType.ALL))
        .containsExactly(2L);
    assertThat(experiments(T2, null, List.of(), ViewType.ALL)).containsExactly(2L, 1L);
  }
}
