package io.atrium.loggedmodels;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Action;
import io.atrium.authz.Authz;
import io.atrium.common.MlflowError;
import io.atrium.http.RequestContext;
import io.atrium.tenancy.TenantId;
import io.atrium.tracking.Experiment;
import io.atrium.tracking.RunInfo;
import io.atrium.tracking.TrackingStore;
import io.atrium.tracking.search.ModelSearch;
import io.atrium.tracking.search.SqlQuery;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** MLflow 3 logged models: rules and authorization; no HTTP, no SQL. */
public final class LoggedModelService {
  static final int MAX_PARAM_VALUE = 6000;
  static final int MAX_TAG_VALUE = 8000;
  static final long SEARCH_DEFAULT = 100;
  static final long SEARCH_CAP = 50_000;

  /** A page of logged models and the token for the next one. */
  public record Page(List<LoggedModel> models, Optional<String> nextPageToken) {}

  /** One entry of runs/outputs. */
  public record Output(String modelId, long step) {}

  private final LoggedModelStore store;
  private final TrackingStore tracking;
  private final Authz authz;
  private final Clock clock;

  public LoggedModelService(LoggedModelStore store, TrackingStore tracking, Authz authz, Clock clock) {
    this.store = requireNonNull(store);
    this.tracking = requireNonNull(tracking);
    this.authz = requireNonNull(authz);
    this.clock = requireNonNull(clock);
  }

  /** Where a logged model's files live: always Atrium's own location, never chosen by the client. */
  public static String artifactLocation(long experimentId, String modelId) {
    return "mlflow-artifacts:/" + experimentId + "/models/" + modelId + "/artifacts";
  }

  public LoggedModel create(RequestContext rc, String experimentId, String name, String modelType, String sourceRunId,
      Map<String, String> params, Map<String, String> tags) {
    authz.require(rc, Action.WRITE);
    long exp = Inputs.experimentId(Inputs.required(experimentId, "experiment_id"));
    String modelName = name == null || name.isEmpty() ? "model-" + UUID.randomUUID().toString().substring(0, 8) : name;
    Inputs.maxLength(modelName, 500, "name");
    if (modelName.contains("/") || modelName.contains(":") || modelName.contains("\\")) {
      throw MlflowError.invalid("Invalid model name '" + modelName + "': names cannot contain '/', ':' or '\\'");
    }
    Inputs.maxLength(modelType, 500, "model_type");
    params.forEach((k, v) -> {
      Inputs.key(k, "params.key");
      Inputs.maxLength(v, MAX_PARAM_VALUE, "params.value");
    });
    tags.forEach((k, v) -> {
      Inputs.key(k, "tags.key");
      Inputs.maxLength(v, MAX_TAG_VALUE, "tags.value");
    });
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      Experiment e = tracking.experiment(h, t, exp)
          .orElseThrow(() -> MlflowError.notFound("No Experiment with id=" + exp + " exists"));
      if (!"active".equals(e.lifecycleStage())) {
        throw MlflowError.invalid("The experiment " + exp + " must be in the 'active' state. Current state is "
            + e.lifecycleStage() + ".");
      }
      String runId = sourceRunId == null || sourceRunId.isEmpty() ? null : sourceRunId;
      if (runId != null) {
        RunInfo run = tracking.runInfo(h, t, runId)
            .orElseThrow(() -> MlflowError.notFound("Run with id=" + sourceRunId + " not found"));
        if (run.experimentId() != exp) {
          throw MlflowError.invalid("Run " + runId + " does not belong to experiment " + exp);
        }
      }
      String id = "m-" + UUID.randomUUID().toString().replace("-", "");
      long now = clock.millis();
      LoggedModel m = new LoggedModel(id, exp, modelName, artifactLocation(exp, id), now, now, LoggedModel.PENDING,
          null, "active", modelType == null || modelType.isEmpty() ? null : modelType, runId, Map.of(), Map.of(),
          List.of());
      store.insert(h, t, m, rc.actor());
      store.setTags(h, t, id, tags);
      store.insertParams(h, t, id, params);
      return store.model(h, t, id).orElseThrow();
    });
  }

  public LoggedModel get(RequestContext rc, String modelId, boolean allowDeleted) {
    authz.require(rc, Action.READ);
    Inputs.required(modelId, "model_id");
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> store.model(h, t, modelId))
        .filter(m -> allowDeleted || m.active())
        .orElseThrow(() -> notFound(modelId));
  }

  /** The active logged model inside an open transaction; for the registry's {@code models:/<id>} sources. */
  public Optional<LoggedModel> activeModel(Handle h, TenantId t, String modelId) {
    return store.model(h, t, modelId).filter(LoggedModel::active);
  }

  public LoggedModel finalizeModel(RequestContext rc, String modelId, String status) {
    authz.require(rc, Action.WRITE);
    Inputs.required(modelId, "model_id");
    if (!LoggedModel.READY.equals(status) && !LoggedModel.UPLOAD_FAILED.equals(status)) {
      throw MlflowError.invalid("Invalid value '" + status + "' for parameter 'status': one of "
          + LoggedModel.READY + ", " + LoggedModel.UPLOAD_FAILED);
    }
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      activeForUpdate(h, t, modelId);
      store.setStatus(h, t, modelId, status, clock.millis());
      return store.model(h, t, modelId).orElseThrow();
    });
  }

  public void delete(RequestContext rc, String modelId) {
    authz.require(rc, Action.WRITE);
    Inputs.required(modelId, "model_id");
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      activeForUpdate(h, t, modelId);
      store.markDeleted(h, t, modelId, clock.millis());
      return null;
    });
  }

  public void setTags(RequestContext rc, String modelId, Map<String, String> tags) {
    authz.require(rc, Action.WRITE);
    Inputs.required(modelId, "model_id");
    tags.forEach((k, v) -> {
      Inputs.key(k, "tags.key");
      Inputs.maxLength(v, MAX_TAG_VALUE, "tags.value");
    });
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      activeForUpdate(h, t, modelId);
      store.setTags(h, t, modelId, tags);
      store.touch(h, t, modelId, clock.millis());
      return null;
    });
  }

  public void deleteTag(RequestContext rc, String modelId, String key) {
    authz.require(rc, Action.WRITE);
    Inputs.required(modelId, "model_id");
    Inputs.required(key, "tag_key");
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      activeForUpdate(h, t, modelId);
      if (!store.deleteTag(h, t, modelId, key)) {
        throw MlflowError.notFound("No tag with key '" + key + "' found for logged model with ID '" + modelId + "'.");
      }
      store.touch(h, t, modelId, clock.millis());
      return null;
    });
  }

  public void logParams(RequestContext rc, String modelId, Map<String, String> params) {
    authz.require(rc, Action.WRITE);
    Inputs.required(modelId, "model_id");
    params.forEach((k, v) -> {
      Inputs.key(k, "params.key");
      Inputs.maxLength(v, MAX_PARAM_VALUE, "params.value");
    });
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      activeForUpdate(h, t, modelId);
      Map<String, String> existing = store.params(h, t, modelId);
      Map<String, String> fresh = new LinkedHashMap<>();
      params.forEach((k, v) -> {
        String old = existing.get(k);
        if (old == null) {
          fresh.put(k, v);
        } else if (!old.equals(v)) {
          throw MlflowError.invalid("Changing param values is not allowed. Param with key='" + k
              + "' was already logged with value='" + old + "' for logged model ID='" + modelId + "'.");
        }
      });
      store.insertParams(h, t, modelId, fresh);
      return null;
    });
  }

  public Page search(RequestContext rc, List<String> experimentIds, String filter, Long maxResults,
      List<ModelSearch.LoggedModelOrder> orderBy, String pageToken) {
    return search(rc, experimentIds, filter, List.of(), maxResults, orderBy, pageToken);
  }

  public Page search(RequestContext rc, List<String> experimentIds, String filter,
      List<ModelSearch.DatasetFilter> datasets, Long maxResults, List<ModelSearch.LoggedModelOrder> orderBy,
      String pageToken) {
    authz.require(rc, Action.READ);
    long max = Inputs.maxResults(maxResults, SEARCH_DEFAULT, SEARCH_CAP);
    List<Long> ids = new ArrayList<>();
    for (String e : experimentIds == null ? List.<String>of() : experimentIds) {
      ids.add(Inputs.experimentId(e));
    }
    if (ids.isEmpty()) {
      throw MlflowError.invalid("At least one experiment ID must be specified in 'experiment_ids'.");
    }
    int offset = Inputs.pageOffset(pageToken);
    TenantId t = rc.tenant().id();
    SqlQuery q = ModelSearch.loggedModels(t.value(), ids, filter, datasets, orderBy, offset, (int) max + 1);
    return store.inTenant(t, h -> {
      List<String> found = store.searchIds(h, q);
      boolean more = found.size() > max;
      List<String> page = more ? found.subList(0, (int) max) : found;
      return new Page(store.models(h, t, page),
          more ? Optional.of(Inputs.pageToken(offset + (int) max)) : Optional.empty());
    });
  }

  /** runs/outputs: records which logged models a run produced. */
  public void logOutputs(RequestContext rc, String runId, List<Output> outputs) {
    authz.require(rc, Action.WRITE);
    Inputs.required(runId, "run_id");
    for (Output o : outputs) {
      Inputs.required(o.modelId(), "models.model_id");
    }
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      RunInfo run = tracking.runInfoForUpdate(h, t, runId)
          .orElseThrow(() -> MlflowError.notFound("Run with id=" + runId + " not found"));
      if (!run.active()) {
        throw MlflowError.invalid("The run " + runId + " must be in the 'active' state. Current state is "
            + run.lifecycleStage() + ".");
      }
      for (Output o : outputs) {
        store.model(h, t, o.modelId()).filter(LoggedModel::active).orElseThrow(() -> notFound(o.modelId()));
        store.logOutput(h, t, runId, o.modelId(), o.step());
      }
      return null;
    });
  }

  private LoggedModel activeForUpdate(Handle h, TenantId t, String modelId) {
    return store.modelForUpdate(h, t, modelId).filter(LoggedModel::active).orElseThrow(() -> notFound(modelId));
  }

  static MlflowError notFound(String modelId) {
    return MlflowError.notFound("Logged model with ID '" + modelId + "' not found.");
  }
}
