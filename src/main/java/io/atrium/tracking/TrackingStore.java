package io.atrium.tracking;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import io.atrium.tracking.search.RunSearch;
import io.atrium.tracking.search.SqlQuery;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * SQL for experiments, runs and their data. Every method takes the tenant first and runs inside
 * {@link Database#inTenant}; every statement also names {@code tenant_id} itself, so isolation does
 * not rest on row-level security alone (and holds on H2, which has none).
 */
public final class TrackingStore {
  public static final long DEFAULT_EXPERIMENT_ID = 0;
  private static final String EXPERIMENT_SEQ = "experiment";

  private static final RowMapper<Experiment> EXPERIMENT =
      (rs, ctx) ->
          new Experiment(
              rs.getLong("experiment_id"),
              rs.getString("name"),
              rs.getString("artifact_location"),
              rs.getString("lifecycle_stage"),
              rs.getLong("creation_time"),
              rs.getLong("last_update_time"),
              Map.of());

  private static final RowMapper<RunInfo> RUN_INFO =
      (rs, ctx) ->
          new RunInfo(
              rs.getString("run_uuid"),
              rs.getLong("experiment_id"),
              rs.getString("name"),
              rs.getString("user_id"),
              rs.getString("status"),
              nullableLong(rs, "start_time"),
              nullableLong(rs, "end_time"),
              rs.getString("artifact_uri"),
              rs.getString("lifecycle_stage"));

  private final Database db;

  private final MetricStore metrics;

  public TrackingStore(Database db) {
    this.db = requireNonNull(db);
    this.metrics = new MetricStore(db);
  }

  /** Metric points, histories and logged-model metrics. */
  public MetricStore metrics() {
    return metrics;
  }

  private static Long nullableLong(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : v;
  }

  public <R> R read(TenantId tenant, Database.Tx<R> work) {
    return db.inTenant(tenant, work);
  }

  public <R> R write(TenantId tenant, Database.Tx<R> work) {
    return db.inTenant(tenant, work);
  }

  // ---------------------------------------------------------------- tenants

  /** Every tenant starts with its own Default experiment, id 0, as the mlflow client expects. */
  public void initializeTenant(Handle h, TenantId tenant) {
    h.createUpdate("INSERT INTO tenant_sequences (tenant_id, seq_name, next_value) VALUES (:t, :s, 1)")
        .bind("t", tenant.value())
        .bind("s", EXPERIMENT_SEQ)
        .execute();
    long now = System.currentTimeMillis();
    insertExperiment(h, tenant, DEFAULT_EXPERIMENT_ID, "Default", artifactLocation(DEFAULT_EXPERIMENT_ID), now);
  }

  public static String artifactLocation(long experimentId) {
    return "mlflow-artifacts:/" + experimentId;
  }

  // ---------------------------------------------------------------- experiments

  public long nextExperimentId(Handle h, TenantId tenant) {
    // The row lock taken by this UPDATE serializes experiment creation within one tenant only.
    h.createUpdate("UPDATE tenant_sequences SET next_value = next_value + 1 WHERE tenant_id = :t AND seq_name = :s")
        .bind("t", tenant.value())
        .bind("s", EXPERIMENT_SEQ)
        .execute();
    return h.createQuery("SELECT next_value - 1 FROM tenant_sequences WHERE tenant_id = :t AND seq_name = :s")
        .bind("t", tenant.value())
        .bind("s", EXPERIMENT_SEQ)
        .mapTo(Long.class)
        .one();
  }

  public void insertExperiment(Handle h, TenantId tenant, long id, String name, String artifactLocation, long now) {
    h.createUpdate(
            """
            INSERT INTO experiments (tenant_id, experiment_id, name, artifact_location, lifecycle_stage,
                                     creation_time, last_update_time)
            VALUES (:t, :id, :name, :loc, 'active', :now, :now)""")
        .bind("t", tenant.value())
        .bind("id", id)
        .bind("name", name)
        .bind("loc", artifactLocation)
        .bind("now", now)
        .execute();
  }

  public Optional<Experiment> experiment(Handle h, TenantId tenant, long id) {
    return h.createQuery("SELECT * FROM experiments WHERE tenant_id = :t AND experiment_id = :id")
        .bind("t", tenant.value())
        .bind("id", id)
        .map(EXPERIMENT)
        .findOne()
        .map(e -> withTags(h, tenant, e));
  }

  /** The experiment's row alone (its tags left empty): enough to check that it exists and is active. */
  public Optional<Experiment> experimentWithoutTags(Handle h, TenantId tenant, long id) {
    return h.createQuery("SELECT * FROM experiments WHERE tenant_id = :t AND experiment_id = :id")
        .bind("t", tenant.value())
        .bind("id", id)
        .map(EXPERIMENT)
        .findOne();
  }

  public Optional<Experiment> experimentByName(Handle h, TenantId tenant, String name) {
    return h.createQuery("SELECT * FROM experiments WHERE tenant_id = :t AND name = :name")
        .bind("t", tenant.value())
        .bind("name", name)
        .map(EXPERIMENT)
        .findOne()
        .map(e -> withTags(h, tenant, e));
  }

  /** Experiments by id, in the order of {@code ids}. */
  public List<Experiment> experiments(Handle h, TenantId tenant, List<Long> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    Map<Long, Experiment> byId = new HashMap<>();
    h.createQuery("SELECT * FROM experiments WHERE tenant_id = :t AND experiment_id IN (<ids>)")
        .bind("t", tenant.value())
        .bindList("ids", ids)
        .map(EXPERIMENT)
        .forEach(e -> byId.put(e.id(), e));
    Map<Long, Map<String, String>> tags = new HashMap<>();
    h.createQuery(
            "SELECT experiment_id, tag_key, tag_value FROM experiment_tags WHERE tenant_id = :t AND experiment_id IN (<ids>)")
        .bind("t", tenant.value())
        .bindList("ids", ids)
        .map((rs, ctx) -> new Object[] {rs.getLong(1), rs.getString(2), rs.getString(3)})
        .forEach(r -> tags.computeIfAbsent((Long) r[0], k -> new TreeMap<>()).put((String) r[1], (String) r[2]));
    List<Experiment> out = new ArrayList<>();
    for (Long id : ids) {
      Experiment e = byId.get(id);
      if (e != null) {
        out.add(new Experiment(e.id(), e.name(), e.artifactLocation(), e.lifecycleStage(), e.creationTime(),
            e.lastUpdateTime(), tags.getOrDefault(id, Map.of())));
      }
    }
    return out;
  }

  private Experiment withTags(Handle h, TenantId tenant, Experiment e) {
    Map<String, String> tags = new TreeMap<>();
    h.createQuery("SELECT tag_key, tag_value FROM experiment_tags WHERE tenant_id = :t AND experiment_id = :id")
        .bind("t", tenant.value())
        .bind("id", e.id())
        .map((rs, ctx) -> Map.entry(rs.getString(1), String.valueOf(rs.getString(2))))
        .forEach(en -> tags.put(en.getKey(), en.getValue()));
    return new Experiment(e.id(), e.name(), e.artifactLocation(), e.lifecycleStage(), e.creationTime(),
        e.lastUpdateTime(), tags);
  }

  public void setExperimentLifecycle(Handle h, TenantId tenant, long id, String stage, Long deletedTime, long now) {
    h.createUpdate(
            """
            UPDATE experiments SET lifecycle_stage = :stage, deleted_time = :dt, last_update_time = :now
            WHERE tenant_id = :t AND experiment_id = :id""")
        .bind("stage", stage)
        .bind("dt", deletedTime)
        .bind("now", now)
        .bind("t", tenant.value())
        .bind("id", id)
        .execute();
  }

  public void renameExperiment(Handle h, TenantId tenant, long id, String name, long now) {
    h.createUpdate(
            "UPDATE experiments SET name = :name, last_update_time = :now WHERE tenant_id = :t AND experiment_id = :id")
        .bind("name", name)
        .bind("now", now)
        .bind("t", tenant.value())
        .bind("id", id)
        .execute();
  }

  public void setExperimentTag(Handle h, TenantId tenant, long id, String key, String value) {
    deleteExperimentTag(h, tenant, id, key);
    h.createUpdate(
            "INSERT INTO experiment_tags (tenant_id, experiment_id, tag_key, tag_value) VALUES (:t, :id, :k, :v)")
        .bind("t", tenant.value())
        .bind("id", id)
        .bind("k", key)
        .bind("v", value)
        .execute();
  }

  public boolean deleteExperimentTag(Handle h, TenantId tenant, long id, String key) {
    return h.createUpdate("DELETE FROM experiment_tags WHERE tenant_id = :t AND experiment_id = :id AND tag_key = :k")
            .bind("t", tenant.value())
            .bind("id", id)
            .bind("k", key)
            .execute()
        > 0;
  }

  /** Marks the experiment's active runs deleted at {@code when} (so a restore can bring back exactly those). */
  public void deleteRunsOfExperiment(Handle h, TenantId tenant, long experimentId, long when) {
    h.createUpdate(
            """
            UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = :when
            WHERE tenant_id = :t AND experiment_id = :e AND lifecycle_stage = 'active'""")
        .bind("when", when)
        .bind("t", tenant.value())
        .bind("e", experimentId)
        .execute();
  }

  public void restoreRunsOfExperiment(Handle h, TenantId tenant, long experimentId, long deletedAt) {
    h.createUpdate(
            """
            UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL
            WHERE tenant_id = :t AND experiment_id = :e AND lifecycle_stage = 'deleted' AND deleted_time = :when""")
        .bind("when", deletedAt)
        .bind("t", tenant.value())
        .bind("e", experimentId)
        .execute();
  }

  public Optional<Long> experimentDeletedTime(Handle h, TenantId tenant, long id) {
    return h.createQuery("SELECT deleted_time FROM experiments WHERE tenant_id = :t AND experiment_id = :id")
        .bind("t", tenant.value())
        .bind("id", id)
        .mapTo(Long.class)
        .findOne();
  }

  public List<Long> searchIds(Handle h, SqlQuery q) {
    return h.createQuery(q.sql()).bindMap(q.params()).mapTo(Long.class).list();
  }

  public List<String> searchRunIds(Handle h, SqlQuery q) {
    return h.createQuery(q.sql()).bindMap(q.params()).mapTo(String.class).list();
  }

  /**
   * A run search's page: by the metric's index when the plan has that route and it holds the page
   * (see {@link RunSearch.TopK}), else by the full query.
   */
  public List<String> searchRunIds(Handle h, RunSearch.Plan plan) {
    db.planForValues(h);
    return plan.page(q -> searchRunIds(h, q), q -> h.createQuery(q.sql()).bindMap(q.params()).mapTo(Long.class).one(),
        q -> db.inIndexOrder(h,
            () -> h.createQuery(q.sql()).bindMap(q.params()).map((rs, ctx) -> RunSearch.TopK.Candidate.read(rs)).list()));
  }

  // ---------------------------------------------------------------- runs

  public void insertRun(Handle h, TenantId tenant, RunInfo r) {
    h.createUpdate(
            """
            INSERT INTO runs (tenant_id, run_uuid, experiment_id, name, user_id, status, start_time, end_time,
                              lifecycle_stage, artifact_uri)
            VALUES (:t, :id, :e, :name, :user, :status, :start, :end, :stage, :uri)""")
        .bind("t", tenant.value())
        .bind("id", r.runUuid())
        .bind("e", r.experimentId())
        .bind("name", r.runName())
        .bind("user", r.userId())
        .bind("status", r.status())
        .bind("start", r.startTime())
        .bind("end", r.endTime())
        .bind("stage", r.lifecycleStage())
        .bind("uri", r.artifactUri())
        .execute();
  }

  public Optional<RunInfo> runInfo(Handle h, TenantId tenant, String runId) {
    return h.createQuery("SELECT * FROM runs WHERE tenant_id = :t AND run_uuid = :id")
        .bind("t", tenant.value())
        .bind("id", runId)
        .map(RUN_INFO)
        .findOne();
  }

  /** Locks the run row for the rest of the transaction: writers to one run go one at a time. */
  public Optional<RunInfo> runInfoForUpdate(Handle h, TenantId tenant, String runId) {
    return h.createQuery("SELECT * FROM runs WHERE tenant_id = :t AND run_uuid = :id FOR UPDATE")
        .bind("t", tenant.value())
        .bind("id", runId)
        .map(RUN_INFO)
        .findOne();
  }

  public void updateRun(Handle h, TenantId tenant, String runId, String status, Long endTime, String name) {
    h.createUpdate("UPDATE runs SET status = :status, end_time = :end, name = :name WHERE tenant_id = :t AND run_uuid = :id")
        .bind("status", status)
        .bind("end", endTime)
        .bind("name", name)
        .bind("t", tenant.value())
        .bind("id", runId)
        .execute();
  }

  public void setRunName(Handle h, TenantId tenant, String runId, String name) {
    h.createUpdate("UPDATE runs SET name = :name WHERE tenant_id = :t AND run_uuid = :id")
        .bind("name", name)
        .bind("t", tenant.value())
        .bind("id", runId)
        .execute();
  }

  public void setRunLifecycle(Handle h, TenantId tenant, String runId, String stage, Long deletedTime) {
    h.createUpdate("UPDATE runs SET lifecycle_stage = :stage, deleted_time = :dt WHERE tenant_id = :t AND run_uuid = :id")
        .bind("stage", stage)
        .bind("dt", deletedTime)
        .bind("t", tenant.value())
        .bind("id", runId)
        .execute();
  }

  /** Full runs for the given ids, in the order given; ids that do not exist in this tenant are skipped. */
  public List<Run> runs(Handle h, TenantId tenant, List<String> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    Map<String, RunInfo> infos = new HashMap<>();
    Map<String, Map<String, String>> params = new HashMap<>();
    Map<String, Map<String, String>> tags = new HashMap<>();
    Map<String, List<Metric>> metrics = new HashMap<>();
    Map<String, List<DatasetInput>> inputs = new HashMap<>();
    // A page may hold up to 50,000 runs: chunks keep each statement under PostgreSQL's 32,767 bind
    // parameters. Each run falls in one chunk, so per-run orderings hold.
    for (List<String> chunk : chunks(ids.stream().distinct().toList())) {
      String idTable = idTable(chunk.size());
      bindIds(h.createQuery(
                  "SELECT r.* FROM " + idTable + " JOIN runs r ON r.tenant_id = :t AND r.run_uuid = ids.id"), chunk)
          .bind("t", tenant.value())
          .map(RUN_INFO)
          .forEach(r -> infos.put(r.runUuid(), r));
      params.putAll(keyValues(h, tenant, chunk, "params", "param_key", "param_value"));
      tags.putAll(keyValues(h, tenant, chunk, "tags", "tag_key", "tag_value"));
      // Ordered by key below, not by the statement: with ORDER BY metric_key, H2 chose to read the
      // tenant's whole latest_metrics in key order through its (tenant, key, value) index and test
      // each row against the ids, 13-16 s for a page of 100 in a tenant of 100,000 runs (160 s for
      // 1,000), where the join looks each run up by primary key.
      bindIds(h.createQuery(
                  "SELECT lm.run_uuid, lm.metric_key, lm.metric_value, lm.ts, lm.step, lm.is_nan FROM " + idTable
                      + " JOIN latest_metrics lm ON lm.tenant_id = :t AND lm.run_uuid = ids.id"), chunk)
          .bind("t", tenant.value())
          .map((rs, ctx) -> Map.entry(rs.getString(1), MetricStore.metric(rs)))
          .forEach(e -> metrics.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
      inputs.putAll(datasetInputs(h, tenant, chunk));
    }
    metrics.values().forEach(list -> list.sort(Comparator.comparing(Metric::key)));
    List<Run> out = new ArrayList<>(ids.size());
    for (String id : ids) {
      RunInfo info = infos.get(id);
      if (info != null) {
        out.add(new Run(info, metrics.getOrDefault(id, List.of()), params.getOrDefault(id, Map.of()),
            tags.getOrDefault(id, Map.of()), inputs.getOrDefault(id, List.of())));
      }
    }
    return withLoggedModels(h, tenant, out);
  }

  /**
   * {@code (VALUES (:id0), (:id1), ...) ids(id)}, to join a page of run (or input) ids against a
   * table keyed by (tenant_id, run_uuid, ...). Not {@code run_uuid IN (...)}: H2 uses an index for an IN
   * list only on an index's first column (here tenant_id), so the IN list was tested against every
   * row of the tenant; the join makes one primary-key lookup per id on H2 and PostgreSQL alike.
   */
  private static String idTable(int n) {
    StringBuilder sb = new StringBuilder("(VALUES ");
    for (int i = 0; i < n; i++) {
      // The first row's CAST gives the column its type (H2 cannot infer it from a parameter).
      sb.append(i == 0 ? "(CAST(:id0 AS VARCHAR(36)))" : ", (:id" + i + ")");
    }
    return sb.append(") ids(id)").toString();
  }

  private static final int ID_CHUNK = 1000;

  private static List<List<String>> chunks(List<String> ids) {
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += ID_CHUNK) {
      out.add(ids.subList(i, Math.min(ids.size(), i + ID_CHUNK)));
    }
    return out;
  }

  private static <S extends SqlStatement<S>> S bindIds(S statement, List<String> ids) {
    for (int i = 0; i < ids.size(); i++) {
      statement.bind("id" + i, ids.get(i));
    }
    return statement;
  }

  private static Map<String, Map<String, String>> keyValues(
      Handle h, TenantId tenant, List<String> ids, String table, String keyCol, String valueCol) {
    // Table and column names come from the three call sites above, never from a request.
    Map<String, Map<String, String>> out = new HashMap<>();
    bindIds(h.createQuery(
                "SELECT kv.run_uuid, kv." + keyCol + ", kv." + valueCol + " FROM " + idTable(ids.size())
                    + " JOIN " + table + " kv ON kv.tenant_id = :t AND kv.run_uuid = ids.id"), ids)
        .bind("t", tenant.value())
        .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})
        .forEach(r -> out.computeIfAbsent(r[0], k -> new TreeMap<>()).put(r[1], r[2] == null ? "" : r[2]));
    return out;
  }

  private static Map<String, List<DatasetInput>> datasetInputs(Handle h, TenantId tenant, List<String> ids) {
    Map<String, List<DatasetInput>> out = new HashMap<>();
    Map<String, Map<String, String>> inputTags = new HashMap<>();
    List<Object[]> rows = new ArrayList<>(
        bindIds(h.createQuery(
                """
                SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.source_type, d.source, d.schema_json,
                       d.profile_json
                FROM %s
                JOIN inputs i ON i.tenant_id = :t AND i.destination_type = 'RUN' AND i.destination_id = ids.id
                JOIN datasets d ON d.tenant_id = i.tenant_id AND d.dataset_uuid = i.source_id
                WHERE i.source_type = 'DATASET'""".formatted(idTable(ids.size()))), ids)
            .bind("t", tenant.value())
            .map((rs, ctx) -> new Object[] {rs.getString(1), rs.getString(2), new DatasetInput.Dataset(rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8))})
            .list());
    // By name and digest here rather than by an ORDER BY, for the reason the latest metrics are (runs()).
    rows.sort(Comparator.comparing((Object[] r) -> ((DatasetInput.Dataset) r[2]).name())
        .thenComparing(r -> ((DatasetInput.Dataset) r[2]).digest()));
    if (rows.isEmpty()) {
      return out;
    }
    for (List<String> inputIds : chunks(rows.stream().map(r -> (String) r[1]).toList())) {
      bindIds(h.createQuery(
                  "SELECT it.input_uuid, it.name, it.tag_value FROM " + idTable(inputIds.size())
                      + " JOIN input_tags it ON it.tenant_id = :t AND it.input_uuid = ids.id"), inputIds)
          .bind("t", tenant.value())
          .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})
          .forEach(r -> inputTags.computeIfAbsent(r[0], k -> new TreeMap<>()).put(r[1], r[2]));
    }
    for (Object[] r : rows) {
      out.computeIfAbsent((String) r[0], k -> new ArrayList<>())
          .add(new DatasetInput((DatasetInput.Dataset) r[2], inputTags.getOrDefault((String) r[1], Map.of())));
    }
    return out;
  }

  // ---------------------------------------------------------------- params, tags, metrics

  public Map<String, String> params(Handle h, TenantId tenant, String runId, Collection<String> keys) {
    Map<String, String> out = new HashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    h.createQuery("SELECT param_key, param_value FROM params WHERE tenant_id = :t AND run_uuid = :r AND param_key IN (<k>)")
        .bind("t", tenant.value())
        .bind("r", runId)
        .bindList("k", List.copyOf(keys))
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  public void insertParams(Handle h, TenantId tenant, String runId, Map<String, String> params) {
    if (params.isEmpty()) {
      return;
    }
    PreparedBatch b =
        h.prepareBatch("INSERT INTO params (tenant_id, run_uuid, param_key, param_value) VALUES (:t, :r, :k, :v)");
    params.forEach((k, v) -> b.bind("t", tenant.value()).bind("r", runId).bind("k", k).bind("v", v).add());
    b.execute();
  }

  public void setTags(Handle h, TenantId tenant, String runId, Map<String, String> tags) {
    if (tags.isEmpty()) {
      return;
    }
    h.createUpdate("DELETE FROM tags WHERE tenant_id = :t AND run_uuid = :r AND tag_key IN (<k>)")
        .bind("t", tenant.value())
        .bind("r", runId)
        .bindList("k", List.copyOf(tags.keySet()))
        .execute();
    insertTags(h, tenant, runId, tags);
  }

  /** Tags of a run that has none yet (one just inserted in this transaction). */
  public void insertTags(Handle h, TenantId tenant, String runId, Map<String, String> tags) {
    if (tags.isEmpty()) {
      return;
    }
    PreparedBatch b = h.prepareBatch("INSERT INTO tags (tenant_id, run_uuid, tag_key, tag_value) VALUES (:t, :r, :k, :v)");
    tags.forEach((k, v) -> b.bind("t", tenant.value()).bind("r", runId).bind("k", k).bind("v", v).add());
    b.execute();
  }

  public boolean deleteTag(Handle h, TenantId tenant, String runId, String key) {
    return h.createUpdate("DELETE FROM tags WHERE tenant_id = :t AND run_uuid = :r AND tag_key = :k")
            .bind("t", tenant.value())
            .bind("r", runId)
            .bind("k", key)
            .execute()
        > 0;
  }

  // ---------------------------------------------------------------- datasets and inputs

  public String upsertDataset(Handle h, TenantId tenant, long experimentId, DatasetInput.Dataset d, String newUuid) {
    Optional<String> existing =
        h.createQuery(
                """
                SELECT dataset_uuid FROM datasets
                WHERE tenant_id = :t AND experiment_id = :e AND name = :n AND digest = :d""")
            .bind("t", tenant.value())
            .bind("e", experimentId)
            .bind("n", d.name())
            .bind("d", d.digest())
            .mapTo(String.class)
            .findOne();
    if (existing.isPresent()) {
      return existing.get();
    }
    h.createUpdate(
            """
            INSERT INTO datasets (tenant_id, dataset_uuid, experiment_id, name, digest, source_type, source,
                                  schema_json, profile_json)
            VALUES (:t, :id, :e, :n, :d, :st, :s, :schema, :profile)""")
        .bind("t", tenant.value())
        .bind("id", newUuid)
        .bind("e", experimentId)
        .bind("n", d.name())
        .bind("d", d.digest())
        .bind("st", d.sourceType())
        .bind("s", d.source())
        .bind("schema", d.schema())
        .bind("profile", d.profile())
        .execute();
    return newUuid;
  }

  /** Links a dataset to a run once; returns false when the link already existed. */
  public boolean insertInput(Handle h, TenantId tenant, String inputUuid, String datasetUuid, String runId,
      Map<String, String> tags) {
    boolean exists =
        h.createQuery(
                """
                SELECT COUNT(*) FROM inputs WHERE tenant_id = :t AND source_type = 'DATASET' AND source_id = :s
                  AND destination_type = 'RUN' AND destination_id = :r""")
            .bind("t", tenant.value())
            .bind("s", datasetUuid)
            .bind("r", runId)
            .mapTo(Long.class)
            .one()
        > 0;
    if (exists) {
      return false;
    }
    h.createUpdate(
            """
            INSERT INTO inputs (tenant_id, input_uuid, source_type, source_id, destination_type, destination_id)
            VALUES (:t, :id, 'DATASET', :s, 'RUN', :r)""")
        .bind("t", tenant.value())
        .bind("id", inputUuid)
        .bind("s", datasetUuid)
        .bind("r", runId)
        .execute();
    if (!tags.isEmpty()) {
      PreparedBatch b =
          h.prepareBatch("INSERT INTO input_tags (tenant_id, input_uuid, name, tag_value) VALUES (:t, :i, :n, :v)");
      tags.forEach((k, v) -> b.bind("t", tenant.value()).bind("i", inputUuid).bind("n", k).bind("v", v).add());
      b.execute();
    }
    return true;
  }

  // ---------------------------------------------------------------- MLflow 3 logged models of runs

  /** The runs with the logged models each used (model inputs) and produced (run_outputs). */
  private static List<Run> withLoggedModels(Handle h, TenantId tenant, List<Run> runs) {
    if (runs.isEmpty()) {
      return runs;
    }
    List<String> ids = runs.stream().map(r -> r.info().runUuid()).toList();
    Map<String, List<String>> inputs = new HashMap<>();
    h.createQuery(
            """
            SELECT source_id, destination_id FROM inputs
            WHERE tenant_id = :t AND source_type = 'RUN_INPUT' AND destination_type = 'MODEL_INPUT'
              AND source_id IN (<ids>)
            ORDER BY destination_id""")
        .bind("t", tenant.value())
        .bindList("ids", ids)
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2)))
        .forEach(e -> inputs.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
    Map<String, List<Run.ModelOutput>> outputs = new HashMap<>();
    h.createQuery(
            """
            SELECT run_uuid, model_id, step FROM run_outputs
            WHERE tenant_id = :t AND run_uuid IN (<ids>) ORDER BY model_id""")
        .bind("t", tenant.value())
        .bindList("ids", ids)
        .map((rs, ctx) -> Map.entry(rs.getString(1), new Run.ModelOutput(rs.getString(2), rs.getLong(3))))
        .forEach(e -> outputs.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
    if (inputs.isEmpty() && outputs.isEmpty()) {
      return runs;
    }
    return runs.stream()
        .map(r -> r.withModels(inputs.getOrDefault(r.info().runUuid(), List.of()),
            outputs.getOrDefault(r.info().runUuid(), List.of())))
        .toList();
  }

  /** The ids among {@code modelIds} that name a logged model of this tenant (active or deleted). */
  public Set<String> existingLoggedModels(Handle h, TenantId tenant, Collection<String> modelIds) {
    if (modelIds.isEmpty()) {
      return Set.of();
    }
    return Set.copyOf(
        h.createQuery("SELECT model_id FROM logged_models WHERE tenant_id = :t AND model_id IN (<ids>)")
            .bind("t", tenant.value())
            .bindList("ids", List.copyOf(modelIds))
            .mapTo(String.class)
            .list());
  }

  /** Records that a run used a logged model as an input (MLflow's RUN_INPUT -> MODEL_INPUT edge), once. */
  public void insertModelInput(Handle h, TenantId tenant, String runId, String modelId, String inputUuid) {
    // Insert-if-absent written portably; the caller holds the run's row lock, so no racing twin.
    h.createUpdate(
            """
            INSERT INTO inputs (tenant_id, input_uuid, source_type, source_id, destination_type, destination_id)
            SELECT :t, :id, 'RUN_INPUT', :r, 'MODEL_INPUT', :m FROM (VALUES (1)) AS one(x)
            WHERE NOT EXISTS (SELECT 1 FROM inputs WHERE tenant_id = :t AND source_type = 'RUN_INPUT'
                              AND source_id = :r AND destination_type = 'MODEL_INPUT' AND destination_id = :m)""")
        .bind("t", tenant.value())
        .bind("id", inputUuid)
        .bind("r", runId)
        .bind("m", modelId)
        .execute();
  }

}
