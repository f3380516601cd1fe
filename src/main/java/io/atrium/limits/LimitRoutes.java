package io.atrium.limits;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Role;
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
import java.util.Optional;
import java.util.OptionalLong;

/** {@code /api/atrium/v1/tenants/{t}/limits}: read by tenant admins, set by platform admins. */
public final class LimitRoutes {
  record SetLimits(Double rps, Integer burst, Integer concurrency, Double runsPerMinute, Long storageBytes) {}

  private final TenantService tenants;
  private final LimitService limits;

  public LimitRoutes(TenantService tenants, LimitService limits) {
    this.tenants = requireNonNull(tenants);
    this.limits = requireNonNull(limits);
  }

  public List<Route> routes() {
    return List.of(
        Route.read(HandlerType.GET, "/api/atrium/v1/tenants/{name}/limits", Scope.PRINCIPAL, this::get),
        Route.write(HandlerType.PUT, "/api/atrium/v1/tenants/{name}/limits", Scope.PRINCIPAL, this::set));
  }

  private void get(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    Tenant t = tenants.requireRole(rc, Route.pathParam(ctx, "name"), Role.ADMIN);
    Json.write(ctx, Map.of("limits", json(limits.get(t))));
  }

  private void set(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    SetLimits req = Json.read(ctx, SetLimits.class);
    Tenant t = tenants.requireRole(rc, Route.pathParam(ctx, "name"), Role.OWNER);
    TenantLimits updated =
        limits.set(
            rc,
            t.id(),
            new LimitStore.Overrides(
                Optional.ofNullable(req.rps()),
                Optional.ofNullable(req.burst()),
                Optional.ofNullable(req.concurrency()),
                Optional.ofNullable(req.runsPerMinute()),
                req.storageBytes() == null ? OptionalLong.empty() : OptionalLong.of(req.storageBytes())));
    Json.write(ctx, Map.of("limits", json(updated)));
  }

  static Map<String, Object> json(TenantLimits l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rps", l.requestsPerSecond());
    m.put("burst", l.burst());
    m.put("concurrency", l.concurrency());
    m.put("runs_per_minute", l.runsPerMinute());
    l.storageBytes().ifPresent(s -> m.put("storage_bytes", s));
    return m;
  }
}
