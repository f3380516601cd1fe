package io.atrium.loggedmodels;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A logged model in MLflow's wire shape ({@code LoggedModel{info, data}}). */
public final class LoggedModelJson {
  private LoggedModelJson() {}

  public static Map<String, Object> of(LoggedModel m) {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("model_id", m.modelId());
    info.put("experiment_id", Long.toString(m.experimentId()));
    info.put("name", m.name());
    info.put("creation_timestamp_ms", m.creationTime());
    info.put("last_updated_timestamp_ms", m.lastUpdatedTime());
    info.put("artifact_uri", m.artifactLocation());
    info.put("status", m.status());
    if (m.modelType() != null) {
      info.put("model_type", m.modelType());
    }
    if (m.sourceRunId() != null) {
      info.put("source_run_id", m.sourceRunId());
    }
    if (m.statusMessage() != null) {
      info.put("status_message", m.statusMessage());
    }
    info.put("tags", keyValues(m.tags()));
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("params", keyValues(m.params()));
    data.put("metrics", List.of());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("info", info);
    out.put("data", data);
    return out;
  }

  static List<Map<String, String>> keyValues(Map<String, String> kv) {
    return kv.entrySet().stream().map(e -> Map.of("key", e.getKey(), "value", e.getValue())).toList();
  }
}
