package io.atrium.tracking;

import static io.atrium.tracking.TrackingFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import io.atrium.testing.TestDatabases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** TrackingStore against a fresh H2 and (when available) PostgreSQL database per test. */
class TrackingStoreIT {
  @TempDir Path dataDir;

  static Iterable<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  private Database open(TestDatabases.Kind kind) {
    return Database.open(TestDatabases.config(kind, dataDir));
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void nonFiniteValuesAndNegativeStepsRoundTrip(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      TrackingStore store = new TrackingStore(db);
      TenantId acme = TrackingFixtures.tenant(db, "acme");
      String run = TrackingFixtures.experimentWithRun(db, acme, "churn");
      List<Metric> points =
          List.of(
              new Metric("loss", Double.NaN, T0, -5),
              new Metric("loss", Double.POSITIVE_INFINITY, T0 + 1, -1),
              new Metric("loss", Double.NEGATIVE_INFINITY, T0 + 2, 0),
              new Metric("loss", -0.25, T0 + 3, 1),
              new Metric("loss", Double.MAX_VALUE, T0 + 4, 2),
              new Metric("loss", -Double.MIN_VALUE, T0 + 5, Long.MIN_VALUE),
              new Metric("loss", 1.0, T0 + 6, Long.MAX_VALUE));
      db.inTenant(acme, h -> {
        store.metrics().logMetrics(h, acme, run, points);
        return null;
      });

      List<Metric> history = db.inTenant(acme, h -> store.metrics().metricHistory(h, acme, run, "loss", null, 100));
      // Ordered by step; record equality compares doubles bit-wise, so NaN == NaN here.
      List<Metric> expected = new ArrayList<>(points);
      expected.sort((a, b) -> Long.compare(a.step(), b.step()));
      assertThat(history).containsExactlyElementsOf(expected);
      Map<String, List<Metric>> ranged = new HashMap<>();
      db.inTenant(acme, h -> {
        store.metrics().forEachHistory(h, acme, List.of(run, "0".repeat(32)), "loss", -5L, 0L, (r, p) -> {
          List<Metric> list = new ArrayList<>();
          for (int i = 0; i < p.size(); i++) {
            list.add(p.get(i));
          }
          ranged.put(r, list);
        });
        return null;
      });
      assertThat(ranged).as("an unknown run has no history to hand over").containsOnlyKeys(run);
      assertThat(ranged.get(run)).containsExactly(points.get(0), points.get(1), points.get(2));
    }
  }

  /**
   * A runs/search page may hold up to 50,000 runs, so the store loads them in chunks of 1,000 ids
   * (under PostgreSQL's 32,767 bind parameters per statement); 2,500 runs cross chunk boundaries and
   * must still come back each with its own data, in the order asked, a repeated id answered twice
   * and another tenant's run not at all.
   */
  @ParameterizedTest
  @MethodSource("kinds")
  void aPageOfManyRunsLoadsWhole(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      TrackingStore store = new TrackingStore(db);
      TenantId acme = TrackingFixtures.tenant(db, "acme");
      TenantId globex = TrackingFixtures.tenant(db, "globex");
      String foreign = TrackingFixtures.experimentWithRun(db, globex, "churn");
      String first = TrackingFixtures.experimentWithRun(db, acme, "churn");
      List<String> ids = new ArrayList<>(List.of(first));
      db.inTenant(acme, h -> {
        for (int i = 1; i < 2_500; i++) {
          String run = TrackingFixtures.newRunId();
          store.insertRun(h, acme, TrackingFixtures.runInfo(run, 1, "run-" + i));
          store.insertParams(h, acme, run, Map.of("i", Integer.toString(i)));
          store.metrics().logMetrics(h, acme, run, List.of(new Metric("loss", 1.0 / i, T0, 0)));
          ids.add(run);
        }
        return null;
      });
      List<String> asked = new ArrayList<>(ids.reversed());
      asked.add(foreign);
      asked.add(ids.get(7));

      List<Run> runs = db.inTenant(acme, h -> store.runs(h, acme, asked));

      assertThat(runs).hasSize(ids.size() + 1);
      assertThat(runs.stream().map(r -> r.info().runUuid()).toList())
          .containsExactlyElementsOf(asked.stream().filter(id -> !id.equals(foreign)).toList());
      Run seventh = runs.get(runs.size() - 1);
      assertThat(seventh.params()).containsExactly(Map.entry("i", "7"));
      assertThat(seventh.metrics()).containsExactly(new Metric("loss", 1.0 / 7, T0, 0));
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void exactDuplicatePointsAreStoredOnce(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      TrackingStore store = new TrackingStore(db);
      TenantId acme = TrackingFixtures.tenant(db, "acme");
      String run = TrackingFixtures.experimentWithRun(db, acme, "churn");
      Metric a = new Metric("acc", 0.5, T0, 3);
      Metric nan = new Metric("acc", Double.NaN, T0, 3);
      Metric inf = new Metric("acc", Double.POSITIVE_INFINITY, T0, 3);
      // Same batch twice over, then a client's retry of the whole batch.
      for (int i = 0; i < 2; i++) {
        db.inTenant(acme, h -> {
          store.metrics().logMetrics(h, acme, run, List.of(a, nan, inf, a, nan, inf));
          return null;
        });
      }
      // Differs from `a` only in value, timestamp or step: each is a distinct point.
      db.inTenant(acme, h -> {
        store.metrics().logMetrics(h, acme, run,
            List.of(new Metric("acc", 0.0, T0, 3), new Metric("acc", 0.5, T0 + 1, 3), new Metric("acc", 0.5, T0, 4)));
        return null;
      });
      List<Metric> history = db.inTenant(acme, h -> store.metrics().metricHistory(h, acme, run, "acc", null, 100));
      assertThat(history).hasSize(6).doesNotHaveDuplicates();
      // NaN is stored as value 0 with is_nan; it must not be confused with a real 0.0 at the same point.
      assertThat(history).contains(nan, new Metric("acc", 0.0, T0, 3));
      // Keyset pages of any size walk the same points in the same order, ties of step and time included.
      for (int size : new int[] {1, 2, 5}) {
        List<Metric> walked = new ArrayList<>();
        MetricStore.HistoryCursor after = null;
        while (true) {
          MetricStore.HistoryCursor from = after;
          List<Metric> page = db.inTenant(acme, h -> store.metrics().metricHistory(h, acme, run, "acc", from, size));
          walked.addAll(page);
          if (page.size() < size) {
            break;
          }
          after = MetricStore.HistoryCursor.after(page.getLast());
        }
        assertThat(walked).as("pages of " + size).containsExactlyElementsOf(history);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void latestMetricFollowsStepThenTimestampThenValue(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      TrackingStore store = new TrackingStore(db);
      TenantId acme = TrackingFixtures.tenant(db, "acme");
      String run = TrackingFixtures.experimentWithRun(db, acme, "churn");
      Map<String, Metric> latest = new HashMap<>();
      // Each key gets its points in separate calls (so the stored latest is compared with a new one)
      // and the expected winner is logged first, so "last write wins" would fail.
      Map<String, List<Metric>> cases = new LinkedHashMap<>();
      cases.put("step_wins", List.of(new Metric("step_wins", 1.0, T0, 10), new Metric("step_wins", 9.0, T0 + 99, 9)));
      cases.put("ts_wins", List.of(new Metric("ts_wins", 1.0, T0 + 5, 10), new Metric("ts_wins", 9.0, T0 + 4, 10)));
      cases.put("value_wins", List.of(new Metric("value_wins", 2.0, T0, 10), new Metric("value_wins", 1.0, T0, 10),
          new Metric("value_wins", Double.NEGATIVE_INFINITY, T0, 10)));
      cases.put("inf_wins", List.of(new Metric("inf_wins", Double.POSITIVE_INFINITY, T0, 1),
          new Metric("inf_wins", Double.MAX_VALUE, T0, 1)));
      cases.put("nan_at_later_step", List.of(new Metric("nan_at_later_step", Double.NaN, T0, 2),
          new Metric("nan_at_later_step", 100.0, T0 + 50, 1)));
      // At equal step and timestamp a real positive value beats NaN (MLflow compares NaN as 0,
      // Atrium as smallest: both agree here).
      cases.put("value_beats_nan", List.of(new Metric("value_beats_nan", 0.5, T0, 2),
          new Metric("value_beats_nan", Double.NaN, T0, 2)));
      cases.put("negative_steps", List.of(new Metric("negative_steps", 1.0, T0, -1),
          new Metric("negative_steps", 2.0, T0 + 1, -2)));
      cases.forEach((key, points) -> {
        latest.put(key, points.get(0));
        for (Metric m : points) {
          db.inTenant(acme, h -> {
            store.metrics().logMetrics(h, acme, run, List.of(m));
            return null;
          });
        }
      });
      // The same, all keys in one batch and in reverse order: the in-batch reduction must agree.
      String run2 = db.inTenant(acme, h -> {
        String id = TrackingFixtures.newRunId();
        store.insertRun(h, acme, TrackingFixtures.runInfo(id, 1, "batch"));
        List<Metric> all = new ArrayList<>();
        cases.values().forEach(all::addAll);
        store.metrics().logMetrics(h, acme, id, all.reversed());
        return id;
      });

      for (String r : List.of(run, run2)) {
        Run loaded = db.inTenant(acme, h -> store.runs(h, acme, List.of(r))).get(0);
        Map<String, Metric> byKey = new HashMap<>();
        loaded.metrics().forEach(m -> byKey.put(m.key(), m));
        assertThat(byKey).as("latest metrics of %s", r).isEqualTo(latest);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void paramsAreWrittenOnceAndTagsUpsert(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      TrackingStore store = new TrackingStore(db);
      TenantId acme = TrackingFixtures.tenant(db, "acme");
      String run = TrackingFixtures.experimentWithRun(db, acme, "churn");
      db.inTenant(acme, h -> {
        store.insertParams(h, acme, run, Map.of("lr", "0.001", "optimizer", "adamw"));
        store.setTags(h, acme, run, Map.of("mlflow.user", "ann", "stage", "dev"));
        return null;
      });
      db.inTenant(acme, h -> {
        store.setTags(h, acme, run, Map.of("stage", "prod", "owner", "team-ml"));
        assertThat(store.deleteTag(h, acme, run, "mlflow.user")).isTrue();
        assertThat(store.deleteTag(h, acme, run, "mlflow.user")).isFalse();
        return null;
      });
      // Params are immutable in MLflow: the service checks before inserting, the key is the backstop.
      assertThatThrownBy(() -> db.inTenant(acme, h -> {
            store.insertParams(h, acme, run, Map.of("lr", "0.1"));
            return null;
          }))
          .isInstanceOf(UnableToExecuteStatementException.class);

      Run loaded = db.inTenant(acme, h -> store.runs(h, acme, List.of(run))).get(0);
      assertThat(loaded.params()).isEqualTo(Map.of("lr", "0.001", "optimizer", "adamw"));
      assertThat(loaded.tags()).isEqualTo(Map.of("stage", "prod", "owner", "team-ml"));
      Map<String, String> some = db.inTenant(acme, h -> store.params(h, acme, run, List.of("lr", "missing")));
      assertThat(some).isEqualTo(Map.of("lr", "0.001"));
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void experimentIdsAreDensePerTenantAfterTheirOwnDefault(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      TrackingStore store = new TrackingStore(db);
      TenantId acme = TrackingFixtures.tenant(db, "acme");
      TenantId globex = TrackingFixtures.tenant(db, "globex");
      Map<TenantId, List<Long>> ids = new LinkedHashMap<>();
      // Interleaved, so a shared counter would hand out 1, 3, 5 and 2, 4, 6.
      for (int i = 1; i <= 3; i++) {
        for (TenantId t : List.of(acme, globex)) {
          String name = "exp-" + i;
          long id = db.inTenant(t, h -> {
            long next = store.nextExperimentId(h, t);
            store.insertExperiment(h, t, next, name, TrackingStore.artifactLocation(next), T0);
            return next;
          });
          ids.computeIfAbsent(t, k -> new ArrayList<>()).add(id);
        }
      }
      assertThat(ids.get(acme)).containsExactly(1L, 2L, 3L);
      assertThat(ids.get(globex)).containsExactly(1L, 2L, 3L);
      for (TenantId t : List.of(acme, globex)) {
        Experiment def = db.inTenant(t, h -> store.experiment(h, t, TrackingStore.DEFAULT_EXPERIMENT_ID)).orElseThrow();
        assertThat(def.name()).isEqualTo("Default");
        assertThat(def.artifactLocation()).isEqualTo("mlflow-artifacts:/0");
        assertThat(def.active()).isTrue();
        assertThat(db.inTenant(t, h -> store.experimentByName(h, t, "exp-2")).orElseThrow().id()).isEqualTo(2L);
        List<Experiment> inOrder = db.inTenant(t, h -> store.experiments(h, t, List.of(3L, 0L, 99L, 1L)));
        assertThat(inOrder)
            .extracting(Experiment::id)
            .containsExactly(3L, 0L, 1L);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void realisticRunRoundTrips(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      TrackingStore store = new TrackingStore(db);
      TenantId acme = TrackingFixtures.tenant(db, "acme");
      TenantId globex = TrackingFixtures.tenant(db, "globex");
      String run = TrackingFixtures.experimentWithRun(db, acme, "llm-finetune");
      String other = TrackingFixtures.experimentWithRun(db, globex, "llm-finetune");
      Map<String, String> params = TrackingFixtures.params(50);
      List<Metric> history = TrackingFixtures.metricHistory(20, 1000);
      db.inTenant(acme, h -> {
        store.insertParams(h, acme, run, params);
        store.setTags(h, acme, run, Map.of("mlflow.runName", "llm-finetune-run", "mlflow.source.type", "LOCAL"));
        // The mlflow client sends at most 1,000 metrics per log-batch.
        for (int i = 0; i < history.size(); i += 1000) {
          store.metrics().logMetrics(h, acme, run, history.subList(i, i + 1000));
        }
        return null;
      });

      List<Run> runs = db.inTenant(acme, h -> store.runs(h, acme, List.of(run, other, "0".repeat(32))));
      assertThat(runs).as("the other tenant's run and an unknown id are skipped").hasSize(1);
      Run loaded = runs.get(0);
      assertThat(loaded.info()).isEqualTo(TrackingFixtures.runInfo(run, 1, "llm-finetune-run"));
      assertThat(loaded.params()).isEqualTo(params);
      assertThat(loaded.tags()).hasSize(2);
      assertThat(loaded.inputs()).isEmpty();
      assertThat(loaded.metrics()).hasSize(20).allSatisfy(m -> {
        assertThat(m.step()).isEqualTo(999);
        assertThat(m.timestamp()).isEqualTo(T0 + 999_000L);
      });
      assertThat(loaded.metrics()).containsAll(history.stream().filter(m -> m.step() == 999).toList());

      String key = TrackingFixtures.metricKey(7);
      List<Metric> expected = history.stream().filter(m -> m.key().equals(key)).toList();
      List<Metric> page1 = db.inTenant(acme, h -> store.metrics().metricHistory(h, acme, run, key, null, 600));
      var after = MetricStore.HistoryCursor.after(page1.getLast());
      List<Metric> page2 = db.inTenant(acme, h -> store.metrics().metricHistory(h, acme, run, key, after, 600));
      List<Metric> byOffset = db.inTenant(acme, h -> store.metrics().metricHistoryAt(h, acme, run, key, 600, 600));
      assertThat(byOffset).as("an offset token from before keyset paging reads the same page").isEqualTo(page2);
      List<Metric> all = new ArrayList<>(page1);
      all.addAll(page2);
      assertThat(all).containsExactlyElementsOf(expected);

      Run untouched = db.inTenant(globex, h -> store.runs(h, globex, List.of(other))).get(0);
      assertThat(untouched.params()).isEmpty();
      assertThat(untouched.metrics()).isEmpty();
      assertThat(untouched.tags()).isEmpty();
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void failedTransactionLeavesNothingBehind(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      TrackingStore store = new TrackingStore(db);
      TenantId acme = TrackingFixtures.tenant(db, "acme");
      String existing = TrackingFixtures.experimentWithRun(db, acme, "churn");
      String doomed = TrackingFixtures.newRunId();
      RuntimeException boom = new IllegalStateException("client went away mid-batch");
      assertThatThrownBy(() -> db.inTenant(acme, h -> {
            long exp = store.nextExperimentId(h, acme);
            store.insertExperiment(h, acme, exp, "doomed", TrackingStore.artifactLocation(exp), T0);
            store.insertRun(h, acme, TrackingFixtures.runInfo(doomed, exp, "doomed-run"));
            store.insertParams(h, acme, doomed, TrackingFixtures.params(5));
            store.metrics().logMetrics(h, acme, doomed, TrackingFixtures.metricHistory(2, 10));
            store.metrics().logMetrics(h, acme, existing, List.of(new Metric("loss", 1.0, T0, 0)));
            store.setTags(h, acme, existing, Map.of("note", "half-written"));
            throw boom;
          }))
          .isSameAs(boom);

      Optional<Experiment> doomedExperiment = db.inTenant(acme, h -> store.experimentByName(h, acme, "doomed"));
      List<Run> doomedRuns = db.inTenant(acme, h -> store.runs(h, acme, List.of(doomed)));
      assertThat(doomedExperiment).isEmpty();
      assertThat(doomedRuns).isEmpty();
      for (String table : List.of("runs", "params", "metrics", "latest_metrics", "tags")) {
        long rows = db.inTenant(acme, h -> h.createQuery("SELECT COUNT(*) FROM " + table + " WHERE tenant_id = :t")
            .bind("t", acme.value()).mapTo(Long.class).one());
        assertThat(rows).as(table).isEqualTo(table.equals("runs") ? 1 : 0);
      }
      // The experiment counter rolled back too: the next id is still 2, with no gap.
      long next = db.inTenant(acme, h -> store.nextExperimentId(h, acme));
      assertThat(next).isEqualTo(2L);
    }
  }
}
