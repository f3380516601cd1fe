package io.atrium.loggedmodels;

import static java.util.Objects.requireNonNull;

import io.atrium.artifacts.ArtifactPath;
import io.atrium.artifacts.ArtifactRoutes;
import io.atrium.artifacts.ArtifactService;
import io.atrium.artifacts.ArtifactStorage;
import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.atrium.tracking.search.ModelSearch;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** MLflow 3's {@code /api/2.0/mlflow/logged-models} routes and {@code runs/outputs}: HTTP only. */
public final class MlflowLoggedModelRoutes {
  private static final String P = "/api/2.0/mlflow";
  private static final String M = P + "/logged-models";

  record KeyValue(String key, String value) {}

  record CreateLoggedModel(String experimentId, String name, String modelType, String sourceRunId,
      List<KeyValue> params, List<KeyValue> tags) {}

  record Finalize(String status) {}

  record Tags(List<KeyValue> tags) {}

  record Params(List<KeyValue> params) {}

  record OrderByIn(String fieldName, Boolean ascending, String datasetName, String datasetDigest) {}

  record DatasetIn(String datasetName, String datasetDigest) {}

  record Search(List<String> experimentIds, String filter, List<DatasetIn> datasets, Long maxResults,
      List<OrderByIn> orderBy, String pageToken) {}

  record ModelOutputIn(String modelId, Long step) {}

  record LogOutputs(String runId, List<ModelOutputIn> models) {}

  private final LoggedModelService models;
  private final ArtifactService artifacts;

  public MlflowLoggedModelRoutes(LoggedModelService models, ArtifactService artifacts) {
    this.models = requireNonNull(models);
    this.artifacts = requireNonNull(artifacts);
  }

  public List<Route> routes() {
    return List.of(
        Route.write(HandlerType.POST, M, Scope.TENANT, this::create),
        Route.read(HandlerType.POST, M + "/search", Scope.TENANT, this::search),
        Route.read(HandlerType.GET, M + "/{model_id}", Scope.TENANT, this::get),
        Route.write(HandlerType.PATCH, M + "/{model_id}", Scope.TENANT, this::finalizeModel),
        Route.write(HandlerType.DELETE, M + "/{model_id}", Scope.TENANT, this::delete),
        Route.write(HandlerType.PATCH, M + "/{model_id}/tags", Scope.TENANT, this::setTags),
        Route.write(HandlerType.DELETE, M + "/{model_id}/tags/<tag_key>", Scope.TENANT, this::deleteTag),
        Route.write(HandlerType.POST, M + "/{model_id}/params", Scope.TENANT, this::logParams),
        Route.read(HandlerType.GET, M + "/{model_id}/artifacts/directories", Scope.TENANT, this::listArtifacts),
        Route.write(HandlerType.POST, P + "/runs/outputs", Scope.TENANT, this::logOutputs));
  }

  static Map<String, String> map(List<KeyValue> kvs, String field) {
    Map<String, String> out = new LinkedHashMap<>();
    for (KeyValue kv : kvs == null ? List.<KeyValue>of() : kvs) {
      if (kv == null || kv.key() == null || kv.key().isEmpty()) {
        throw Inputs.missing(field + ".key");
      }
      out.put(kv.key(), kv.value() == null ? "" : kv.value());
    }
    return out;
  }

  private void create(Context ctx) {
    CreateLoggedModel r = Json.read(ctx, CreateLoggedModel.class);
    LoggedModel m = models.create(RequestContext.of(ctx), r.experimentId(), r.name(), r.modelType(), r.sourceRunId(),
        map(r.params(), "params"), map(r.tags(), "tags"));
    Json.write(ctx, Map.of("model", LoggedModelJson.of(m)));
  }

  private void get(Context ctx) {
    boolean allowDeleted = "true".equalsIgnoreCase(ctx.queryParam("allow_deleted"));
    Json.write(ctx, Map.of("model", LoggedModelJson.of(models.get(RequestContext.of(ctx), Route.pathParam(ctx, "model_id"), allowDeleted))));
  }

  private void finalizeModel(Context ctx) {
    Finalize r = Json.read(ctx, Finalize.class);
    Json.write(ctx, Map.of("model",
        LoggedModelJson.of(models.finalizeModel(RequestContext.of(ctx), Route.pathParam(ctx, "model_id"), r.status()))));
  }

  private void delete(Context ctx) {
    models.delete(RequestContext.of(ctx), Route.pathParam(ctx, "model_id"));
    Json.write(ctx, Map.of());
  }

  private void setTags(Context ctx) {
    Tags r = Json.read(ctx, Tags.class);
    models.setTags(RequestContext.of(ctx), Route.pathParam(ctx, "model_id"), map(r.tags(), "tags"));
    Json.write(ctx, Map.of());
  }

  private void deleteTag(Context ctx) {
    models.deleteTag(RequestContext.of(ctx), Route.pathParam(ctx, "model_id"), Route.pathParam(ctx, "tag_key"));
    Json.write(ctx, Map.of());
  }

  private void logParams(Context ctx) {
    Params r = Json.read(ctx, Params.class);
    models.logParams(RequestContext.of(ctx), Route.pathParam(ctx, "model_id"), map(r.params(), "params"));
    Json.write(ctx, Map.of());
  }

  private void search(Context ctx) {
    Search r = Json.read(ctx, Search.class);
    List<ModelSearch.LoggedModelOrder> order = new ArrayList<>();
    for (OrderByIn o : r.orderBy() == null ? List.<OrderByIn>of() : r.orderBy()) {
      if (o == null || o.fieldName() == null || o.fieldName().isEmpty()) {
        throw Inputs.missing("order_by.field_name");
      }
      order.add(new ModelSearch.LoggedModelOrder(o.fieldName(), o.ascending() == null || o.ascending(),
          o.datasetName(), o.datasetDigest()));
    }
    List<ModelSearch.DatasetFilter> datasets = new ArrayList<>();
    for (DatasetIn d : r.datasets() == null ? List.<DatasetIn>of() : r.datasets()) {
      if (d == null || d.datasetName() == null || d.datasetName().isEmpty()) {
        throw MlflowError.invalid("`dataset_name` in the `datasets` clause must be specified.");
      }
      datasets.add(new ModelSearch.DatasetFilter(d.datasetName(), d.datasetDigest()));
    }
    var page = models.search(RequestContext.of(ctx), r.experimentIds(), r.filter(), datasets, r.maxResults(), order,
        r.pageToken());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("models", page.models().stream().map(LoggedModelJson::of).toList());
    page.nextPageToken().ifPresent(t -> body.put("next_page_token", t));
    Json.write(ctx, body);
  }

  /**
   * MLflow's ListLoggedModelArtifacts (the UI's model page lists a model's files with it). The model
   * is looked up in the caller's tenant first, so another tenant's model id answers exactly like a
   * missing one; the directory is parsed with the artifact routes' strict path rules.
   */
  private void listArtifacts(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    ArtifactPath rel = ArtifactRoutes.queryPath(ctx, "artifact_directory_path");
    LoggedModel m = models.get(rc, Route.pathParam(ctx, "model_id"), false);
    List<Map<String, Object>> files = new ArrayList<>();
    for (ArtifactStorage.Entry e : artifacts.listUnder(rc, m.artifactLocation(), rel)) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("path", rel.isRoot() ? e.name() : rel.value() + "/" + e.name());
      f.put("is_dir", e.dir());
      if (!e.dir()) {
        f.put("file_size", e.size());
      }
      files.add(f);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("root_uri", m.artifactLocation());
    if (!files.isEmpty()) {
      body.put("files", files);
    }
    Json.write(ctx, body);
  }

  private void logOutputs(Context ctx) {
    LogOutputs r = Json.read(ctx, LogOutputs.class);
    List<LoggedModelService.Output> outs = new ArrayList<>();
    for (ModelOutputIn o : r.models() == null ? List.<ModelOutputIn>of() : r.models()) {
      if (o == null) {
        throw Inputs.missing("models");
      }
      outs.add(new LoggedModelService.Output(o.modelId(), o.step() == null ? 0 : o.step()));
    }
    models.logOutputs(RequestContext.of(ctx), r.runId(), outs);
    Json.write(ctx, Map.of());
  }
}
