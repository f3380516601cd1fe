package io.atrium.loggedmodels;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import io.atrium.tracking.search.SqlQuery;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** SQL for logged models, their tags and params, and runs' model outputs. Tenant first, always. */
public final class LoggedModelStore {
  private static final RowMapper<LoggedModel> MODEL =
      (rs, ctx) ->
          new LoggedModel(
              rs.getString("model_id"),
              rs.getLong("experiment_id"),
              rs.getString("name"),
              rs.getString("artifact_location"),
              rs.getLong("creation_time"),
              rs.getLong("last_updated_time"),
              rs.getString("status"),
              rs.getString("status_message"),
              rs.getString("lifecycle_stage"),
              rs.getString("model_type"),
              rs.getString("source_run_id"),
              Map.of(),
              Map.of(),
              List.of());

  private final Database db;

  public LoggedModelStore(Database db) {
    this.db = requireNonNull(db);
  }

  public <R> R inTenant(TenantId tenant, Database.Tx<R> work) {
    return db.inTenant(tenant, work);
  }

  public void insert(Handle h, TenantId t, LoggedModel m, String creator) {
    h.createUpdate(
            """
            INSERT INTO logged_models (tenant_id, model_id, experiment_id, name, artifact_location, creation_time,
                                       last_updated_time, status, lifecycle_stage, model_type, source_run_id, creator)
            VALUES (:t, :id, :exp, :name, :loc, :now, :now, :status, 'active', :type, :run, :creator)""")
        .bind("t", t.value())
        .bind("id", m.modelId())
        .bind("exp", m.experimentId())
        .bind("name", m.name())
        .bind("loc", m.artifactLocation())
        .bind("now", m.creationTime())
        .bind("status", m.status())
        .bind("type", m.modelType())
        .bind("run", m.sourceRunId())
        .bind("creator", creator)
        .execute();
  }

  /** The model with its tags and params, active or deleted. */
  public Optional<LoggedModel> model(Handle h, TenantId t, String modelId) {
    return h.createQuery("SELECT * FROM logged_models WHERE tenant_id = :t AND model_id = :id")
        .bind("t", t.value())
        .bind("id", modelId)
        .map(MODEL)
        .findOne()
        .map(m -> m.with(keyValues(h, t, "logged_model_tags", "tag_key", "tag_value", m.modelId()),
            keyValues(h, t, "logged_model_params", "param_key", "param_value", m.modelId()),
            metrics(h, t, m.modelId())));
  }

  /** Locks the model row for the rest of the transaction (serializes tag/param/status writes). */
  public Optional<LoggedModel> modelForUpdate(Handle h, TenantId t, String modelId) {
    Optional<String> id =
        h.createQuery("SELECT model_id FROM logged_models WHERE tenant_id = :t AND model_id = :id FOR UPDATE")
            .bind("t", t.value())
            .bind("id", modelId)
            .mapTo(String.class)
            .findOne();
    return id.flatMap(i -> model(h, t, i));
  }

  public List<LoggedModel> models(Handle h, TenantId t, List<String> ids) {
    return ids.stream().map(id -> model(h, t, id)).flatMap(Optional::stream).toList();
  }

  private static Map<String, String> keyValues(Handle h, TenantId t, String table, String keyCol, String valueCol,
      String modelId) {
    // Table and column names are compile-time constants of this class, never user input.
    Map<String, String> out = new TreeMap<>();
    h.createQuery("SELECT " + keyCol + " AS k, " + valueCol + " AS v FROM " + table
            + " WHERE tenant_id = :t AND model_id = :id")
        .bind("t", t.value())
        .bind("id", modelId)
        .map((rs, ctx) -> Map.entry(rs.getString("k"), rs.getString("v") == null ? "" : rs.getString("v")))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /** Every metric point linked to the model (MLflow returns the full set, not only the latest). */
  public List<LoggedModel.Metric> metrics(Handle h, TenantId t, String modelId) {
    return h.createQuery("""
            SELECT metric_name, metric_value, is_nan, metric_timestamp_ms, metric_step, run_uuid, dataset_name,
                   dataset_digest
            FROM logged_model_metrics WHERE tenant_id = :t AND model_id = :id
            ORDER BY metric_name, metric_step, metric_timestamp_ms, run_uuid""")
        .bind("t", t.value())
        .bind("id", modelId)
        .map((rs, ctx) -> new LoggedModel.Metric(rs.getString("metric_name"),
            rs.getBoolean("is_nan") ? Double.NaN : rs.getDouble("metric_value"), rs.getLong("metric_timestamp_ms"),
            rs.getLong("metric_step"), rs.getString("run_uuid"), rs.getString("dataset_name"),
            rs.getString("dataset_digest")))
        .list();
  }

  public void setStatus(Handle h, TenantId t, String modelId, String status, long now) {
    h.createUpdate("UPDATE logged_models SET status = :s, last_updated_time = :now WHERE tenant_id = :t AND model_id = :id")
        .bind("s", status)
        .bind("now", now)
        .bind("t", t.value())
        .bind("id", modelId)
        .execute();
  }

  public void markDeleted(Handle h, TenantId t, String modelId, long now) {
    h.createUpdate("""
            UPDATE logged_models SET lifecycle_stage = 'deleted', deleted_time = :now, last_updated_time = :now
            WHERE tenant_id = :t AND model_id = :id""")
        .bind("now", now)
        .bind("t", t.value())
        .bind("id", modelId)
        .execute();
  }

  public void touch(Handle h, TenantId t, String modelId, long now) {
    h.createUpdate("UPDATE logged_models SET last_updated_time = :now WHERE tenant_id = :t AND model_id = :id")
        .bind("now", now)
        .bind("t", t.value())
        .bind("id", modelId)
        .execute();
  }

  public void setTags(Handle h, TenantId t, String modelId, Map<String, String> tags) {
    for (var e : tags.entrySet()) {
      // Delete-then-insert is portable across H2 and PostgreSQL; the model row lock orders writers.
      h.createUpdate("DELETE FROM logged_model_tags WHERE tenant_id = :t AND model_id = :id AND tag_key = :k")
          .bind("t", t.value()).bind("id", modelId).bind("k", e.getKey()).execute();
      h.createUpdate("INSERT INTO logged_model_tags (tenant_id, model_id, tag_key, tag_value) VALUES (:t, :id, :k, :v)")
          .bind("t", t.value()).bind("id", modelId).bind("k", e.getKey()).bind("v", e.getValue()).execute();
    }
  }

  public boolean deleteTag(Handle h, TenantId t, String modelId, String key) {
    return h.createUpdate("DELETE FROM logged_model_tags WHERE tenant_id = :t AND model_id = :id AND tag_key = :k")
        .bind("t", t.value()).bind("id", modelId).bind("k", key).execute() > 0;
  }

  public Map<String, String> params(Handle h, TenantId t, String modelId) {
    return keyValues(h, t, "logged_model_params", "param_key", "param_value", modelId);
  }

  public void insertParams(Handle h, TenantId t, String modelId, Map<String, String> params) {
    for (var e : params.entrySet()) {
      h.createUpdate("""
              INSERT INTO logged_model_params (tenant_id, model_id, param_key, param_value)
              VALUES (:t, :id, :k, :v)""")
          .bind("t", t.value()).bind("id", modelId).bind("k", e.getKey()).bind("v", e.getValue()).execute();
    }
  }

  public List<String> searchIds(Handle h, SqlQuery q) {
    return h.createQuery(q.sql()).bindMap(q.params()).mapTo(String.class).list();
  }

  /** Records that {@code runId} produced {@code modelId} at {@code step}; a repeat keeps the latest step. */
  public void logOutput(Handle h, TenantId t, String runId, String modelId, long step) {
    h.createUpdate("DELETE FROM run_outputs WHERE tenant_id = :t AND run_uuid = :r AND model_id = :m")
        .bind("t", t.value()).bind("r", runId).bind("m", modelId).execute();
    h.createUpdate("INSERT INTO run_outputs (tenant_id, run_uuid, model_id, step) VALUES (:t, :r, :m, :s)")
        .bind("t", t.value()).bind("r", runId).bind("m", modelId).bind("s", step).execute();
  }

  /** The models a run produced, with their steps. */
  public Map<String, Long> runOutputs(Handle h, TenantId t, String runId) {
    Map<String, Long> out = new LinkedHashMap<>();
    h.createQuery("SELECT model_id, step FROM run_outputs WHERE tenant_id = :t AND run_uuid = :r ORDER BY model_id")
        .bind("t", t.value()).bind("r", runId)
        .map((rs, ctx) -> Map.entry(rs.getString("model_id"), rs.getLong("step")))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  static Map<String, String> copy(Map<String, String> m) {
    return new HashMap<>(m);
  }
}
