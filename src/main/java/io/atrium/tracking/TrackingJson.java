package io.atrium.tracking;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** MLflow's JSON shapes for tracking entities (as the 3.x server emits them: int64 as numbers). */
final class TrackingJson {
  private TrackingJson() {}

  /** Non-finite doubles travel as proto3-JSON strings. */
  static Object number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    return v;
  }

  static Map<String, Object> experiment(Experiment e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("experiment_id", Long.toString(e.id()));
    m.put("name", e.name());
    m.put("artifact_location", e.artifactLocation());
    m.put("lifecycle_stage", e.lifecycleStage());
    m.put("last_update_time", e.lastUpdateTime());
    m.put("creation_time", e.creationTime());
    if (!e.tags().isEmpty()) {
      m.put("tags", keyValues(e.tags()));
    }
    return m;
  }

  static Map<String, Object> runInfo(RunInfo r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("run_uuid", r.runUuid());
    m.put("experiment_id", Long.toString(r.experimentId()));
    if (r.runName() != null) {
      m.put("run_name", r.runName());
    }
    m.put("user_id", r.userId() == null ? "" : r.userId());
    m.put("status", r.status());
    m.put("start_time", r.startTime() == null ? 0 : r.startTime());
    if (r.endTime() != null && r.endTime() != 0) {
      m.put("end_time", r.endTime());
    }
    m.put("artifact_uri", r.artifactUri());
    m.put("lifecycle_stage", r.lifecycleStage());
    m.put("run_id", r.runUuid());
    return m;
  }

  static Map<String, Object> run(Run r) {
    Map<String, Object> data = new LinkedHashMap<>();
    if (!r.metrics().isEmpty()) {
      data.put("metrics", r.metrics().stream().map(TrackingJson::metric).toList());
    }
    if (!r.params().isEmpty()) {
      data.put("params", keyValues(r.params()));
    }
    if (!r.tags().isEmpty()) {
      data.put("tags", keyValues(r.tags()));
    }
    Map<String, Object> inputs = new LinkedHashMap<>();
    if (!r.inputs().isEmpty()) {
      inputs.put("dataset_inputs", r.inputs().stream().map(TrackingJson::datasetInput).toList());
    }
    if (!r.modelInputs().isEmpty()) {
      inputs.put("model_inputs", r.modelInputs().stream().map(id -> Map.of("model_id", id)).toList());
    }
    Map<String, Object> outputs = new LinkedHashMap<>();
    if (!r.modelOutputs().isEmpty()) {
      outputs.put("model_outputs",
          r.modelOutputs().stream().map(o -> Map.of("model_id", o.modelId(), "step", o.step())).toList());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("info", runInfo(r.info()));
    m.put("data", data);
    m.put("inputs", inputs);
    m.put("outputs", outputs);
    return m;
  }

  static Map<String, Object> metric(Metric x) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", x.key());
    m.put("value", number(x.value()));
    m.put("timestamp", x.timestamp());
    m.put("step", x.step());
    return m;
  }

  private static Map<String, Object> datasetInput(DatasetInput in) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", in.dataset().name());
    d.put("digest", in.dataset().digest());
    d.put("source_type", in.dataset().sourceType());
    d.put("source", in.dataset().source());
    if (in.dataset().schema() != null) {
      d.put("schema", in.dataset().schema());
    }
    if (in.dataset().profile() != null) {
      d.put("profile", in.dataset().profile());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    if (!in.tags().isEmpty()) {
      m.put("tags", keyValues(in.tags()));
    }
    m.put("dataset", d);
    return m;
  }

  static List<Map<String, String>> keyValues(Map<String, String> kv) {
    List<Map<String, String>> out = new ArrayList<>(kv.size());
    kv.forEach((k, v) -> out.add(Map.of("key", k, "value", v == null ? "" : v)));
    return out;
  }
}
