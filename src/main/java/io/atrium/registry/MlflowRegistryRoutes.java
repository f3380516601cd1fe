package io.atrium.registry;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.atrium.loggedmodels.Inputs;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** MLflow's model registry REST API ({@code registered-models/*}, {@code model-versions/*}): HTTP only. */
public final class MlflowRegistryRoutes {
  private static final String RM = "/api/2.0/mlflow/registered-models";
  private static final String MV = "/api/2.0/mlflow/model-versions";

  record KeyValue(String key, String value) {}

  record CreateModel(String name, List<KeyValue> tags, String description) {}

  record ModelRef(String name, String newName, String description, String key, String value, String alias,
      String version) {}

  record Search(String filter, Long maxResults, List<String> orderBy, String pageToken) {}

  record LatestVersions(String name, List<String> stages) {}

  record CreateVersion(String name, String source, String runId, List<KeyValue> tags, String runLink,
      String description, String modelId) {}

  record VersionRef(String name, String version, String description, String stage, Boolean archiveExistingVersions,
      String key, String value) {}

  private final RegistryService registry;

  public MlflowRegistryRoutes(RegistryService registry) {
    this.registry = requireNonNull(registry);
  }

  public List<Route> routes() {
    return List.of(
        Route.write(HandlerType.POST, RM + "/create", Scope.TENANT, this::createModel),
        Route.read(HandlerType.GET, RM + "/get", Scope.TENANT, this::getModel),
        Route.write(HandlerType.PATCH, RM + "/update", Scope.TENANT, this::updateModel),
        Route.write(HandlerType.POST, RM + "/rename", Scope.TENANT, this::renameModel),
        Route.write(HandlerType.DELETE, RM + "/delete", Scope.TENANT, this::deleteModel),
        Route.read(HandlerType.GET, RM + "/search", Scope.TENANT, this::searchModels),
        Route.read(HandlerType.POST, RM + "/get-latest-versions", Scope.TENANT, this::latestVersions),
        Route.read(HandlerType.GET, RM + "/get-latest-versions", Scope.TENANT, this::latestVersions),
        Route.write(HandlerType.POST, RM + "/set-tag", Scope.TENANT, this::setModelTag),
        Route.write(HandlerType.DELETE, RM + "/delete-tag", Scope.TENANT, this::deleteModelTag),
        Route.write(HandlerType.POST, RM + "/alias", Scope.TENANT, this::setAlias),
        Route.write(HandlerType.DELETE, RM + "/alias", Scope.TENANT, this::deleteAlias),
        Route.read(HandlerType.GET, RM + "/alias", Scope.TENANT, this::getByAlias),
        Route.write(HandlerType.POST, MV + "/create", Scope.TENANT, this::createVersion),
        Route.read(HandlerType.GET, MV + "/get", Scope.TENANT, this::getVersion),
        Route.write(HandlerType.PATCH, MV + "/update", Scope.TENANT, this::updateVersion),
        Route.write(HandlerType.POST, MV + "/transition-stage", Scope.TENANT, this::transitionStage),
        Route.write(HandlerType.DELETE, MV + "/delete", Scope.TENANT, this::deleteVersion),
        Route.read(HandlerType.GET, MV + "/search", Scope.TENANT, this::searchVersions),
        Route.read(HandlerType.GET, MV + "/get-download-uri", Scope.TENANT, this::downloadUri),
        Route.write(HandlerType.POST, MV + "/set-tag", Scope.TENANT, this::setVersionTag),
        Route.write(HandlerType.DELETE, MV + "/delete-tag", Scope.TENANT, this::deleteVersionTag));
  }

  private static Map<String, String> tags(List<KeyValue> kvs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (KeyValue kv : kvs == null ? List.<KeyValue>of() : kvs) {
      if (kv == null || kv.key() == null || kv.key().isEmpty()) {
        throw Inputs.missing("tags.key");
      }
      out.put(kv.key(), kv.value() == null ? "" : kv.value());
    }
    return out;
  }

  /** A GET's order_by arrives as repeated query parameters; Json.read maps one or many to a list. */
  private static Search search(Context ctx) {
    return Json.read(ctx, Search.class);
  }

  private void createModel(Context ctx) {
    CreateModel r = Json.read(ctx, CreateModel.class);
    Json.write(ctx, Map.of("registered_model", RegistryJson.model(
        registry.createRegisteredModel(RequestContext.of(ctx), r.name(), tags(r.tags()), r.description()))));
  }

  private void getModel(Context ctx) {
    ModelRef r = Json.read(ctx, ModelRef.class);
    Json.write(ctx, Map.of("registered_model", RegistryJson.model(registry.getRegisteredModel(RequestContext.of(ctx), r.name()))));
  }

  private void updateModel(Context ctx) {
    ModelRef r = Json.read(ctx, ModelRef.class);
    Json.write(ctx, Map.of("registered_model", RegistryJson.model(
        registry.updateRegisteredModel(RequestContext.of(ctx), r.name(), r.description()))));
  }

  private void renameModel(Context ctx) {
    ModelRef r = Json.read(ctx, ModelRef.class);
    Json.write(ctx, Map.of("registered_model", RegistryJson.model(
        registry.renameRegisteredModel(RequestContext.of(ctx), r.name(), r.newName()))));
  }

  private void deleteModel(Context ctx) {
    registry.deleteRegisteredModel(RequestContext.of(ctx), Json.read(ctx, ModelRef.class).name());
    Json.write(ctx, Map.of());
  }

  private void searchModels(Context ctx) {
    Search r = search(ctx);
    var page = registry.searchRegisteredModels(RequestContext.of(ctx), r.filter(), r.maxResults(), r.orderBy(),
        r.pageToken());
    Map<String, Object> body = new LinkedHashMap<>();
    if (!page.items().isEmpty()) {
      body.put("registered_models", page.items().stream().map(RegistryJson::model).toList());
    }
    page.nextPageToken().ifPresent(t -> body.put("next_page_token", t));
    Json.write(ctx, body);
  }

  private void latestVersions(Context ctx) {
    LatestVersions r = Json.read(ctx, LatestVersions.class);
    var versions = registry.getLatestVersions(RequestContext.of(ctx), r.name(), r.stages());
    Map<String, Object> body = new LinkedHashMap<>();
    if (!versions.isEmpty()) {
      body.put("model_versions", versions.stream().map(RegistryJson::version).toList());
    }
    Json.write(ctx, body);
  }

  private void setModelTag(Context ctx) {
    ModelRef r = Json.read(ctx, ModelRef.class);
    registry.setRegisteredModelTag(RequestContext.of(ctx), r.name(), r.key(), r.value());
    Json.write(ctx, Map.of());
  }

  private void deleteModelTag(Context ctx) {
    ModelRef r = Json.read(ctx, ModelRef.class);
    registry.deleteRegisteredModelTag(RequestContext.of(ctx), r.name(), r.key());
    Json.write(ctx, Map.of());
  }

  private void setAlias(Context ctx) {
    ModelRef r = Json.read(ctx, ModelRef.class);
    registry.setAlias(RequestContext.of(ctx), r.name(), r.alias(), r.version());
    Json.write(ctx, Map.of());
  }

  private void deleteAlias(Context ctx) {
    ModelRef r = Json.read(ctx, ModelRef.class);
    registry.deleteAlias(RequestContext.of(ctx), r.name(), r.alias());
    Json.write(ctx, Map.of());
  }

  private void getByAlias(Context ctx) {
    ModelRef r = Json.read(ctx, ModelRef.class);
    Json.write(ctx, Map.of("model_version", RegistryJson.version(
        registry.getVersionByAlias(RequestContext.of(ctx), r.name(), r.alias()))));
  }

  private void createVersion(Context ctx) {
    CreateVersion r = Json.read(ctx, CreateVersion.class);
    ModelVersion v = registry.createModelVersion(RequestContext.of(ctx), r.name(), r.source(), r.runId(), tags(r.tags()),
        r.runLink(), r.description(), r.modelId());
    Json.write(ctx, Map.of("model_version", RegistryJson.version(v)));
  }

  private void getVersion(Context ctx) {
    VersionRef r = Json.read(ctx, VersionRef.class);
    Json.write(ctx, Map.of("model_version", RegistryJson.version(
        registry.getModelVersion(RequestContext.of(ctx), r.name(), r.version()))));
  }

  private void updateVersion(Context ctx) {
    VersionRef r = Json.read(ctx, VersionRef.class);
    Json.write(ctx, Map.of("model_version", RegistryJson.version(
        registry.updateModelVersion(RequestContext.of(ctx), r.name(), r.version(), r.description()))));
  }

  private void transitionStage(Context ctx) {
    VersionRef r = Json.read(ctx, VersionRef.class);
    ModelVersion v = registry.transitionStage(RequestContext.of(ctx), r.name(), r.version(), r.stage(),
        Boolean.TRUE.equals(r.archiveExistingVersions()));
    Json.write(ctx, Map.of("model_version", RegistryJson.version(v)));
  }

  private void deleteVersion(Context ctx) {
    VersionRef r = Json.read(ctx, VersionRef.class);
    registry.deleteModelVersion(RequestContext.of(ctx), r.name(), r.version());
    Json.write(ctx, Map.of());
  }

  private void searchVersions(Context ctx) {
    Search r = search(ctx);
    var page = registry.searchModelVersions(RequestContext.of(ctx), r.filter(), r.maxResults(), r.orderBy(),
        r.pageToken());
    Map<String, Object> body = new LinkedHashMap<>();
    if (!page.items().isEmpty()) {
      body.put("model_versions", page.items().stream().map(RegistryJson::version).toList());
    }
    page.nextPageToken().ifPresent(t -> body.put("next_page_token", t));
    Json.write(ctx, body);
  }

  private void downloadUri(Context ctx) {
    VersionRef r = Json.read(ctx, VersionRef.class);
    Json.write(ctx, Map.of("artifact_uri", registry.getDownloadUri(RequestContext.of(ctx), r.name(), r.version())));
  }

  private void setVersionTag(Context ctx) {
    VersionRef r = Json.read(ctx, VersionRef.class);
    registry.setVersionTag(RequestContext.of(ctx), r.name(), r.version(), r.key(), r.value());
    Json.write(ctx, Map.of());
  }

  private void deleteVersionTag(Context ctx) {
    VersionRef r = Json.read(ctx, VersionRef.class);
    registry.deleteVersionTag(RequestContext.of(ctx), r.name(), r.version(), r.key());
    Json.write(ctx, Map.of());
  }

  static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asText()));
    return out;
  }
}
