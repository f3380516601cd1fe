package io.atrium.registry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Registered models and model versions in MLflow's wire shape (model_registry.proto). */
public final class RegistryJson {
  private RegistryJson() {}

  public static Map<String, Object> model(RegisteredModel m) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", m.name());
    out.put("creation_timestamp", m.creationTime());
    out.put("last_updated_timestamp", m.lastUpdatedTime());
    if (m.userId() != null) {
      out.put("user_id", m.userId());
    }
    if (m.description() != null) {
      out.put("description", m.description());
    }
    if (!m.latestVersions().isEmpty()) {
      out.put("latest_versions", m.latestVersions().stream().map(RegistryJson::version).toList());
    }
    if (!m.tags().isEmpty()) {
      out.put("tags", keyValues(m.tags()));
    }
    if (!m.aliases().isEmpty()) {
      out.put("aliases", m.aliases().entrySet().stream()
          .map(e -> Map.of("alias", e.getKey(), "version", Integer.toString(e.getValue()))).toList());
    }
    return out;
  }

  public static Map<String, Object> version(ModelVersion v) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", v.name());
    out.put("version", Integer.toString(v.version()));
    out.put("creation_timestamp", v.creationTime());
    out.put("last_updated_timestamp", v.lastUpdatedTime());
    if (v.userId() != null) {
      out.put("user_id", v.userId());
    }
    out.put("current_stage", v.currentStage());
    if (v.description() != null) {
      out.put("description", v.description());
    }
    out.put("source", v.source());
    if (v.runId() != null) {
      out.put("run_id", v.runId());
    }
    out.put("status", v.status());
    if (v.statusMessage() != null) {
      out.put("status_message", v.statusMessage());
    }
    if (!v.tags().isEmpty()) {
      out.put("tags", keyValues(v.tags()));
    }
    if (v.runLink() != null) {
      out.put("run_link", v.runLink());
    }
    if (!v.aliases().isEmpty()) {
      out.put("aliases", v.aliases());
    }
    if (v.modelId() != null) {
      out.put("model_id", v.modelId());
    }
    return out;
  }

  static List<Map<String, String>> keyValues(Map<String, String> kv) {
    return kv.entrySet().stream().map(e -> Map.of("key", e.getKey(), "value", e.getValue())).toList();
  }
}
