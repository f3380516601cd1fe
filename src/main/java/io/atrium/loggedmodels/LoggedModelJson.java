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
    data.put("metrics", m.metrics().stream().map(x -> metric(m.modelId(), x)).toList());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("info", info);
    out.put("data", data);
    return out;
  }

  private static Map<String, Object> metric(String modelId, LoggedModel.Metric x) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", x.key());
    m.put("value", number(x.value()));
    m.put("timestamp", x.timestamp());
    m.put("step", x.step());
    m.put("run_id", x.runId());
    if (x.datasetName() != null) {
      m.put("dataset_name", x.datasetName());
    }
    if (x.datasetDigest() != null) {
      m.put("dataset_digest", x.datasetDigest());
    }
    m.put("model_id", modelId);
    return m;
  }

  /** Non-finite doubles travel as proto3-JSON strings. */
  private static Object number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    return v;
  }

  static List<Map<String, String>> keyValues(Map<String, String> kv) {
    return kv.entrySet().stream().map(e -> Map.of("key", e.getKey(), "value", e.getValue())).toList();
  }
}
