package io.atrium.tracking;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Action;
import io.atrium.authz.Authz;
import io.atrium.common.MlflowError;
import io.atrium.db.Database;
import io.atrium.http.RequestContext;
import io.atrium.tenancy.TenantId;
import io.atrium.tracking.search.ExperimentSearch;
import io.atrium.tracking.search.RunSearch;
import io.atrium.tracking.search.SqlQuery;
import io.atrium.tracking.search.ViewType;
import io.atrium.usage.UsageCounter;
import io.atrium.usage.UsageSink;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * Tracking rules: authorization, MLflow's validation and state rules, and the run-name/tag sync.
 * No HTTP, no SQL. Every write is one transaction: a request applies fully or not at all.
 */
public final class TrackingService {
  public static final String RUN_NAME_TAG = "mlflow.runName";
  static final int GET_HISTORY_PAGE_CAP = 25_000;
  static final int BULK_MAX_RUNS = 100;
  static final int BULK_MAX_RESULTS = 2500;
  private static final Set<String> RUN_STATUSES = Set.of("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED");

  /** A page of results and the token for the next one (empty when there is none). */
  public record Page<T>(List<T> items, Optional<String> nextPageToken) {}

  /** What a new run starts with. */
  public record NewRun(String experimentId, String userId, String runName, Long startTime, Map<String, String> tags) {}

  private final TrackingStore store;
  private final Authz authz;
  private final UsageSink usage;
  private final Clock clock;

  public TrackingService(TrackingStore store, Authz authz, UsageSink usage, Clock clock) {
    this.store = requireNonNull(store);
    this.authz = requireNonNull(authz);
    this.usage = requireNonNull(usage);
    this.clock = requireNonNull(clock);
  }

  private static TenantId tenant(RequestContext rc) {
    return rc.tenant().id();
  }

  // ---------------------------------------------------------------- experiments

  public String createExperiment(RequestContext rc, String name, String artifactLocation, Map<String, String> tags) {
    authz.require(rc, Action.WRITE);
    validateExperimentName(name);
    tags.forEach(TrackingService::validateExperimentTag);
    if (artifactLocation != null && !artifactLocation.isEmpty()) {
      // Atrium owns where artifacts live: a user-chosen location could point at another tenant's
      // data or at the server's own files (MLflow's CVE-2023-6831 family). See docs/SECURITY.md.
      throw MlflowError.invalid(
          "artifact_location cannot be chosen on Atrium: experiments store artifacts under the tenant's managed root");
    }
    TenantId t = tenant(rc);
    return claimingName(
        t,
        name,
        h -> {
          if (store.experimentByName(h, t, name).isPresent()) {
            throw nameTaken(name);
          }
          long id = store.nextExperimentId(h, t);
          long now = clock.millis();
          store.insertExperiment(h, t, id, name, TrackingStore.artifactLocation(id), now);
          tags.forEach((k, v) -> store.setExperimentTag(h, t, id, k, v));
          return Long.toString(id);
        });
  }

  /**
   * A write that gives an experiment {@code name} (create, rename). Two such writes of one name at
   * once both pass their name check, and the unique index refuses the second: that must read as
   * RESOURCE_ALREADY_EXISTS, not a 500, once a re-read finds the name taken. (Ids cannot collide:
   * nextExperimentId serializes on a row lock.)
   */
  private <R> R claimingName(TenantId t, String name, Database.Tx<R> work) {
    try {
      return store.write(t, work);
    } catch (RuntimeException e) {
      if (Database.isDuplicateKey(e) && store.read(t, h -> store.experimentByName(h, t, name)).isPresent()) {
        throw nameTaken(name);
      }
      throw e;
    }
  }

  private static MlflowError nameTaken(String name) {
    return MlflowError.alreadyExists("Experiment(name=" + name + ") already exists.");
  }

  public Experiment getExperiment(RequestContext rc, String experimentId) {
    authz.require(rc, Action.READ);
    long id = Validation.experimentId(Validation.required(experimentId, "experiment_id"));
    return store.read(tenant(rc), h -> experimentOrThrow(h, tenant(rc), id));
  }

  public Experiment getExperimentByName(RequestContext rc, String name) {
    authz.require(rc, Action.READ);
    Validation.required(name, "experiment_name");
    return store.read(tenant(rc), h -> store.experimentByName(h, tenant(rc), name))
        .orElseThrow(() -> MlflowError.notFound("Could not find experiment with name '" + name + "'"));
  }

  public void deleteExperiment(RequestContext rc, String experimentId) {
    authz.require(rc, Action.WRITE);
    long id = Validation.experimentId(Validation.required(experimentId, "experiment_id"));
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          Experiment e = experimentOrThrow(h, t, id);
          if (!e.active()) {
            throw notFoundExperiment(id);
          }
          if (id == TrackingStore.DEFAULT_EXPERIMENT_ID) {
            throw MlflowError.invalid("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
          }
          long now = clock.millis();
          store.setExperimentLifecycle(h, t, id, Lifecycle.DELETED, now, now);
          store.deleteRunsOfExperiment(h, t, id, now);
          return null;
        });
  }

  public void restoreExperiment(RequestContext rc, String experimentId) {
    authz.require(rc, Action.WRITE);
    long id = Validation.experimentId(Validation.required(experimentId, "experiment_id"));
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          Experiment e = experimentOrThrow(h, t, id);
          if (e.active()) {
            throw notFoundExperiment(id);
          }
          Long deletedAt = store.experimentDeletedTime(h, t, id).orElse(null);
          store.setExperimentLifecycle(h, t, id, Lifecycle.ACTIVE, null, clock.millis());
          if (deletedAt != null) {
            store.restoreRunsOfExperiment(h, t, id, deletedAt);
          }
          return null;
        });
  }

  public void renameExperiment(RequestContext rc, String experimentId, String newName) {
    authz.require(rc, Action.WRITE);
    long id = Validation.experimentId(Validation.required(experimentId, "experiment_id"));
    Validation.required(newName, "new_name");
    validateExperimentName(newName);
    TenantId t = tenant(rc);
    claimingName(
        t,
        newName,
        h -> {
          Experiment e = experimentOrThrow(h, t, id);
          if (!e.active()) {
            throw MlflowError.invalidState("Cannot rename a non-active experiment.");
          }
          Optional<Experiment> clash = store.experimentByName(h, t, newName);
          if (clash.isPresent() && clash.get().id() != id) {
            throw nameTaken(newName);
          }
          store.renameExperiment(h, t, id, newName, clock.millis());
          return null;
        });
  }

  public void setExperimentTag(RequestContext rc, String experimentId, String key, String value) {
    authz.require(rc, Action.WRITE);
    long id = Validation.experimentId(Validation.required(experimentId, "experiment_id"));
    Validation.required(key, "key");
    String v = value == null ? "" : value;
    validateExperimentTag(key, v);
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          requireActive(experimentOrThrow(h, t, id));
          store.setExperimentTag(h, t, id, key, v);
          return null;
        });
  }

  public void deleteExperimentTag(RequestContext rc, String experimentId, String key) {
    authz.require(rc, Action.WRITE);
    long id = Validation.experimentId(Validation.required(experimentId, "experiment_id"));
    Validation.required(key, "key");
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          requireActive(experimentOrThrow(h, t, id));
          if (!store.deleteExperimentTag(h, t, id, key)) {
            throw MlflowError.notFound("No tag with name: " + key + " in experiment with id " + id);
          }
          return null;
        });
  }

  public Page<Experiment> searchExperiments(
      RequestContext rc, Long maxResults, String pageToken, String filter, List<String> orderBy, String viewType) {
    authz.require(rc, Action.READ);
    long max = maxResults == null ? 1000 : maxResults;
    Validation.maxResults(max, Validation.SEARCH_MAX_RESULTS);
    int offset = PageToken.offset(pageToken);
    TenantId t = tenant(rc);
    SqlQuery q =
        ExperimentSearch.compile(t.value(), filter, orderBy == null ? List.of() : orderBy, ViewType.parse(viewType),
            offset, (int) max + 1);
    return store.read(
        t,
        h -> {
          List<Long> ids = store.searchIds(h, q);
          boolean more = ids.size() > max;
          List<Long> page = more ? ids.subList(0, (int) max) : ids;
          return new Page<>(store.experiments(h, t, page),
              more ? Optional.of(PageToken.of(offset + (int) max)) : Optional.empty());
        });
  }

  private Experiment experimentOrThrow(Handle h, TenantId t, long id) {
    return store.experiment(h, t, id).orElseThrow(() -> notFoundExperiment(id));
  }

  private static MlflowError notFoundExperiment(long id) {
    return MlflowError.notFound("No Experiment with id=" + id + " exists");
  }

  private static void requireActive(Experiment e) {
    if (!e.active()) {
      throw MlflowError.invalid(
          "The experiment " + e.id() + " must be in the 'active' state. Current state is " + e.lifecycleStage() + ".");
    }
  }

  private static void validateExperimentName(String name) {
    Validation.required(name, "name");
    if (name.isBlank()) {
      throw MlflowError.invalid("Invalid experiment name: '" + name + "'");
    }
    Validation.maxLength(name, Validation.MAX_EXPERIMENT_NAME_LENGTH, "name");
  }

  private static void validateExperimentTag(String key, String value) {
    Validation.key(key, "key");
    Validation.maxLength(value, Validation.MAX_EXPERIMENT_TAG_VAL_LENGTH, "value");
  }

  // ---------------------------------------------------------------- runs

  public Run createRun(RequestContext rc, NewRun req) {
    authz.require(rc, Action.WRITE);
    long expId =
        req.experimentId() == null || req.experimentId().isEmpty()
            ? TrackingStore.DEFAULT_EXPERIMENT_ID
            : Validation.experimentId(req.experimentId());
    Map<String, String> tags = new LinkedHashMap<>(req.tags());
    tags.forEach((k, v) -> Validation.key(k, "tags.key"));
    String tagName = tags.get(RUN_NAME_TAG);
    String runName = req.runName();
    if (runName != null && !runName.isEmpty() && tagName != null && !tagName.equals(runName)) {
      throw MlflowError.invalid("Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different "
          + "values (run_name='" + runName + "', mlflow.runName='" + tagName + "').");
    }
    if (runName == null || runName.isEmpty()) {
      runName = tagName != null && !tagName.isEmpty() ? tagName : RunNames.random();
    }
    Validation.maxLength(runName, Validation.MAX_RUN_NAME_LENGTH, "run_name");
    tags.put(RUN_NAME_TAG, runName);
    tags.replaceAll((k, v) -> Validation.truncate(v == null ? "" : v, Validation.MAX_TAG_VAL_LENGTH));
    String userId = req.userId() == null || req.userId().isEmpty() ? rc.actor() : req.userId();
    long start = req.startTime() == null ? clock.millis() : req.startTime();
    TenantId t = tenant(rc);
    String finalName = runName;
    Run created = store.write(
        t,
        h -> {
          requireActive(store.experimentWithoutTags(h, t, expId).orElseThrow(() -> notFoundExperiment(expId)));
          String runId = UUID.randomUUID().toString().replace("-", "");
          RunInfo info =
              new RunInfo(runId, expId, finalName, userId, "RUNNING", start, null,
                  TrackingStore.artifactLocation(expId) + "/" + runId + "/artifacts", Lifecycle.ACTIVE);
          store.insertRun(h, t, info);
          // A new run has nothing to replace or read back: its tags are exactly these.
          store.insertTags(h, t, runId, tags);
          return new Run(info, List.of(), Map.of(), new TreeMap<>(tags), List.of());
        });
    usage.add(t, UsageCounter.RUNS_CREATED, 1);
    usage.add(t, UsageCounter.TAGS, tags.size());
    return created;
  }

  public Run getRun(RequestContext rc, String runId) {
    authz.require(rc, Action.READ);
    Validation.required(runId, "run_id");
    TenantId t = tenant(rc);
    return store.read(t, h -> store.runs(h, t, List.of(runId)).stream().findFirst())
        .orElseThrow(() -> notFoundRun(runId));
  }

  public RunInfo updateRun(RequestContext rc, String runId, String status, Long endTime, String runName) {
    authz.require(rc, Action.WRITE);
    Validation.required(runId, "run_id");
    if (status != null && !status.isEmpty() && !RUN_STATUSES.contains(status)) {
      throw MlflowError.invalid("Invalid value '" + status + "' for parameter 'status'");
    }
    Validation.maxLength(runName, Validation.MAX_RUN_NAME_LENGTH, "run_name");
    TenantId t = tenant(rc);
    return store.write(
        t,
        h -> {
          RunInfo r = activeRunForUpdate(h, t, runId);
          String newStatus = status == null || status.isEmpty() ? r.status() : status;
          Long newEnd = endTime != null ? endTime : r.endTime();
          String newName = runName == null || runName.isEmpty() ? r.runName() : runName;
          store.updateRun(h, t, runId, newStatus, newEnd, newName);
          if (runName != null && !runName.isEmpty()) {
            store.setTags(h, t, runId, Map.of(RUN_NAME_TAG, runName));
          }
          // The row is locked by this transaction, so what it now holds is known without a read.
          return new RunInfo(r.runUuid(), r.experimentId(), newName, r.userId(), newStatus, r.startTime(), newEnd,
              r.artifactUri(), r.lifecycleStage());
        });
  }

  public void deleteRun(RequestContext rc, String runId) {
    setRunLifecycle(rc, runId, Lifecycle.DELETED);
  }

  public void restoreRun(RequestContext rc, String runId) {
    setRunLifecycle(rc, runId, Lifecycle.ACTIVE);
  }

  private void setRunLifecycle(RequestContext rc, String runId, String stage) {
    authz.require(rc, Action.WRITE);
    Validation.required(runId, "run_id");
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          store.runInfoForUpdate(h, t, runId).orElseThrow(() -> notFoundRun(runId));
          store.setRunLifecycle(h, t, runId, stage, Lifecycle.DELETED.equals(stage) ? clock.millis() : null);
          return null;
        });
  }

  public void setTag(RequestContext rc, String runId, String key, String value) {
    authz.require(rc, Action.WRITE);
    Validation.required(runId, "run_id");
    Validation.key(key, "key");
    String v = Validation.truncate(value == null ? "" : value, Validation.MAX_TAG_VAL_LENGTH);
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          activeRunForUpdate(h, t, runId);
          store.setTags(h, t, runId, Map.of(key, v));
          if (RUN_NAME_TAG.equals(key)) {
            store.setRunName(h, t, runId, v);
          }
          return null;
        });
    usage.add(t, UsageCounter.TAGS, 1);
  }

  public void deleteTag(RequestContext rc, String runId, String key) {
    authz.require(rc, Action.WRITE);
    Validation.required(runId, "run_id");
    Validation.required(key, "key");
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          activeRunForUpdate(h, t, runId);
          if (!store.deleteTag(h, t, runId, key)) {
            throw MlflowError.notFound("No tag with name: " + key + " in run with id " + runId);
          }
          return null;
        });
  }

  public void logParam(RequestContext rc, String runId, String key, String value) {
    authz.require(rc, Action.WRITE);
    Validation.required(runId, "run_id");
    Validation.key(key, "key");
    String v = Validation.truncate(value == null ? "" : value, Validation.MAX_PARAM_VAL_LENGTH);
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          activeRunForUpdate(h, t, runId);
          String old = store.params(h, t, runId, List.of(key)).get(key);
          if (old != null && !old.equals(v)) {
            throw MlflowError.invalid("Changing param values is not allowed. Param with key='" + key + "' was already "
                + "logged with value='" + old + "' for run ID='" + runId + "'. Attempted logging new value '" + v + "'.");
          }
          if (old == null) {
            store.insertParams(h, t, runId, Map.of(key, v));
          }
          return null;
        });
    usage.add(t, UsageCounter.PARAMS, 1);
  }

  public void logMetric(RequestContext rc, String runId, String key, Double value, Long timestamp, Long step) {
    logMetric(rc, runId, key, value, timestamp, step, null, null, null);
  }

  /** log-metric; with a {@code modelId} the point is also linked to that logged model (MLflow 3). */
  public void logMetric(RequestContext rc, String runId, String key, Double value, Long timestamp, Long step,
      String modelId, String datasetName, String datasetDigest) {
    authz.require(rc, Action.WRITE);
    Validation.required(runId, "run_id");
    Validation.key(key, "name");
    Validation.required(value, "value");
    Validation.timestamp(timestamp, "timestamp", key, value);
    Metric m = new Metric(key, value, timestamp, step == null ? 0 : step);
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          RunInfo run = activeRunForUpdate(h, t, runId);
          store.metrics().logMetrics(h, t, runId, List.of(m));
          if (modelId != null && !modelId.isEmpty()) {
            linkModelMetrics(h, t, run, List.of(new ModelMetric(modelId, m, datasetName, datasetDigest)));
          }
          return null;
        });
    usage.add(t, UsageCounter.METRIC_POINTS, 1);
  }

  /** Param, metric and tag writes of one request, validated completely before anything is written. */
  public record Batch(List<Metric> metrics, Map<String, String> params, Map<String, String> tags,
      List<ModelMetric> modelMetrics) {
    /** A batch whose metrics name no logged model. */
    public Batch(List<Metric> metrics, Map<String, String> params, Map<String, String> tags) {
      this(metrics, params, tags, List.of());
    }
  }

  public void logBatch(RequestContext rc, String runId, Batch batch) {
    authz.require(rc, Action.WRITE);
    Validation.required(runId, "run_id");
    if (!Validation.RUN_ID.matcher(runId).matches()) {
      throw MlflowError.invalid("Invalid value \"" + runId + "\" for parameter 'run_id' supplied.");
    }
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          RunInfo run = activeRunForUpdate(h, t, runId);
          if (!batch.params().isEmpty()) {
            Map<String, String> existing = store.params(h, t, runId, batch.params().keySet());
            List<String> conflicts = new ArrayList<>();
            Map<String, String> fresh = new LinkedHashMap<>();
            batch.params().forEach((k, v) -> {
              String old = existing.get(k);
              if (old == null) {
                fresh.put(k, v);
              } else if (!old.equals(v)) {
                conflicts.add("{'key': '" + k + "', 'old_value': '" + old + "', 'new_value': '" + v + "'}");
              }
            });
            if (!conflicts.isEmpty()) {
              throw MlflowError.invalid("Changing param values is not allowed. Params were already logged='"
                  + conflicts + "' for run ID='" + runId + "'.");
            }
            store.insertParams(h, t, runId, fresh);
          }
          store.metrics().logMetrics(h, t, runId, batch.metrics());
          linkModelMetrics(h, t, run, batch.modelMetrics());
          store.setTags(h, t, runId, batch.tags());
          String name = batch.tags().get(RUN_NAME_TAG);
          if (name != null) {
            store.setRunName(h, t, runId, name);
          }
          return null;
        });
    usage.add(t, UsageCounter.METRIC_POINTS, batch.metrics().size());
    usage.add(t, UsageCounter.PARAMS, batch.params().size());
    usage.add(t, UsageCounter.TAGS, batch.tags().size());
  }

  public void logInputs(RequestContext rc, String runId, List<DatasetInput> inputs) {
    logInputs(rc, runId, inputs, List.of());
  }

  /** log-inputs: datasets, and (MLflow 3) logged models the run used, by model id. */
  public void logInputs(RequestContext rc, String runId, List<DatasetInput> inputs, List<String> modelInputs) {
    authz.require(rc, Action.WRITE);
    Validation.required(runId, "run_id");
    if (!Validation.RUN_ID.matcher(runId).matches()) {
      throw MlflowError.invalid("Invalid value \"" + runId + "\" for parameter 'run_id' supplied.");
    }
    for (DatasetInput in : inputs) {
      DatasetInput.Dataset d = Validation.required(in.dataset(), "datasets.dataset");
      Validation.maxLength(Validation.required(d.name(), "dataset.name"), 500, "name");
      Validation.maxLength(Validation.required(d.digest(), "dataset.digest"), 36, "digest");
      Validation.maxLength(Validation.required(d.sourceType(), "dataset.source_type"), 36, "source_type");
      Validation.maxLength(Validation.required(d.source(), "dataset.source"), 65535, "source");
      Validation.maxLength(d.schema(), 1048575, "schema");
      Validation.maxLength(d.profile(), 1048575, "profile");
      in.tags().forEach((k, v) -> {
        Validation.maxLength(Validation.required(k, "tags.key"), 255, "key");
        Validation.maxLength(v, 500, "value");
      });
    }
    for (String modelId : modelInputs) {
      Validation.maxLength(Validation.required(modelId, "models.model_id"), 64, "model_id");
    }
    TenantId t = tenant(rc);
    store.write(
        t,
        h -> {
          RunInfo r = activeRunForUpdate(h, t, runId);
          for (DatasetInput in : inputs) {
            String datasetId = store.upsertDataset(h, t, r.experimentId(), in.dataset(), uuid());
            store.insertInput(h, t, uuid(), datasetId, runId, in.tags());
          }
          Set<String> models = new LinkedHashSet<>(modelInputs);
          requireLoggedModels(h, t, models);
          for (String modelId : models) {
            store.insertModelInput(h, t, runId, modelId, uuid());
          }
          return null;
        });
  }

  public Page<Run> searchRuns(
      RequestContext rc, List<String> experimentIds, String filter, String runViewType, Long maxResults,
      List<String> orderBy, String pageToken) {
    authz.require(rc, Action.READ);
    long max = maxResults == null ? 1000 : maxResults;
    Validation.maxResults(max, Validation.SEARCH_MAX_RESULTS);
    List<Long> ids = new ArrayList<>();
    for (String e : experimentIds == null ? List.<String>of() : experimentIds) {
      ids.add(Validation.experimentId(e));
    }
    int offset = PageToken.offset(pageToken);
    TenantId t = tenant(rc);
    if (ids.isEmpty()) {
      return new Page<>(List.of(), Optional.empty());
    }
    RunSearch.Plan q =
        RunSearch.plan(t.value(), ids, filter, orderBy == null ? List.of() : orderBy, ViewType.parse(runViewType),
            offset, (int) max + 1);
    return store.read(
        t,
        h -> {
          List<String> runIds = store.searchRunIds(h, q);
          boolean more = runIds.size() > max;
          List<String> page = more ? runIds.subList(0, (int) max) : runIds;
          return new Page<>(store.runs(h, t, page),
              more ? Optional.of(PageToken.of(offset + (int) max)) : Optional.empty());
        });
  }

  public Page<Metric> metricHistory(RequestContext rc, String runId, String key, String pageToken, Long maxResults) {
    authz.require(rc, Action.READ);
    Validation.required(runId, "run_id");
    Validation.required(key, "metric_key");
    if (maxResults != null && maxResults < 1) {
      throw MlflowError.invalid(
          "Invalid value " + maxResults + " for parameter 'max_results' supplied. It must be a positive integer.");
    }
    int limit = (int) Math.min(maxResults == null ? GET_HISTORY_PAGE_CAP : maxResults, GET_HISTORY_PAGE_CAP);
    PageToken.HistoryStart start = PageToken.historyStart(pageToken);
    TenantId t = tenant(rc);
    return store.read(
        t,
        h -> {
          store.runInfo(h, t, runId).orElseThrow(() -> notFoundRun(runId));
          List<Metric> points = start.after() != null || start.offset() == 0
              ? store.metrics().metricHistory(h, t, runId, key, start.after(), limit + 1)
              : store.metrics().metricHistoryAt(h, t, runId, key, start.offset(), limit + 1);
          boolean more = points.size() > limit;
          List<Metric> page = more ? points.subList(0, limit) : points;
          return new Page<>(page,
              more ? Optional.of(PageToken.after(MetricStore.HistoryCursor.after(page.getLast()))) : Optional.empty());
        });
  }

  /** A metric point with its run, for get-history-bulk-interval. */
  public record RunMetric(String runId, Metric metric) {}

  public List<RunMetric> metricHistoryBulkInterval(
      RequestContext rc, List<String> runIds, String key, Long startStep, Long endStep, Long maxResults) {
    authz.require(rc, Action.READ);
    if (runIds == null || runIds.isEmpty()) {
      throw Validation.missing("run_ids");
    }
    if (runIds.size() > BULK_MAX_RUNS) {
      throw MlflowError.invalid("GetMetricHistoryBulkInterval request must specify at most " + BULK_MAX_RUNS
          + " run_ids. Received " + runIds.size() + " run_ids.");
    }
    Validation.required(key, "metric_key");
    if ((startStep == null) != (endStep == null)) {
      throw MlflowError.invalid("If either start step or end step are specified, both must be specified.");
    }
    if (startStep != null && startStep > endStep) {
      throw MlflowError.invalid("end_step must be greater than start_step. Found start_step=" + startStep
          + " and end_step=" + endStep + ".");
    }
    long max = maxResults == null ? BULK_MAX_RESULTS : maxResults;
    if (max < 1 || max > BULK_MAX_RESULTS) {
      throw MlflowError.invalid("max_results must be between 1 and " + BULK_MAX_RESULTS + ".");
    }
    TenantId t = tenant(rc);
    Set<String> requested = new LinkedHashSet<>(runIds);
    Map<String, List<Metric>> sampled = store.read(
        t,
        h -> {
          Map<String, List<Metric>> byRun = new HashMap<>();
          store.metrics().forEachHistory(h, t, requested, key, startStep, endStep,
              (runId, points) -> byRun.put(runId, sample(points, (int) max)));
          return byRun;
        });
    // In the order the runs were asked for; a run without points (unknown, another tenant's) adds nothing.
    List<RunMetric> out = new ArrayList<>();
    for (String runId : requested) {
      for (Metric m : sampled.getOrDefault(runId, List.of())) {
        out.add(new RunMetric(runId, m));
      }
    }
    return out;
  }

  /**
   * The points at up to {@code max} of the distinct steps of {@code points}: all of them when there
   * are no more steps than that, else {@code max} steps spread evenly, the first and the last always
   * among them (the step at index {@code Math.round(k * stride)} for k in 0..max-1, stride = (steps
   * - 1) / (max - 1); the last step alone for one), with every point of a chosen step.
   */
  static List<Metric> sample(MetricStore.Points points, int max) {
    long[] steps = points.steps();
    int distinct = 0;
    for (int i = 0; i < points.size(); i++) {
      if (i == 0 || steps[i] != steps[i - 1]) {
        distinct++;
      }
    }
    boolean[] chosen = new boolean[distinct];
    if (distinct <= max) {
      Arrays.fill(chosen, true);
    } else if (max == 1) {
      chosen[distinct - 1] = true;
    } else {
      double stride = (distinct - 1) / (double) (max - 1);
      for (int k = 0; k < max; k++) {
        chosen[(int) Math.round(k * stride)] = true;
      }
    }
    List<Metric> out = new ArrayList<>(Math.min(points.size(), max));
    for (int i = 0, d = -1; i < points.size(); i++) {
      if (i == 0 || steps[i] != steps[i - 1]) {
        d++;
      }
      if (chosen[d]) {
        out.add(points.get(i));
      }
    }
    return out;
  }

  private RunInfo activeRunForUpdate(Handle h, TenantId t, String runId) {
    RunInfo r = store.runInfoForUpdate(h, t, runId).orElseThrow(() -> notFoundRun(runId));
    if (!r.active()) {
      throw MlflowError.invalid(
          "The run " + runId + " must be in the 'active' state. Current state is " + r.lifecycleStage() + ".");
    }
    return r;
  }

  /** Links model metrics to their logged models, which must be this tenant's. */
  private void linkModelMetrics(Handle h, TenantId t, RunInfo run, List<ModelMetric> metrics) {
    if (metrics.isEmpty()) {
      return;
    }
    Set<String> ids = new HashSet<>();
    metrics.forEach(m -> ids.add(m.modelId()));
    requireLoggedModels(h, t, ids);
    store.metrics().logModelMetrics(h, t, run, metrics);
  }

  /**
   * Every id must name a logged model of this tenant. Another tenant's model answers exactly like a
   * missing one (MLflow's message for a missing logged model), so ids reveal nothing across tenants.
   */
  private void requireLoggedModels(Handle h, TenantId t, Set<String> modelIds) {
    Set<String> found = store.existingLoggedModels(h, t, modelIds);
    for (String id : modelIds) {
      if (!found.contains(id)) {
        throw MlflowError.notFound("Logged model with ID '" + id + "' not found.");
      }
    }
  }

  private static MlflowError notFoundRun(String runId) {
    return MlflowError.notFound("Run with id=" + runId + " not found");
  }

  private static String uuid() {
    return UUID.randomUUID().toString().replace("-", "");
  }
}
