package io.atrium.tracking;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import io.atrium.http.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** MLflow's JSON shapes for tracking entities (as the 3.x server emits them: int64 as numbers). */
final class TrackingJson {
  private TrackingJson() {}

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

  /** A run as MLflow's JSON, written straight to the answer ({@link Json#streamed}). */
  static Object run(Run r) {
    return Json.streamed((g, p) -> writeRun(g, p, r));
  }

  /** A page of runs, as {@link #run} each. */
  static Object runs(List<Run> runs) {
    return Json.streamed((g, p) -> {
      g.writeStartArray();
      for (Run r : runs) {
        writeRun(g, p, r);
      }
      g.writeEndArray();
    });
  }

  /** Metric points as MLflow's Metric objects (key, value, timestamp, step). */
  static Object metrics(List<Metric> metrics) {
    return Json.streamed((g, p) -> writeMetrics(g, metrics));
  }

  /** Metric points with their runs, as get-history-bulk-interval answers them (MetricWithRunId). */
  static Object runMetrics(List<TrackingService.RunMetric> points) {
    return Json.streamed((g, p) -> {
      g.writeStartArray();
      for (TrackingService.RunMetric m : points) {
        g.writeStartObject();
        writeMetricFields(g, m.metric());
        g.writeStringField("run_id", m.runId());
        g.writeEndObject();
      }
      g.writeEndArray();
    });
  }

  private static void writeRun(JsonGenerator g, SerializerProvider p, Run r) throws IOException {
    g.writeStartObject();
    g.writeObjectFieldStart("info");
    for (var e : runInfo(r.info()).entrySet()) {
      p.defaultSerializeField(e.getKey(), e.getValue(), g);
    }
    g.writeEndObject();
    g.writeObjectFieldStart("data");
    if (!r.metrics().isEmpty()) {
      g.writeFieldName("metrics");
      writeMetrics(g, r.metrics());
    }
    writeKeyValues(g, "params", r.params());
    writeKeyValues(g, "tags", r.tags());
    g.writeEndObject();
    g.writeObjectFieldStart("inputs");
    if (!r.inputs().isEmpty()) {
      p.defaultSerializeField("dataset_inputs", r.inputs().stream().map(TrackingJson::datasetInput).toList(), g);
    }
    if (!r.modelInputs().isEmpty()) {
      g.writeArrayFieldStart("model_inputs");
      for (String id : r.modelInputs()) {
        g.writeStartObject();
        g.writeStringField("model_id", id);
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    g.writeEndObject();
    g.writeObjectFieldStart("outputs");
    if (!r.modelOutputs().isEmpty()) {
      g.writeArrayFieldStart("model_outputs");
      for (Run.ModelOutput o : r.modelOutputs()) {
        g.writeStartObject();
        g.writeStringField("model_id", o.modelId());
        g.writeNumberField("step", o.step());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  private static void writeMetrics(JsonGenerator g, List<Metric> metrics) throws IOException {
    g.writeStartArray();
    for (Metric m : metrics) {
      g.writeStartObject();
      writeMetricFields(g, m);
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void writeMetricFields(JsonGenerator g, Metric m) throws IOException {
    g.writeStringField("key", m.key());
    double v = m.value();
    if (Double.isFinite(v)) {
      g.writeNumberField("value", v);
    } else { // non-finite doubles travel as proto3-JSON strings
      g.writeStringField("value", Double.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    }
    g.writeNumberField("timestamp", m.timestamp());
    g.writeNumberField("step", m.step());
  }

  /** MLflow's list of {key, value} objects under {@code field}; no field when there are none. */
  private static void writeKeyValues(JsonGenerator g, String field, Map<String, String> kv) throws IOException {
    if (kv.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart(field);
    for (var e : kv.entrySet()) {
      g.writeStartObject();
      g.writeStringField("key", e.getKey());
      g.writeStringField("value", e.getValue() == null ? "" : e.getValue());
      g.writeEndObject();
    }
    g.writeEndArray();
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
