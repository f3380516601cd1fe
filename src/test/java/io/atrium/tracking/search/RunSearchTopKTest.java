package io.atrium.tracking.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The route for searches ordered by one metric ({@link RunSearch.TopK}) returns exactly the full query's page, on data
 * made to trip it (2,400 runs in one tenant): few distinct values (ties at every page edge), NaN, runs without the metric,
 * NULL and equal start times, deleted runs, two experiments and a second tenant with the same
 * keys. Every combination of order, filter, view and page below is run both ways on an in-memory
 * H2 with the real schema (V1 plus the V6 search indexes the route reads); {@code
 * -Datrium.search.jdbcUrl} points it at PostgreSQL as for RunSearchH2Test.
 */
class RunSearchTopKTest {
  private static final long T1 = 1;
  private static final long T2 = 2;
  /** Experiment 1 gets ~80 % of them: over the route's minimum for the shallower pages below. */
  private static final int T1_RUNS = 2_400;

  private static Handle h;
  private static String pgSchema;

  @BeforeAll
  static void setUp() throws IOException {
    String url = System.getProperty("atrium.search.jdbcUrl", "jdbc:h2:mem:topk-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    h = Jdbi.create(url).open();
    if (url.startsWith("jdbc:postgresql:")) {
      pgSchema = "topk_test_" + UUID.randomUUID().toString().replace("-", "");
      h.execute("CREATE SCHEMA " + pgSchema);
      h.execute("SET search_path TO " + pgSchema);
    }
    for (String statement : RunSearchH2Test.schemaStatements()) {
      h.execute(statement);
    }
    h.execute("CREATE INDEX latest_metrics_key_value_ix ON latest_metrics (tenant_id, metric_key, metric_value)");
    Random random = new Random(42);
    var runs = h.prepareBatch("INSERT INTO runs (tenant_id, run_uuid, experiment_id, name, user_id, status, start_time,"
        + " end_time, lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, 'u', 'FINISHED', ?, NULL, ?, 'file:///a')");
    var params = h.prepareBatch("INSERT INTO params VALUES (?, ?, 'p', ?)");
    var metrics = h.prepareBatch("INSERT INTO latest_metrics VALUES (?, ?, ?, ?, 1, 0, ?)");
    for (long tenant : new long[] {T1, T2}) {
      for (long exp = 1; exp <= 2; exp++) {
        h.execute("INSERT INTO experiments (tenant_id, experiment_id, name, artifact_location, lifecycle_stage,"
            + " creation_time, last_update_time) VALUES (?, ?, ?, ?, 'active', 0, 0)", tenant, exp, "e" + exp, "file:///a");
      }
      for (int i = 0; i < (tenant == T1 ? T1_RUNS : 300); i++) {
        String id = "t" + tenant + "r" + i;
        long exp = random.nextInt(5) == 0 ? 2 : 1;
        Long start = random.nextInt(10) == 0 ? null : (long) random.nextInt(40);
        String stage = random.nextInt(8) == 0 ? "deleted" : "active";
        runs.add(tenant, id, exp, "run" + i, start, stage);
        params.add(tenant, id, random.nextBoolean() ? "a" : "b");
        for (String key : new String[] {"m", "k"}) {
          // 1 in 8 without the metric, 1 in 10 NaN, else one of 7 values: many ties.
          if (random.nextInt(8) != 0) {
            boolean nan = random.nextInt(10) == 0;
            metrics.add(tenant, id, key, nan ? 0 : (random.nextInt(7) - 3) / 4.0, nan);
          }
        }
      }
    }
    runs.execute();
    params.execute();
    metrics.execute();
  }

  @AfterAll
  static void tearDown() {
    if (pgSchema != null) {
      h.execute("DROP SCHEMA " + pgSchema + " CASCADE");
    }
    h.close();
  }

  private static long count(SqlQuery q) {
    return h.createQuery(q.sql()).bindMap(q.params()).mapTo(Long.class).one();
  }

  private static List<RunSearch.TopK.Candidate> candidates(SqlQuery q) {
    return h.createQuery(q.sql()).bindMap(q.params()).map((rs, ctx) -> RunSearch.TopK.Candidate.read(rs)).list();
  }

  private static List<String> ids(SqlQuery q) {
    return h.createQuery(q.sql()).bindMap(q.params()).mapTo(String.class).list();
  }

  @Test
  void theMetricRouteReturnsTheFullQuerysPageForEveryOrderFilterViewAndPage() {
    List<List<String>> orders = List.of(List.of("metrics.m DESC"), List.of("metrics.m"), List.of("metrics.k ASC"));
    List<String> filters = List.of("", "params.p = 'a'", "metrics.k > 0", "metrics.m >= 0 and params.p = 'b'");
    List<List<Long>> experiments = List.of(List.of(1L), List.of(1L, 2L));
    int[][] pages = {{0, 1}, {0, 8}, {3, 7}, {40, 25}, {100, 101}, {150, 40}, {250, 60}, {0, 1001}, {2000, 40}};
    AtomicInteger routed = new AtomicInteger();
    AtomicInteger cases = new AtomicInteger();
    for (List<String> order : orders) {
      for (String filter : filters) {
        for (List<Long> exps : experiments) {
          for (ViewType view : new ViewType[] {ViewType.ACTIVE_ONLY, ViewType.ALL}) {
            for (int[] page : pages) {
              RunSearch.Plan plan = RunSearch.plan(T1, exps, filter, order, view, page[0], page[1]);
              assertThat(plan.topK().isPresent()).as("the route up to its depth").isEqualTo(page[0] + page[1] <= RunSearch.TopK.MAX_ROWS);
              List<String> full = ids(plan.full());
              boolean[] byFull = {false};
              List<String> viaPlan = plan.page(q -> {
                byFull[0] = true;
                return ids(q);
              }, RunSearchTopKTest::count, RunSearchTopKTest::candidates);
              if (!byFull[0]) {
                routed.incrementAndGet();
              }
              assertThat(viaPlan).as("order %s filter '%s' exps %s view %s offset %d limit %d", order, filter, exps,
                  view, page[0], page[1]).isEqualTo(full);
              assertThat(full).allMatch(id -> id.startsWith("t1"));
              cases.incrementAndGet();
            }
          }
        }
      }
    }
    // Both routes answered: the candidates' page for shallow pages in big enough experiments, the
    // full query for the rest (deep pages, pages reaching NaN or runs without the metric).
    assertThat(routed.get()).as("pages the route answered, of %d", cases.get())
        .isBetween(cases.get() / 4, cases.get() - cases.get() / 4);
  }

  @Test
  void ordersOtherThanOneMetricHaveNoRoute() {
    assertThat(RunSearch.plan(T1, List.of(1L), "", List.of("metrics.m", "params.p"), ViewType.ALL, 0, 10).topK()).isEmpty();
    assertThat(RunSearch.plan(T1, List.of(1L), "", List.of(), ViewType.ALL, 0, 10).topK()).isEmpty();
    assertThat(RunSearch.plan(T1, List.of(1L), "", List.of("params.p", "metrics.m"), ViewType.ALL, 0, 10).topK()).isEmpty();
    assertThat(RunSearch.plan(T1, List.of(1L), "", List.of("attributes.start_time", "metrics.m DESC"), ViewType.ALL, 0, 10)
        .topK()).isEmpty();
    assertThat(RunSearch.plan(T1, List.of(), "", List.of("metrics.m"), ViewType.ALL, 0, 10).topK()).isEmpty();
  }

  @Test
  void experimentsWithFewerRunsThanTheRoutesMinimumTakeTheFullQuery() {
    // Experiment 2 holds ~480 of tenant 1's runs, under TopK.MIN_RUNS; the other ~1,900 have the metric too.
    RunSearch.Plan plan = RunSearch.plan(T1, List.of(2L), "", List.of("metrics.m DESC"), ViewType.ALL, 0, 10);
    assertThat(count(plan.topK().orElseThrow().sizeProbe())).isLessThan(plan.topK().orElseThrow().minRuns());
    List<String> seen = new ArrayList<>();
    List<String> got = plan.page(q -> {
      seen.add(q.sql());
      return ids(q);
    }, RunSearchTopKTest::count, q -> {
      seen.add(q.sql());
      return candidates(q);
    });
    assertThat(seen).containsExactly(plan.full().sql());
    assertThat(got).isEqualTo(ids(plan.full())).hasSize(10);
    // Experiment 1's ~1,900 are over it: the route answers.
    RunSearch.Plan big = RunSearch.plan(T1, List.of(1L), "", List.of("metrics.m DESC"), ViewType.ALL, 0, 10);
    seen.clear();
    assertThat(big.page(q -> {
      seen.add(q.sql());
      return ids(q);
    }, RunSearchTopKTest::count, q -> {
      seen.add(q.sql());
      return candidates(q);
    })).isEqualTo(ids(big.full()));
    assertThat(seen).containsExactly(big.topK().orElseThrow().candidates().sql());
  }

  @Test
  void minusZeroTiesWithZeroAsInSql() {
    // PostgreSQL keeps -0.0 and orders it equal to 0.0 (start time breaks the tie); H2 stores 0.0.
    RunSearch.TopK k = RunSearch.plan(T1, List.of(1L), "", List.of("metrics.m ASC"), ViewType.ALL, 0, 3).topK().orElseThrow();
    List<RunSearch.TopK.Candidate> found = List.of(new RunSearch.TopK.Candidate("b", -0.0, 5L),
        new RunSearch.TopK.Candidate("a", 0.0, 5L), new RunSearch.TopK.Candidate("c", 0.0, 9L));
    assertThat(k.page(found)).hasValue(List.of("c", "a", "b"));
  }

  @Test
  void pagesDeeperThanTheRouteServesTakeTheFullQuery() {
    assertThat(RunSearch.plan(T1, List.of(1L), "", List.of("metrics.m"), ViewType.ALL, RunSearch.TopK.MAX_ROWS, 1).topK())
        .isEmpty();
    assertThat(RunSearch.plan(T1, List.of(1L), "", List.of("metrics.m"), ViewType.ALL, RunSearch.TopK.MAX_ROWS - 1, 1)
        .topK()).isPresent();
  }
}
