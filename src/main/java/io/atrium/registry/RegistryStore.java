package io.atrium.registry;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import io.atrium.tracking.search.SqlQuery;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;

/** SQL for registered models, their versions, tags and aliases. The tenant is always the first argument. */
public final class RegistryStore {
  /** A registered model's own row, before tags, aliases and versions are attached. */
  record ModelRow(String name, long creationTime, long lastUpdatedTime, String description, String userId) {}

  private final Database db;

  public RegistryStore(Database db) {
    this.db = requireNonNull(db);
  }

  public <R> R inTenant(TenantId tenant, Database.Tx<R> work) {
    return db.inTenant(tenant, work);
  }

  // ------------------------------------------------------------------ registered models

  public void insertModel(Handle h, TenantId t, String name, String description, String userId, long now) {
    h.createUpdate("""
            INSERT INTO registered_models (tenant_id, name, creation_time, last_updated_time, description, user_id,
                                           next_version)
            VALUES (:t, :name, :now, :now, :d, :u, 1)""")
        .bind("t", t.value()).bind("name", name).bind("now", now).bind("d", description).bind("u", userId)
        .execute();
  }

  public boolean modelExists(Handle h, TenantId t, String name) {
    return h.createQuery("SELECT COUNT(*) FROM registered_models WHERE tenant_id = :t AND name = :name")
        .bind("t", t.value()).bind("name", name).mapTo(Long.class).one() > 0;
  }

  /** Locks the model row: version numbering, renames and deletes of one model are serialized by it. */
  public boolean lockModel(Handle h, TenantId t, String name) {
    return h.createQuery("SELECT name FROM registered_models WHERE tenant_id = :t AND name = :name FOR UPDATE")
        .bind("t", t.value()).bind("name", name).mapTo(String.class).findOne().isPresent();
  }

  /** The model with tags, aliases and latest versions; {@code versionFilter} limits what is visible (null: all). */
  public Optional<RegisteredModel> model(Handle h, TenantId t, String name, java.util.Set<Integer> versionFilter) {
    Optional<ModelRow> row = h.createQuery("SELECT * FROM registered_models WHERE tenant_id = :t AND name = :name")
        .bind("t", t.value()).bind("name", name)
        .map((rs, ctx) -> new ModelRow(rs.getString("name"), rs.getLong("creation_time"),
            rs.getLong("last_updated_time"), rs.getString("description"), rs.getString("user_id")))
        .findOne();
    return row.map(r -> {
      Map<String, Integer> aliases = new TreeMap<>(aliases(h, t, name));
      if (versionFilter != null) {
        aliases.values().removeIf(v -> !versionFilter.contains(v));
      }
      List<ModelVersion> latest = new ArrayList<>();
      for (ModelVersion v : latestPerStage(h, t, name, versionFilter)) {
        latest.add(v);
      }
      return new RegisteredModel(r.name(), r.creationTime(), r.lastUpdatedTime(), r.description(), r.userId(),
          tags(h, t, "registered_model_tags", name, null), aliases, latest);
    });
  }

  public void touchModel(Handle h, TenantId t, String name, long now) {
    h.createUpdate("UPDATE registered_models SET last_updated_time = :now WHERE tenant_id = :t AND name = :name")
        .bind("now", now).bind("t", t.value()).bind("name", name).execute();
  }

  public void setModelDescription(Handle h, TenantId t, String name, String description, long now) {
    h.createUpdate("""
            UPDATE registered_models SET description = :d, last_updated_time = :now
            WHERE tenant_id = :t AND name = :name""")
        .bind("d", description).bind("now", now).bind("t", t.value()).bind("name", name).execute();
  }

  /** Renames a model everywhere it is named, grants included (a grant follows its model). */
  public void renameModel(Handle h, TenantId t, String name, String newName, long now) {
    for (String table : List.of("registered_models", "registered_model_tags", "registered_model_aliases",
        "model_versions", "model_version_tags")) {
      // Table names are constants of this list, never user input.
      h.createUpdate("UPDATE " + table + " SET name = :nn WHERE tenant_id = :t AND name = :name")
          .bind("nn", newName).bind("t", t.value()).bind("name", name).execute();
    }
    h.createUpdate("UPDATE model_shares SET model_name = :nn WHERE tenant_id = :t AND model_name = :name")
        .bind("nn", newName).bind("t", t.value()).bind("name", name).execute();
    touchModel(h, t, newName, now);
  }

  /** Deletes a model, its versions, tags, aliases and every grant on it. */
  public void deleteModel(Handle h, TenantId t, String name) {
    for (String table : List.of("model_version_tags", "model_versions", "registered_model_aliases",
        "registered_model_tags", "registered_models")) {
      h.createUpdate("DELETE FROM " + table + " WHERE tenant_id = :t AND name = :name")
          .bind("t", t.value()).bind("name", name).execute();
    }
    h.createUpdate("DELETE FROM model_shares WHERE tenant_id = :t AND model_name = :name")
        .bind("t", t.value()).bind("name", name).execute();
  }

  public List<String> searchModelNames(Handle h, SqlQuery q) {
    return h.createQuery(q.sql()).bindMap(q.params()).mapTo(String.class).list();
  }

  public long count(Handle h, SqlQuery q) {
    return h.createQuery("SELECT COUNT(*) FROM (" + stripPaging(q.sql()) + ") c").bindMap(withoutPaging(q.params()))
        .mapTo(Long.class).one();
  }

  private static String stripPaging(String sql) {
    int i = sql.lastIndexOf(" ORDER BY ");
    return i < 0 ? sql : sql.substring(0, i);
  }

  private static Map<String, Object> withoutPaging(Map<String, Object> params) {
    Map<String, Object> out = new LinkedHashMap<>(params);
    out.remove("limit");
    out.remove("offset");
    return out;
  }

  // ------------------------------------------------------------------ tags

  private static Map<String, String> tags(Handle h, TenantId t, String table, String name, Integer version) {
    Map<String, String> out = new TreeMap<>();
    var q = h.createQuery("SELECT tag_key, tag_value FROM " + table + " WHERE tenant_id = :t AND name = :name"
            + (version == null ? "" : " AND version = :v"))
        .bind("t", t.value()).bind("name", name);
    if (version != null) {
      q.bind("v", version);
    }
    q.map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2) == null ? "" : rs.getString(2)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  public void setModelTag(Handle h, TenantId t, String name, String key, String value) {
    h.createUpdate("DELETE FROM registered_model_tags WHERE tenant_id = :t AND name = :name AND tag_key = :k")
        .bind("t", t.value()).bind("name", name).bind("k", key).execute();
    h.createUpdate("INSERT INTO registered_model_tags (tenant_id, name, tag_key, tag_value) VALUES (:t, :name, :k, :v)")
        .bind("t", t.value()).bind("name", name).bind("k", key).bind("v", value).execute();
  }

  public boolean deleteModelTag(Handle h, TenantId t, String name, String key) {
    return h.createUpdate("DELETE FROM registered_model_tags WHERE tenant_id = :t AND name = :name AND tag_key = :k")
        .bind("t", t.value()).bind("name", name).bind("k", key).execute() > 0;
  }

  public void setVersionTag(Handle h, TenantId t, String name, int version, String key, String value) {
    h.createUpdate("""
            DELETE FROM model_version_tags WHERE tenant_id = :t AND name = :name AND version = :v AND tag_key = :k""")
        .bind("t", t.value()).bind("name", name).bind("v", version).bind("k", key).execute();
    h.createUpdate("""
            INSERT INTO model_version_tags (tenant_id, name, version, tag_key, tag_value)
            VALUES (:t, :name, :v, :k, :val)""")
        .bind("t", t.value()).bind("name", name).bind("v", version).bind("k", key).bind("val", value).execute();
  }

  public boolean deleteVersionTag(Handle h, TenantId t, String name, int version, String key) {
    return h.createUpdate("""
            DELETE FROM model_version_tags WHERE tenant_id = :t AND name = :name AND version = :v AND tag_key = :k""")
        .bind("t", t.value()).bind("name", name).bind("v", version).bind("k", key).execute() > 0;
  }

  // ------------------------------------------------------------------ aliases

  public Map<String, Integer> aliases(Handle h, TenantId t, String name) {
    Map<String, Integer> out = new LinkedHashMap<>();
    h.createQuery("SELECT alias, version FROM registered_model_aliases WHERE tenant_id = :t AND name = :name ORDER BY alias")
        .bind("t", t.value()).bind("name", name)
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getInt(2)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  public void setAlias(Handle h, TenantId t, String name, String alias, int version) {
    deleteAlias(h, t, name, alias);
    h.createUpdate("""
            INSERT INTO registered_model_aliases (tenant_id, name, alias, version) VALUES (:t, :name, :a, :v)""")
        .bind("t", t.value()).bind("name", name).bind("a", alias).bind("v", version).execute();
  }

  public boolean deleteAlias(Handle h, TenantId t, String name, String alias) {
    return h.createUpdate("DELETE FROM registered_model_aliases WHERE tenant_id = :t AND name = :name AND alias = :a")
        .bind("t", t.value()).bind("name", name).bind("a", alias).execute() > 0;
  }

  // ------------------------------------------------------------------ versions

  /** Takes the next version number of a model whose row the caller has locked. */
  public int nextVersion(Handle h, TenantId t, String name) {
    int v = h.createQuery("SELECT next_version FROM registered_models WHERE tenant_id = :t AND name = :name")
        .bind("t", t.value()).bind("name", name).mapTo(Integer.class).one();
    h.createUpdate("UPDATE registered_models SET next_version = :n WHERE tenant_id = :t AND name = :name")
        .bind("n", v + 1).bind("t", t.value()).bind("name", name).execute();
    return v;
  }

  public void insertVersion(Handle h, TenantId t, ModelVersion v) {
    h.createUpdate("""
            INSERT INTO model_versions (tenant_id, name, version, creation_time, last_updated_time, description,
                                        user_id, current_stage, source, storage_location, run_id, run_link, status,
                                        status_message, model_id)
            VALUES (:t, :name, :v, :now, :now, :d, :u, :stage, :src, :loc, :run, :link, :status, :msg, :model)""")
        .bind("t", t.value()).bind("name", v.name()).bind("v", v.version()).bind("now", v.creationTime())
        .bind("d", v.description()).bind("u", v.userId()).bind("stage", v.currentStage()).bind("src", v.source())
        .bind("loc", v.storageLocation()).bind("run", v.runId()).bind("link", v.runLink()).bind("status", v.status())
        .bind("msg", v.statusMessage()).bind("model", v.modelId())
        .execute();
  }

  public Optional<ModelVersion> version(Handle h, TenantId t, String name, int version) {
    Map<String, Integer> aliases = aliases(h, t, name);
    return h.createQuery("SELECT * FROM model_versions WHERE tenant_id = :t AND name = :name AND version = :v")
        .bind("t", t.value()).bind("name", name).bind("v", version)
        .map((rs, ctx) -> versionRow(rs))
        .findOne()
        .map(v -> complete(h, t, v, aliases));
  }

  /** Versions by (name, version) keys, in the order given. */
  public List<ModelVersion> versions(Handle h, TenantId t, List<Map.Entry<String, Integer>> keys) {
    Map<String, Map<String, Integer>> aliasCache = new HashMap<>();
    List<ModelVersion> out = new ArrayList<>();
    for (var k : keys) {
      Map<String, Integer> aliases = aliasCache.computeIfAbsent(k.getKey(), n -> aliases(h, t, n));
      h.createQuery("SELECT * FROM model_versions WHERE tenant_id = :t AND name = :name AND version = :v")
          .bind("t", t.value()).bind("name", k.getKey()).bind("v", k.getValue())
          .map((rs, ctx) -> versionRow(rs))
          .findOne()
          .ifPresent(v -> out.add(complete(h, t, v, aliases)));
    }
    return out;
  }

  public List<Map.Entry<String, Integer>> searchVersionKeys(Handle h, SqlQuery q) {
    return h.createQuery(q.sql()).bindMap(q.params())
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getInt(2))).list();
  }

  /** For each stage, the highest version in it (MLflow's latest_versions), ordered by version. */
  public List<ModelVersion> latestPerStage(Handle h, TenantId t, String name, java.util.Set<Integer> versionFilter) {
    Map<String, Integer> aliases = aliases(h, t, name);
    Map<String, ModelVersion> byStage = new LinkedHashMap<>();
    h.createQuery("SELECT * FROM model_versions WHERE tenant_id = :t AND name = :name ORDER BY version")
        .bind("t", t.value()).bind("name", name)
        .map((rs, ctx) -> versionRow(rs))
        .forEach(v -> {
          if (versionFilter == null || versionFilter.contains(v.version())) {
            byStage.put(v.currentStage(), v);
          }
        });
    return byStage.values().stream().sorted(java.util.Comparator.comparingInt(ModelVersion::version))
        .map(v -> complete(h, t, v, aliases)).toList();
  }

  /** Every version of a model, oldest first, without tags or aliases. */
  public List<ModelVersion> allVersions(Handle h, TenantId t, String name) {
    return h.createQuery("SELECT * FROM model_versions WHERE tenant_id = :t AND name = :name ORDER BY version")
        .bind("t", t.value()).bind("name", name).map((rs, ctx) -> versionRow(rs)).list();
  }

  public List<Integer> versionsInStage(Handle h, TenantId t, String name, String stage) {
    return h.createQuery("""
            SELECT version FROM model_versions WHERE tenant_id = :t AND name = :name AND current_stage = :s""")
        .bind("t", t.value()).bind("name", name).bind("s", stage).mapTo(Integer.class).list();
  }

  public void setVersionDescription(Handle h, TenantId t, String name, int version, String description, long now) {
    h.createUpdate("""
            UPDATE model_versions SET description = :d, last_updated_time = :now
            WHERE tenant_id = :t AND name = :name AND version = :v""")
        .bind("d", description).bind("now", now).bind("t", t.value()).bind("name", name).bind("v", version).execute();
  }

  public void setStage(Handle h, TenantId t, String name, int version, String stage, long now) {
    h.createUpdate("""
            UPDATE model_versions SET current_stage = :s, last_updated_time = :now
            WHERE tenant_id = :t AND name = :name AND version = :v""")
        .bind("s", stage).bind("now", now).bind("t", t.value()).bind("name", name).bind("v", version).execute();
  }

  /** Deletes a version, its tags and the aliases pointing at it. */
  public void deleteVersion(Handle h, TenantId t, String name, int version) {
    for (String table : List.of("model_version_tags", "model_versions")) {
      h.createUpdate("DELETE FROM " + table + " WHERE tenant_id = :t AND name = :name AND version = :v")
          .bind("t", t.value()).bind("name", name).bind("v", version).execute();
    }
    h.createUpdate("DELETE FROM registered_model_aliases WHERE tenant_id = :t AND name = :name AND version = :v")
        .bind("t", t.value()).bind("name", name).bind("v", version).execute();
  }

  private static ModelVersion versionRow(ResultSet rs) throws SQLException {
    return new ModelVersion(rs.getString("name"), rs.getInt("version"), rs.getLong("creation_time"),
        rs.getLong("last_updated_time"), rs.getString("description"), rs.getString("user_id"),
        rs.getString("current_stage"), rs.getString("source"), rs.getString("storage_location"),
        rs.getString("run_id"), rs.getString("run_link"), rs.getString("status"), rs.getString("status_message"),
        rs.getString("model_id"), Map.of(), List.of());
  }

  private static ModelVersion complete(Handle h, TenantId t, ModelVersion v, Map<String, Integer> aliases) {
    List<String> mine = aliases.entrySet().stream().filter(e -> e.getValue() == v.version()).map(Map.Entry::getKey)
        .sorted().toList();
    return new ModelVersion(v.name(), v.version(), v.creationTime(), v.lastUpdatedTime(), v.description(), v.userId(),
        v.currentStage(), v.source(), v.storageLocation(), v.runId(), v.runLink(), v.status(), v.statusMessage(),
        v.modelId(), tags(h, t, "model_version_tags", v.name(), v.version()), mine);
  }
}
