package io.atrium.tracking;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantService;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MLflow 3 workspaces, answered with tenants: a workspace is a tenant. The listing shows only the
 * caller's tenants; another tenant's name answers like one that does not exist. Creating, editing
 * and deleting workspaces is the tenant admin API's job, so those methods are not served here.
 */
public final class WorkspaceRoutes {
  private final TenantService tenants;

  public WorkspaceRoutes(TenantService tenants) {
    this.tenants = requireNonNull(tenants);
  }

  public List<Route> routes() {
    return List.of(
        Route.read(HandlerType.GET, "/api/3.0/mlflow/server-info", Scope.PUBLIC, this::serverInfo),
        Route.read(HandlerType.GET, "/api/3.0/mlflow/workspaces", Scope.PRINCIPAL, this::list),
        Route.read(HandlerType.GET, "/api/3.0/mlflow/workspaces/{name}", Scope.PRINCIPAL, this::get));
  }

  private void serverInfo(Context ctx) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("store_type", "SqlStore");
    // The mlflow client refuses mlflow.set_workspace() unless the server says it supports workspaces.
    m.put("workspaces_enabled", true);
    m.put("artifact_serving_enabled", false);
    m.put("multipart_uploads_enabled", false);
    m.put("multipart_downloads_enabled", false);
    m.put("artifacts_presigned_only", false);
    Json.write(ctx, m);
  }

  private void list(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    List<Tenant> mine = rc.platformAdmin()
        ? tenants.list(rc).stream().filter(t -> t.status() != io.atrium.tenancy.TenantStatus.DELETED).toList()
        : tenants.list(rc);
    Json.write(ctx, Map.of("workspaces", mine.stream().map(WorkspaceRoutes::json).toList()));
  }

  private void get(Context ctx) {
    String name = Route.pathParam(ctx, "name");
    try {
      Json.write(ctx, Map.of("workspace", json(tenants.get(RequestContext.of(ctx), name))));
    } catch (MlflowError e) {
      throw MlflowError.notFound("Workspace '" + name + "' not found");
    }
  }

  private static Map<String, Object> json(Tenant t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", t.name());
    if (t.displayName() != null) {
      m.put("description", t.displayName());
    }
    return m;
  }
}
