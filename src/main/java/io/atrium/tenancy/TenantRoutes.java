package io.atrium.tenancy;

import static java.util.Objects.requireNonNull;

import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /api/atrium/v1/tenants}: HTTP only: decode, call, encode. */
public final class TenantRoutes {
  static final String BASE = "/api/atrium/v1/tenants";

  record CreateTenant(String name, String displayName) {}

  private final TenantService tenants;

  public TenantRoutes(TenantService tenants) {
    this.tenants = requireNonNull(tenants);
  }

  public List<Route> routes() {
    return List.of(
        Route.write(HandlerType.POST, BASE, Scope.PRINCIPAL, this::create),
        Route.read(HandlerType.GET, BASE, Scope.PRINCIPAL, this::list),
        Route.read(HandlerType.GET, BASE + "/{name}", Scope.PRINCIPAL, this::get),
        Route.write(HandlerType.POST, BASE + "/{name}/suspend", Scope.PRINCIPAL, ctx -> status(ctx, TenantStatus.SUSPENDED)),
        Route.write(HandlerType.POST, BASE + "/{name}/reactivate", Scope.PRINCIPAL, ctx -> status(ctx, TenantStatus.ACTIVE)),
        Route.write(HandlerType.DELETE, BASE + "/{name}", Scope.PRINCIPAL, ctx -> status(ctx, TenantStatus.DELETED)));
  }

  private void create(Context ctx) {
    CreateTenant req = Json.read(ctx, CreateTenant.class);
    Json.write(ctx, Map.of("tenant", json(tenants.create(RequestContext.of(ctx), req.name(), req.displayName()))));
  }

  private void list(Context ctx) {
    Json.write(ctx, Map.of("tenants", tenants.list(RequestContext.of(ctx)).stream().map(TenantRoutes::json).toList()));
  }

  private void get(Context ctx) {
    Json.write(ctx, Map.of("tenant", json(tenants.get(RequestContext.of(ctx), Route.pathParam(ctx, "name")))));
  }

  private void status(Context ctx, TenantStatus status) {
    Json.write(ctx, Map.of("tenant", json(tenants.setStatus(RequestContext.of(ctx), Route.pathParam(ctx, "name"), status))));
  }

  public static Map<String, Object> json(Tenant t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", t.name());
    if (t.displayName() != null) {
      m.put("display_name", t.displayName());
    }
    m.put("status", t.status().wire());
    m.put("created_at", t.createdAt());
    m.put("updated_at", t.updatedAt());
    return m;
  }
}
