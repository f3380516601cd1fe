package io.atrium.audit;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Role;
import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantService;
import io.atrium.tenancy.TenantStore;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reading and verifying the audit log. Tenant admins read their tenant's entries; platform admins read all. */
public final class AuditRoutes {
  private static final int MAX_PAGE = 1000;

  private final AuditLog audit;
  private final TenantService tenantService;
  private final TenantStore tenants;

  public AuditRoutes(AuditLog audit, TenantService tenantService, TenantStore tenants) {
    this.audit = requireNonNull(audit);
    this.tenantService = requireNonNull(tenantService);
    this.tenants = requireNonNull(tenants);
  }

  public List<Route> routes() {
    return List.of(
        Route.read(HandlerType.GET, "/api/atrium/v1/audit", Scope.PRINCIPAL, this::listAll),
        Route.read(HandlerType.GET, "/api/atrium/v1/audit/verify", Scope.PRINCIPAL, this::verify),
        Route.read(HandlerType.GET, "/api/atrium/v1/tenants/{name}/audit", Scope.PRINCIPAL, this::listTenant));
  }

  private void listAll(Context ctx) {
    requirePlatformAdmin(RequestContext.of(ctx));
    page(ctx, Optional.empty());
  }

  private void listTenant(Context ctx) {
    page(ctx, Optional.of(tenantService.requireRole(RequestContext.of(ctx), Route.pathParam(ctx, "name"), Role.ADMIN)));
  }

  private void page(Context ctx, Optional<Tenant> tenant) {
    long before = parseLong(ctx.queryParam("before"), 0, "before");
    int limit = (int) Math.min(MAX_PAGE, parseLong(ctx.queryParam("limit"), 100, "limit"));
    if (limit < 1) {
      throw MlflowError.invalid("limit must be at least 1");
    }
    List<AuditEntry> entries = audit.list(tenant.map(Tenant::id), before, limit);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("entries", entries.stream().map(e -> json(e, tenant)).toList());
    if (entries.size() == limit) {
      body.put("next_before", entries.get(entries.size() - 1).seq());
    }
    Json.write(ctx, body);
  }

  private void verify(Context ctx) {
    requirePlatformAdmin(RequestContext.of(ctx));
    AuditLog.Verification v = audit.verify();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("intact", v.intact());
    body.put("entries_checked", v.entriesChecked());
    v.firstBadSeq().ifPresent(s -> body.put("first_bad_seq", s));
    body.put("detail", v.detail());
    Json.write(ctx, body);
  }

  private Map<String, Object> json(AuditEntry e, Optional<Tenant> known) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seq", e.seq());
    m.put("time", e.ts());
    m.put("actor", e.actor());
    if (e.tenantId() != 0) {
      m.put("tenant", known.map(Tenant::name).orElseGet(
          () -> tenants.byId(new io.atrium.tenancy.TenantId(e.tenantId())).map(Tenant::name).orElse("?")));
    }
    m.put("action", e.action());
    m.put("resource", e.resource());
    m.put("outcome", e.outcome());
    m.put("request_id", e.requestId());
    m.put("client_address", e.clientAddress());
    m.put("hash", e.entryHash());
    return m;
  }

  private static void requirePlatformAdmin(RequestContext rc) {
    if (!rc.platformAdmin()) {
      throw MlflowError.permissionDenied("Permission denied: only platform admins read the whole audit log");
    }
  }

  private static long parseLong(String s, long def, String name) {
    if (s == null || s.isBlank()) {
      return def;
    }
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      throw MlflowError.invalid("Invalid " + name + ": '" + s + "'");
    }
  }
}
