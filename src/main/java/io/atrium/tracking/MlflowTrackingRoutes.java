package io.atrium.tracking;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** MLflow's tracking REST API ({@code /api/2.0/mlflow/...}): HTTP only: decode, call, encode. */
public final class MlflowTrackingRoutes {
  private static final String P = "/api/2.0/mlflow";

  record KeyValue(String key, String value) {}

  record MetricIn(String key, Double value, Long timestamp, Long step, String modelId, String datasetName,
      String datasetDigest) {}

  record CreateExperiment(String name, String artifactLocation, List<KeyValue> tags) {}

  record ExperimentRef(String experimentId, String experimentName) {}

  record UpdateExperiment(String experimentId, String newName) {}

  record ExperimentTag(String experimentId, String key, String value) {}

  record SearchExperiments(Long maxResults, String pageToken, String filter, List<String> orderBy, String viewType) {}

  record CreateRun(String experimentId, String userId, String runName, Long startTime, List<KeyValue> tags) {}

  record RunRef(String runId, String runUuid) {
    String id() {
      return runId != null && !runId.isEmpty() ? runId : runUuid;
    }
  }

  record UpdateRun(String runId, String runUuid, String status, Long endTime, String runName) {}

  record LogMetric(String runId, String runUuid, String key, Double value, Long timestamp, Long step, String modelId,
      String datasetName, String datasetDigest) {}

  record LogParam(String runId, String runUuid, String key, String value) {}

  record SetTag(String runId, String runUuid, String key, String value) {}

  record LogBatch(String runId, List<MetricIn> metrics, List<KeyValue> params, List<KeyValue> tags) {}

  record DatasetIn(String name, String digest, String sourceType, String source, String schema, String profile) {}

  record DatasetInputIn(List<KeyValue> tags, DatasetIn dataset) {}

  record ModelInputIn(String modelId) {}

  record LogInputs(String runId, List<DatasetInputIn> datasets, List<ModelInputIn> models) {}

  record SearchRuns(List<String> experimentIds, String filter, String runViewType, Long maxResults, List<String> orderBy,
      String pageToken) {}

  record GetHistory(String runId, String runUuid, String metricKey, String pageToken, Long maxResults) {}

  record BulkInterval(List<String> runIds, String metricKey, Long startStep, Long endStep, Long maxResults) {}

  private final TrackingService tracking;

  public MlflowTrackingRoutes(TrackingService tracking) {
    this.tracking = requireNonNull(tracking);
  }

  public List<Route> routes() {
    return List.of(
        Route.write(HandlerType.POST, P + "/experiments/create", Scope.TENANT, this::createExperiment),
        Route.read(HandlerType.GET, P + "/experiments/get", Scope.TENANT, this::getExperiment),
        Route.read(HandlerType.GET, P + "/experiments/get-by-name", Scope.TENANT, this::getExperimentByName),
        Route.read(HandlerType.POST, P + "/experiments/search", Scope.TENANT, this::searchExperiments),
        Route.read(HandlerType.GET, P + "/experiments/search", Scope.TENANT, this::searchExperiments),
        Route.write(HandlerType.POST, P + "/experiments/delete", Scope.TENANT, this::deleteExperiment),
        Route.write(HandlerType.POST, P + "/experiments/restore", Scope.TENANT, this::restoreExperiment),
        Route.write(HandlerType.POST, P + "/experiments/update", Scope.TENANT, this::updateExperiment),
        Route.write(HandlerType.POST, P + "/experiments/set-experiment-tag", Scope.TENANT, this::setExperimentTag),
        Route.write(HandlerType.POST, P + "/experiments/delete-experiment-tag", Scope.TENANT, this::deleteExperimentTag),
        Route.write(HandlerType.POST, P + "/runs/create", Scope.TENANT, this::createRun),
        Route.read(HandlerType.GET, P + "/runs/get", Scope.TENANT, this::getRun),
        Route.write(HandlerType.POST, P + "/runs/update", Scope.TENANT, this::updateRun),
        Route.write(HandlerType.POST, P + "/runs/delete", Scope.TENANT, this::deleteRun),
        Route.write(HandlerType.POST, P + "/runs/restore", Scope.TENANT, this::restoreRun),
        Route.write(HandlerType.POST, P + "/runs/log-metric", Scope.TENANT, this::logMetric),
        Route.write(HandlerType.POST, P + "/runs/log-parameter", Scope.TENANT, this::logParam),
        Route.write(HandlerType.POST, P + "/runs/set-tag", Scope.TENANT, this::setTag),
        Route.write(HandlerType.POST, P + "/runs/delete-tag", Scope.TENANT, this::deleteTag),
        Route.write(HandlerType.POST, P + "/runs/log-batch", Scope.TENANT, this::logBatch),
        Route.write(HandlerType.POST, P + "/runs/log-inputs", Scope.TENANT, this::logInputs),
        Route.read(HandlerType.POST, P + "/runs/search", Scope.TENANT, this::searchRuns),
        Route.read(HandlerType.GET, P + "/metrics/get-history", Scope.TENANT, this::metricHistory),
        Route.read(HandlerType.GET, P + "/metrics/get-history-bulk-interval", Scope.TENANT, this::bulkInterval));
  }

  private static Map<String, String> tags(List<KeyValue> kvs, String path) {
    Map<String, String> out = new LinkedHashMap<>();
    if (kvs != null) {
      for (int i = 0; i < kvs.size(); i++) {
        KeyValue kv = kvs.get(i);
        if (kv == null || kv.key() == null || kv.key().isEmpty()) {
          throw Validation.missing(path + "[" + i + "].key");
        }
        out.put(kv.key(), kv.value() == null ? "" : kv.value());
      }
    }
    return out;
  }

  private void createExperiment(Context ctx) {
    CreateExperiment r = Json.read(ctx, CreateExperiment.class);
    String id = tracking.createExperiment(RequestContext.of(ctx), r.name(), r.artifactLocation(), tags(r.tags(), "tags"));
    Json.write(ctx, Map.of("experiment_id", id));
  }

  private void getExperiment(Context ctx) {
    ExperimentRef r = Json.read(ctx, ExperimentRef.class);
    Json.write(ctx, Map.of("experiment", TrackingJson.experiment(tracking.getExperiment(RequestContext.of(ctx), r.experimentId()))));
  }

  private void getExperimentByName(Context ctx) {
    ExperimentRef r = Json.read(ctx, ExperimentRef.class);
    Json.write(ctx, Map.of("experiment",
        TrackingJson.experiment(tracking.getExperimentByName(RequestContext.of(ctx), r.experimentName()))));
  }

  private void searchExperiments(Context ctx) {
    SearchExperiments r = Json.read(ctx, SearchExperiments.class);
    var page = tracking.searchExperiments(RequestContext.of(ctx), r.maxResults(), r.pageToken(), r.filter(), r.orderBy(),
        r.viewType());
    Map<String, Object> body = new LinkedHashMap<>();
    if (!page.items().isEmpty()) {
      body.put("experiments", page.items().stream().map(TrackingJson::experiment).toList());
    }
    page.nextPageToken().ifPresent(t -> body.put("next_page_token", t));
    Json.write(ctx, body);
  }

  private void deleteExperiment(Context ctx) {
    tracking.deleteExperiment(RequestContext.of(ctx), Json.read(ctx, ExperimentRef.class).experimentId());
    Json.write(ctx, Map.of());
  }

  private void restoreExperiment(Context ctx) {
    tracking.restoreExperiment(RequestContext.of(ctx), Json.read(ctx, ExperimentRef.class).experimentId());
    Json.write(ctx, Map.of());
  }

  private void updateExperiment(Context ctx) {
    UpdateExperiment r = Json.read(ctx, UpdateExperiment.class);
    tracking.renameExperiment(RequestContext.of(ctx), r.experimentId(), r.newName());
    Json.write(ctx, Map.of());
  }

  private void setExperimentTag(Context ctx) {
    ExperimentTag r = Json.read(ctx, ExperimentTag.class);
    tracking.setExperimentTag(RequestContext.of(ctx), r.experimentId(), r.key(), r.value());
    Json.write(ctx, Map.of());
  }

  private void deleteExperimentTag(Context ctx) {
    ExperimentTag r = Json.read(ctx, ExperimentTag.class);
    tracking.deleteExperimentTag(RequestContext.of(ctx), r.experimentId(), r.key());
    Json.write(ctx, Map.of());
  }

  private void createRun(Context ctx) {
    CreateRun r = Json.read(ctx, CreateRun.class);
    Run run = tracking.createRun(RequestContext.of(ctx),
        new TrackingService.NewRun(r.experimentId(), r.userId(), r.runName(), r.startTime(), tags(r.tags(), "tags")));
    Json.write(ctx, Map.of("run", TrackingJson.run(run)));
  }

  private void getRun(Context ctx) {
    RunRef r = Json.read(ctx, RunRef.class);
    Json.write(ctx, Map.of("run", TrackingJson.run(tracking.getRun(RequestContext.of(ctx), r.id()))));
  }

  private void updateRun(Context ctx) {
    UpdateRun r = Json.read(ctx, UpdateRun.class);
    String id = r.runId() != null && !r.runId().isEmpty() ? r.runId() : r.runUuid();
    RunInfo info = tracking.updateRun(RequestContext.of(ctx), id, r.status(), r.endTime(), r.runName());
    Json.write(ctx, Map.of("run_info", TrackingJson.runInfo(info)));
  }

  private void deleteRun(Context ctx) {
    tracking.deleteRun(RequestContext.of(ctx), Json.read(ctx, RunRef.class).id());
    Json.write(ctx, Map.of());
  }

  private void restoreRun(Context ctx) {
    tracking.restoreRun(RequestContext.of(ctx), Json.read(ctx, RunRef.class).id());
    Json.write(ctx, Map.of());
  }

  private void logMetric(Context ctx) {
    LogMetric r = Json.read(ctx, LogMetric.class);
    String id = r.runId() != null && !r.runId().isEmpty() ? r.runId() : r.runUuid();
    tracking.logMetric(RequestContext.of(ctx), id, r.key(), r.value(), r.timestamp(), r.step(), r.modelId(),
        r.datasetName(), r.datasetDigest());
    Json.write(ctx, Map.of());
  }

  private void logParam(Context ctx) {
    LogParam r = Json.read(ctx, LogParam.class);
    String id = r.runId() != null && !r.runId().isEmpty() ? r.runId() : r.runUuid();
    tracking.logParam(RequestContext.of(ctx), id, r.key(), r.value());
    Json.write(ctx, Map.of());
  }

  private void setTag(Context ctx) {
    SetTag r = Json.read(ctx, SetTag.class);
    String id = r.runId() != null && !r.runId().isEmpty() ? r.runId() : r.runUuid();
    tracking.setTag(RequestContext.of(ctx), id, r.key(), r.value());
    Json.write(ctx, Map.of());
  }

  private void deleteTag(Context ctx) {
    SetTag r = Json.read(ctx, SetTag.class);
    String id = r.runId() != null && !r.runId().isEmpty() ? r.runId() : r.runUuid();
    tracking.deleteTag(RequestContext.of(ctx), id, r.key());
    Json.write(ctx, Map.of());
  }

  private void logBatch(Context ctx) {
    LogBatch r = Json.read(ctx, LogBatch.class);
    List<MetricIn> metrics = r.metrics() == null ? List.of() : r.metrics();
    List<KeyValue> params = r.params() == null ? List.of() : r.params();
    List<KeyValue> tags = r.tags() == null ? List.of() : r.tags();
    checkBatchSize(metrics.size(), Validation.MAX_METRICS_PER_BATCH, "metrics");
    checkBatchSize(params.size(), Validation.MAX_PARAMS_TAGS_PER_BATCH, "params");
    checkBatchSize(tags.size(), Validation.MAX_PARAMS_TAGS_PER_BATCH, "tags");
    checkBatchSize(metrics.size() + params.size() + tags.size(), Validation.MAX_ENTITIES_PER_BATCH,
        "metrics, params, and tags");
    List<Metric> ms = new ArrayList<>(metrics.size());
    List<ModelMetric> modelMetrics = new ArrayList<>();
    for (int i = 0; i < metrics.size(); i++) {
      MetricIn m = metrics.get(i);
      String path = "metrics[" + i + "]";
      if (m == null) {
        throw Validation.missing(path);
      }
      Validation.key(m.key(), path + ".key");
      Validation.required(m.value(), path + ".value");
      Validation.timestamp(m.timestamp(), path + ".timestamp", m.key(), m.value());
      ms.add(new Metric(m.key(), m.value(), m.timestamp(), m.step() == null ? 0 : m.step()));
      if (m.modelId() != null && !m.modelId().isEmpty()) {
        modelMetrics.add(new ModelMetric(m.modelId(), ms.getLast(), m.datasetName(), m.datasetDigest()));
      }
    }
    Map<String, String> ps = new LinkedHashMap<>();
    Set<String> dupes = new HashSet<>();
    for (int i = 0; i < params.size(); i++) {
      KeyValue p = params.get(i);
      String path = "params[" + i + "]";
      if (p == null) {
        throw Validation.missing(path);
      }
      Validation.key(p.key(), path + ".key");
      if (ps.put(p.key(), Validation.truncate(p.value() == null ? "" : p.value(), Validation.MAX_PARAM_VAL_LENGTH)) != null) {
        dupes.add(p.key());
      }
    }
    if (!dupes.isEmpty()) {
      throw MlflowError.invalid("Duplicate parameter keys have been submitted: " + dupes.stream().sorted()
          .map(k -> "'" + k + "'").toList() + ". Please ensure the request contains only one param value per param key.");
    }
    Map<String, String> ts = new LinkedHashMap<>();
    for (int i = 0; i < tags.size(); i++) {
      KeyValue t = tags.get(i);
      String path = "tags[" + i + "]";
      if (t == null) {
        throw Validation.missing(path);
      }
      Validation.key(t.key(), path + ".key");
      ts.put(t.key(), Validation.truncate(t.value() == null ? "" : t.value(), Validation.MAX_TAG_VAL_LENGTH));
    }
    tracking.logBatch(RequestContext.of(ctx), r.runId(), new TrackingService.Batch(ms, ps, ts, modelMetrics));
    Json.write(ctx, Map.of());
  }

  private static void checkBatchSize(int n, int max, String what) {
    if (n > max) {
      throw MlflowError.invalid("A batch logging request can contain at most " + max + " " + what + ". Got " + n + " "
          + what + ". Please split up " + what + " across multiple requests and try again.");
    }
  }

  private void logInputs(Context ctx) {
    LogInputs r = Json.read(ctx, LogInputs.class);
    List<DatasetInput> inputs = new ArrayList<>();
    for (DatasetInputIn in : r.datasets() == null ? List.<DatasetInputIn>of() : r.datasets()) {
      if (in == null || in.dataset() == null) {
        throw Validation.missing("datasets.dataset");
      }
      DatasetIn d = in.dataset();
      inputs.add(new DatasetInput(
          new DatasetInput.Dataset(d.name(), d.digest(), d.sourceType(), d.source(), d.schema(), d.profile()),
          tags(in.tags(), "datasets.tags")));
    }
    List<String> models = new ArrayList<>();
    for (ModelInputIn m : r.models() == null ? List.<ModelInputIn>of() : r.models()) {
      if (m == null || m.modelId() == null || m.modelId().isEmpty()) {
        throw Validation.missing("models.model_id");
      }
      models.add(m.modelId());
    }
    tracking.logInputs(RequestContext.of(ctx), r.runId(), inputs, models);
    Json.write(ctx, Map.of());
  }

  private void searchRuns(Context ctx) {
    SearchRuns r = Json.read(ctx, SearchRuns.class);
    var page = tracking.searchRuns(RequestContext.of(ctx), r.experimentIds(), r.filter(), r.runViewType(), r.maxResults(),
        r.orderBy(), r.pageToken());
    Map<String, Object> body = new LinkedHashMap<>();
    if (!page.items().isEmpty()) {
      body.put("runs", TrackingJson.runs(page.items()));
    }
    page.nextPageToken().ifPresent(t -> body.put("next_page_token", t));
    Json.write(ctx, body);
  }

  private void metricHistory(Context ctx) {
    GetHistory r = Json.read(ctx, GetHistory.class);
    String id = r.runId() != null && !r.runId().isEmpty() ? r.runId() : r.runUuid();
    var page = tracking.metricHistory(RequestContext.of(ctx), id, r.metricKey(), r.pageToken(), r.maxResults());
    Map<String, Object> body = new LinkedHashMap<>();
    if (!page.items().isEmpty()) {
      body.put("metrics", TrackingJson.metrics(page.items()));
    }
    page.nextPageToken().ifPresent(t -> body.put("next_page_token", t));
    Json.write(ctx, body);
  }

  private void bulkInterval(Context ctx) {
    BulkInterval r = Json.read(ctx, BulkInterval.class);
    var points = tracking.metricHistoryBulkInterval(RequestContext.of(ctx), r.runIds(), r.metricKey(), r.startStep(),
        r.endStep(), r.maxResults());
    Map<String, Object> body = new LinkedHashMap<>();
    if (!points.isEmpty()) {
      body.put("metrics", TrackingJson.runMetrics(points));
    }
    Json.write(ctx, body);
  }
}
