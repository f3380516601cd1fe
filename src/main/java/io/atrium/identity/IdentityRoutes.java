package io.atrium.identity;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Role;
import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.atrium.tenancy.TenantStore;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Users, service accounts, members and tokens under {@code /api/atrium/v1/}: HTTP only. */
public final class IdentityRoutes {
  private static final String V1 = "/api/atrium/v1";

  record CreateUser(String name, String tenant, String role, Boolean platformAdmin) {}

  record CreateServiceAccount(String name, String role) {}

  record SetMember(String role) {}

  record CreateToken(String name, Integer expiresInDays) {}

  private final IdentityService identities;
  private final TenantStore tenants;

  public IdentityRoutes(IdentityService identities, TenantStore tenants) {
    this.identities = requireNonNull(identities);
    this.tenants = requireNonNull(tenants);
  }

  public List<Route> routes() {
    return List.of(
        Route.read(HandlerType.GET, V1 + "/whoami", Scope.PRINCIPAL, this::whoami),
        Route.write(HandlerType.POST, V1 + "/users", Scope.PRINCIPAL, this::createUser),
        Route.write(HandlerType.POST, V1 + "/tenants/{name}/service-accounts", Scope.PRINCIPAL, this::createServiceAccount),
        Route.read(HandlerType.GET, V1 + "/tenants/{name}/members", Scope.PRINCIPAL, this::members),
        Route.write(HandlerType.PUT, V1 + "/tenants/{name}/members/{principal}", Scope.PRINCIPAL, this::setMember),
        Route.write(HandlerType.DELETE, V1 + "/tenants/{name}/members/{principal}", Scope.PRINCIPAL, this::removeMember),
        Route.write(HandlerType.POST, V1 + "/principals/{principal}/tokens", Scope.PRINCIPAL, this::createToken),
        Route.read(HandlerType.GET, V1 + "/principals/{principal}/tokens", Scope.PRINCIPAL, this::tokens),
        Route.write(HandlerType.DELETE, V1 + "/tokens/{id}", Scope.PRINCIPAL, this::revokeToken));
  }

  private void whoami(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    Map<String, Object> m = principalJson(rc.principal());
    m.put("tenants", tenants.listForPrincipal(rc.principal().id()).stream().map(t -> t.name()).toList());
    Json.write(ctx, Map.of("principal", m));
  }

  private void createUser(Context ctx) {
    CreateUser req = Json.read(ctx, CreateUser.class);
    Principal p =
        identities.createUser(
            RequestContext.of(ctx),
            req.name(),
            Optional.ofNullable(req.tenant()),
            Optional.ofNullable(req.role()).map(Role::parse),
            Boolean.TRUE.equals(req.platformAdmin()));
    Json.write(ctx, Map.of("principal", principalJson(p)));
  }

  private void createServiceAccount(Context ctx) {
    CreateServiceAccount req = Json.read(ctx, CreateServiceAccount.class);
    Role role = req.role() == null ? Role.EDITOR : Role.parse(req.role());
    Json.write(ctx, Map.of("principal",
        principalJson(identities.createServiceAccount(RequestContext.of(ctx), Route.pathParam(ctx, "name"), req.name(), role))));
  }

  private void members(Context ctx) {
    Json.write(ctx, Map.of("members",
        identities.members(RequestContext.of(ctx), Route.pathParam(ctx, "name")).stream().map(IdentityRoutes::memberJson).toList()));
  }

  private void setMember(Context ctx) {
    SetMember req = Json.read(ctx, SetMember.class);
    Json.write(ctx, Map.of("member", memberJson(identities.setMember(
        RequestContext.of(ctx), Route.pathParam(ctx, "name"), Route.pathParam(ctx, "principal"), Role.parse(req.role())))));
  }

  private void removeMember(Context ctx) {
    identities.removeMember(RequestContext.of(ctx), Route.pathParam(ctx, "name"), Route.pathParam(ctx, "principal"));
    Json.write(ctx, Map.of());
  }

  private void createToken(Context ctx) {
    CreateToken req = Json.read(ctx, CreateToken.class);
    IdentityService.NewToken t =
        identities.createToken(
            RequestContext.of(ctx), Route.pathParam(ctx, "principal"), req.name(), Optional.ofNullable(req.expiresInDays()));
    Map<String, Object> m = tokenJson(t.info(), Route.pathParam(ctx, "principal"));
    m.put("token", t.token());
    Json.write(ctx, Map.of("token", m));
  }

  private void tokens(Context ctx) {
    String principal = Route.pathParam(ctx, "principal");
    Json.write(ctx, Map.of("tokens",
        identities.tokens(RequestContext.of(ctx), principal).stream().map(t -> tokenJson(t, principal)).toList()));
  }

  private void revokeToken(Context ctx) {
    long id;
    try {
      id = Long.parseLong(Route.pathParam(ctx, "id"));
    } catch (NumberFormatException e) {
      // Not echoed: what was sent here instead of a numeric id may well be the token itself.
      throw MlflowError.notFound("Token does not exist: token ids are numbers, as listed by GET .../tokens");
    }
    ApiToken t = identities.revokeToken(RequestContext.of(ctx), id);
    Json.write(ctx, Map.of("token", tokenJson(t, null)));
  }

  private Map<String, Object> principalJson(Principal p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", p.name());
    m.put("kind", p.kind().wire());
    m.put("platform_admin", p.platformAdmin());
    p.homeTenant().flatMap(tenants::byId).ifPresent(t -> m.put("home_tenant", t.name()));
    m.put("created_at", p.createdAt());
    return m;
  }

  private static Map<String, Object> memberJson(IdentityStore.Member member) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("principal", member.principal().name());
    m.put("kind", member.principal().kind().wire());
    m.put("role", member.role().wire());
    m.put("since", member.since());
    return m;
  }

  private Map<String, Object> tokenJson(ApiToken t, String principal) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", t.id());
    m.put("name", t.name());
    if (principal != null) {
      m.put("principal", principal);
    }
    t.boundTenant().flatMap(tenants::byId).ifPresent(x -> m.put("tenant", x.name()));
    m.put("created_at", t.createdAt());
    t.expiresAt().ifPresent(v -> m.put("expires_at", v));
    t.lastUsedAt().ifPresent(v -> m.put("last_used_at", v));
    t.revokedAt().ifPresent(v -> m.put("revoked_at", v));
    return m;
  }
}
