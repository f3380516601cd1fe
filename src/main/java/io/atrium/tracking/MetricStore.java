package io.atrium.tracking;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.db.Dialect;
import io.atrium.tenancy.TenantId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.StatementException;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * SQL for metric points: appending them (and keeping each key's latest value), reading a metric's
 * history, and linking points to MLflow 3 logged models. Split from {@link TrackingStore} along the
 * seam of the metrics tables; the same rules hold: the tenant comes first, every statement names
 * {@code tenant_id}, and everything runs inside {@link Database#inTenant}.
 */
public final class MetricStore {
  private final Database db;

  MetricStore(Database db) {
    this.db = requireNonNull(db);
  }

  static Metric metric(ResultSet rs) throws SQLException {
    boolean nan = rs.getBoolean("is_nan");
    return new Metric(rs.getString("metric_key"), nan ? Double.NaN : rs.getDouble("metric_value"), rs.getLong("ts"),
        rs.getLong("step"));
  }

  /**
   * Appends metric points (an exact duplicate of a stored point is ignored, as in MLflow, which also
   * makes a client's retry of the same batch harmless) and moves each key's latest value forward.
   */
  public void logMetrics(Handle h, TenantId tenant, String runId, List<Metric> metrics) {
    if (metrics.isEmpty()) {
      return;
    }
    Map<String, Metric> newest = new LinkedHashMap<>();
    for (Metric m : metrics) {
      newest.merge(m.key(), m, (a, c) -> newer(c, a) ? c : a);
    }
    if (db.dialect() == Dialect.POSTGRES) {
      insertPointsAsArrays(h, tenant, runId, metrics);
    } else {
      // H2 has no "insert if absent" cheaper than MERGE ... KEY, which searches for the row to
      // update before it inserts. Duplicates are rare (a client's retry), so insert plainly and only
      // when a point already exists go back to the savepoint and merge the whole batch.
      h.savepoint(POINTS_SAVEPOINT);
      try {
        insertPoints(h, tenant, runId, metrics,
            """
            INSERT INTO metrics (tenant_id, run_uuid, metric_key, metric_value, ts, step, is_nan)
            VALUES (?, ?, ?, ?, ?, ?, ?)""");
        h.releaseSavepoint(POINTS_SAVEPOINT);
      } catch (StatementException e) {
        if (!Database.isDuplicateKey(e)) {
          throw e;
        }
        h.rollbackToSavepoint(POINTS_SAVEPOINT); // Jdbi forgets the savepoint here: no release after it
        // Every column is part of the key, so MERGE ... KEY is exactly "insert if absent".
        insertPoints(h, tenant, runId, metrics,
            """
            MERGE INTO metrics (tenant_id, run_uuid, metric_key, metric_value, ts, step, is_nan)
            KEY (tenant_id, run_uuid, metric_key, step, ts, metric_value, is_nan)
            VALUES (?, ?, ?, ?, ?, ?, ?)""");
      }
    }
    if (db.dialect() == Dialect.POSTGRES) {
      upsertLatest(h, tenant, runId, newest.values());
      return;
    }
    Map<String, Metric> current = new HashMap<>();
    h.createQuery(
            """
            SELECT metric_key, metric_value, ts, step, is_nan FROM latest_metrics
            WHERE tenant_id = :t AND run_uuid = :r AND metric_key IN (<k>) FOR UPDATE""")
        .bind("t", tenant.value())
        .bind("r", runId)
        .bindList("k", List.copyOf(newest.keySet()))
        .map((rs, ctx) -> metric(rs))
        .forEach(m -> current.put(m.key(), m));
    PreparedBatch inserts =
        h.prepareBatch(
            """
            INSERT INTO latest_metrics (tenant_id, run_uuid, metric_key, metric_value, ts, step, is_nan)
            VALUES (:t, :r, :k, :v, :ts, :step, :nan)""");
    PreparedBatch updates =
        h.prepareBatch(
            """
            UPDATE latest_metrics SET metric_value = :v, ts = :ts, step = :step, is_nan = :nan
            WHERE tenant_id = :t AND run_uuid = :r AND metric_key = :k""");
    int ins = 0;
    int upd = 0;
    for (Metric m : newest.values()) {
      Metric cur = current.get(m.key());
      if (cur != null && !newer(m, cur)) {
        continue;
      }
      boolean nan = Double.isNaN(m.value());
      PreparedBatch target = cur == null ? inserts : updates;
      target.bind("t", tenant.value()).bind("r", runId).bind("k", m.key()).bind("v", nan ? 0.0 : m.value())
          .bind("ts", m.timestamp()).bind("step", m.step()).bind("nan", nan).add();
      if (cur == null) {
        ins++;
      } else {
        upd++;
      }
    }
    if (ins > 0) {
      inserts.execute();
    }
    if (upd > 0) {
      updates.execute();
    }
  }

  /**
   * PostgreSQL: each key's latest value moves forward in one statement per batch, instead of reading
   * the current values (SELECT ... FOR UPDATE) and then inserting or updating them. The WHERE is
   * {@link #newer} in SQL: greater step, then greater timestamp, then greater value, a NaN never
   * newer than a number at the same step and time. The row lock ON CONFLICT takes serializes
   * concurrent writers of one key as the FOR UPDATE did.
   */
  private static void upsertLatest(Handle h, TenantId tenant, String runId, Collection<Metric> newest) {
    PreparedBatch b =
        h.prepareBatch(
            """
            INSERT INTO latest_metrics AS cur (tenant_id, run_uuid, metric_key, metric_value, ts, step, is_nan)
            VALUES (:t, :r, :k, :v, :ts, :step, :nan)
            ON CONFLICT (tenant_id, run_uuid, metric_key) DO UPDATE
              SET metric_value = EXCLUDED.metric_value, ts = EXCLUDED.ts, step = EXCLUDED.step, is_nan = EXCLUDED.is_nan
              WHERE EXCLUDED.step > cur.step
                 OR (EXCLUDED.step = cur.step
                     AND (EXCLUDED.ts > cur.ts
                          OR (EXCLUDED.ts = cur.ts AND NOT EXCLUDED.is_nan
                              AND (cur.is_nan OR EXCLUDED.metric_value > cur.metric_value))))""");
    for (Metric m : newest) {
      boolean nan = Double.isNaN(m.value());
      b.bind("t", tenant.value()).bind("r", runId).bind("k", m.key()).bind("v", nan ? 0.0 : m.value())
          .bind("ts", m.timestamp()).bind("step", m.step()).bind("nan", nan).add();
    }
    b.execute();
  }

  private static final String POINTS_SAVEPOINT = "metric_points";

  /**
   * H2: one JDBC batch on the transaction's connection, parameters by position. Jdbi's named binding
   * looked up an argument factory for each of a point's seven values: a fifth of the server's
   * allocation and a tenth of its CPU while ingesting 1,000-point batches.
   */
  private void insertPoints(Handle h, TenantId tenant, String runId, List<Metric> metrics, String sql) {
    try (PreparedStatement ps = h.getConnection().prepareStatement(sql)) {
      for (Metric m : metrics) {
        boolean nan = Double.isNaN(m.value());
        ps.setLong(1, tenant.value());
        ps.setString(2, runId);
        ps.setString(3, m.key());
        ps.setDouble(4, nan ? 0.0 : m.value());
        ps.setLong(5, m.timestamp());
        ps.setLong(6, m.step());
        ps.setBoolean(7, nan);
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw new UnableToExecuteStatementException(e, null);
    }
    db.changedDirectly();
  }

  /**
   * PostgreSQL: every point of the batch in one statement, as five arrays that {@code unnest} turns
   * back into rows. The driver's rewritten batch sent a 1,000-point log-batch as eight multi-row
   * INSERTs of up to 128 rows and 896 parameters each; this binds seven values instead of 7,000.
   * PostgreSQL's CPU, not Atrium's, bounds W1 there (1.2 cores against Atrium's 0.4), and most of it
   * is the insert itself: W1 with 8 clients went from 52.7k to 59.2k points/s in {@code bin/bench
   * all}. An exact duplicate, also within the batch, is skipped by ON CONFLICT DO NOTHING.
   */
  private void insertPointsAsArrays(Handle h, TenantId tenant, String runId, List<Metric> metrics) {
    int n = metrics.size();
    String[] keys = new String[n];
    Double[] values = new Double[n];
    Long[] timestamps = new Long[n];
    Long[] steps = new Long[n];
    Boolean[] nans = new Boolean[n];
    for (int i = 0; i < n; i++) {
      Metric m = metrics.get(i);
      boolean nan = Double.isNaN(m.value());
      keys[i] = m.key();
      values[i] = nan ? 0.0 : m.value();
      timestamps[i] = m.timestamp();
      steps[i] = m.step();
      nans[i] = nan;
    }
    Connection c = h.getConnection();
    try (PreparedStatement ps = c.prepareStatement(
        """
        INSERT INTO metrics (tenant_id, run_uuid, metric_key, metric_value, ts, step, is_nan)
        SELECT ?, ?, u.k, u.v, u.ts, u.s, u.n
        FROM unnest(?::varchar[], ?::float8[], ?::bigint[], ?::bigint[], ?::boolean[]) AS u (k, v, ts, s, n)
        ON CONFLICT DO NOTHING""")) {
      ps.setLong(1, tenant.value());
      ps.setString(2, runId);
      ps.setArray(3, c.createArrayOf("varchar", keys));
      ps.setArray(4, c.createArrayOf("float8", values));
      ps.setArray(5, c.createArrayOf("int8", timestamps));
      ps.setArray(6, c.createArrayOf("int8", steps));
      ps.setArray(7, c.createArrayOf("bool", nans));
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new UnableToExecuteStatementException(e, null);
    }
    db.changedDirectly();
  }

  /** MLflow's "latest": greater step, then greater timestamp, then greater value (NaN counts as smallest). */
  static boolean newer(Metric a, Metric b) {
    if (a.step() != b.step()) {
      return a.step() > b.step();
    }
    if (a.timestamp() != b.timestamp()) {
      return a.timestamp() > b.timestamp();
    }
    if (Double.isNaN(a.value())) {
      return false;
    }
    return Double.isNaN(b.value()) || a.value() > b.value();
  }

  /**
   * A metric's history in the primary key's order, every key column named from the first: the
   * leading three are fixed by the WHERE clause, but H2 reads an index in order only for an ORDER
   * BY that names its columns from the first, and sorted the whole history otherwise. A page of
   * 25,000 points of a 1,000,000-point history took 2.2-2.4 s on H2, every page alike, where it
   * reads only its own points now; PostgreSQL drops the fixed columns either way.
   */
  private static final String HISTORY_ORDER = "tenant_id, run_uuid, metric_key, step, ts, metric_value, is_nan";

  /**
   * Where a page of a metric's history starts: after the point {@code (step, ts, storedValue, nan)}
   * in the primary key's order. A NaN point is stored as value 0 with {@code is_nan}, so it sorts
   * where a 0 would, before a real 0 at the same step and time (MLflow's SQL store sorts it as 0 too).
   */
  public record HistoryCursor(long step, long timestamp, double storedValue, boolean nan) {
    static HistoryCursor after(Metric m) {
      boolean nan = Double.isNaN(m.value());
      return new HistoryCursor(m.step(), m.timestamp(), nan ? 0.0 : m.value(), nan);
    }
  }

  /**
   * One page of a metric's history in the primary key's order (step, timestamp, value), starting
   * after {@code after} (null: from the start). The order is the index's, and the page starts with an
   * index seek: no sort of the whole history and no skipping over earlier pages, which made the last
   * page of a 100,000-point history cost as much as reading all of it.
   */
  public List<Metric> metricHistory(
      Handle h, TenantId tenant, String runId, String key, HistoryCursor after, int limit) {
    String keyset = "";
    if (after != null) {
      // "step >= :s" is the range the index seeks to; the rest drops the points of that step up to the cursor.
      keyset = " AND step >= :s AND (step > :s OR ts > :ts OR (ts = :ts AND (metric_value > :v"
          + (after.nan() ? "" : " OR (metric_value = :v AND is_nan)") + ")))";
    }
    var q = h.createQuery(
            "SELECT metric_key, metric_value, ts, step, is_nan FROM metrics"
                + " WHERE tenant_id = :t AND run_uuid = :r AND metric_key = :k" + keyset
                + " ORDER BY " + HISTORY_ORDER + " LIMIT :limit")
        .bind("t", tenant.value())
        .bind("r", runId)
        .bind("k", key)
        .bind("limit", limit);
    if (after != null) {
      q.bind("s", after.step()).bind("ts", after.timestamp()).bind("v", after.storedValue());
    }
    return q.map((rs, ctx) -> metric(rs)).list();
  }

  /** A page of a metric's history by offset (page tokens given out before keyset paging). */
  public List<Metric> metricHistoryAt(Handle h, TenantId tenant, String runId, String key, int offset, int limit) {
    return h.createQuery(
            """
            SELECT metric_key, metric_value, ts, step, is_nan FROM metrics
            WHERE tenant_id = :t AND run_uuid = :r AND metric_key = :k
            ORDER BY %s
            LIMIT :limit OFFSET :offset""".formatted(HISTORY_ORDER))
        .bind("t", tenant.value())
        .bind("r", runId)
        .bind("k", key)
        .bind("limit", limit)
        .bind("offset", offset)
        .map((rs, ctx) -> metric(rs))
        .list();
  }

  /** One run's points of one metric in history order, column by column (a NaN value is NaN). */
  public record Points(String key, long[] steps, long[] timestamps, double[] values, int size) {
    public Metric get(int i) {
      return new Metric(key, values[i], timestamps[i], steps[i]);
    }
  }

  /**
   * Hands each of {@code runIds}' points of a metric in [startStep, endStep] to {@code perRun}, in
   * history order, one run at a time (so only one run's points are in memory at once). One statement
   * per run reads its points in the index's order; reading the distinct steps first and then the
   * chosen points took two, and one statement for all runs made both databases sort every point;
   * numbering the steps with window functions to send only the sampled points cost PostgreSQL ten
   * times the plain read (3-5 ms a run of 1,000 points against 0.4 ms).
   *
   * <p>The rows are read on the transaction's connection by position into arrays, one statement
   * prepared once for all the runs: get-history-bulk-interval reads 100,000 rows for 100 runs, and
   * Jdbi's per-row mapping by column name into a record per point was half of that route's CPU in
   * Atrium. Runs without such points (another tenant's, unknown ones) are not handed over.
   */
  public void forEachHistory(Handle h, TenantId tenant, Collection<String> runIds, String key, Long startStep,
      Long endStep, BiConsumer<String, Points> perRun) {
    try (PreparedStatement ps = h.getConnection().prepareStatement(
        """
        SELECT step, ts, metric_value, is_nan FROM metrics
        WHERE tenant_id = ? AND run_uuid = ? AND metric_key = ? AND step >= ? AND step <= ?
        ORDER BY %s""".formatted(HISTORY_ORDER))) {
      ps.setLong(1, tenant.value());
      ps.setString(3, key);
      ps.setLong(4, startStep == null ? Long.MIN_VALUE : startStep);
      ps.setLong(5, endStep == null ? Long.MAX_VALUE : endStep);
      for (String runId : runIds) {
        ps.setString(2, runId);
        int n = 0;
        long[] steps = new long[1024];
        long[] timestamps = new long[1024];
        double[] values = new double[1024];
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (n == steps.length) {
              steps = Arrays.copyOf(steps, 2 * n);
              timestamps = Arrays.copyOf(timestamps, 2 * n);
              values = Arrays.copyOf(values, 2 * n);
            }
            steps[n] = rs.getLong(1);
            timestamps[n] = rs.getLong(2);
            values[n] = rs.getBoolean(4) ? Double.NaN : rs.getDouble(3);
            n++;
          }
        }
        if (n > 0) {
          perRun.accept(runId, new Points(key, steps, timestamps, values, n));
        }
      }
    } catch (SQLException e) {
      throw new UnableToExecuteStatementException(e, null);
    }
  }

  /**
   * Links metric points of {@code run} to their logged models (MLflow's logged_model_metrics). A
   * point already linked (same model, name, timestamp, step and run) is kept as it was, as in MLflow.
   */
  public void logModelMetrics(Handle h, TenantId tenant, RunInfo run, List<ModelMetric> metrics) {
    if (metrics.isEmpty()) {
      return;
    }
    Map<List<Object>, ModelMetric> unique = new LinkedHashMap<>();
    for (ModelMetric m : metrics) {
      unique.putIfAbsent(List.of(m.modelId(), m.metric().key(), m.metric().timestamp(), m.metric().step()), m);
    }
    PreparedBatch b =
        h.prepareBatch(
            """
            INSERT INTO logged_model_metrics (tenant_id, model_id, metric_name, metric_timestamp_ms, metric_step,
                                              run_uuid, metric_value, is_nan, experiment_id, dataset_name,
                                              dataset_digest)
            SELECT :t, :m, :k, :ts, :step, :r, :v, :nan, :exp, :dn, :dd FROM (VALUES (1)) AS one(x)
            WHERE NOT EXISTS (SELECT 1 FROM logged_model_metrics WHERE tenant_id = :t AND model_id = :m
                              AND metric_name = :k AND metric_timestamp_ms = :ts AND metric_step = :step
                              AND run_uuid = :r)""");
    for (ModelMetric mm : unique.values()) {
      Metric m = mm.metric();
      boolean nan = Double.isNaN(m.value());
      b.bind("t", tenant.value()).bind("m", mm.modelId()).bind("k", m.key()).bind("ts", m.timestamp())
          .bind("step", m.step()).bind("r", run.runUuid()).bind("v", nan ? 0.0 : m.value()).bind("nan", nan)
          .bind("exp", run.experimentId()).bind("dn", mm.datasetName()).bind("dd", mm.datasetDigest()).add();
    }
    b.execute();
  }
}
