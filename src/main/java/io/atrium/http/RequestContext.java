package io.atrium.http;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Role;
import io.atrium.identity.ApiToken;
import io.atrium.identity.Principal;
import io.atrium.tenancy.Tenant;
import io.javalin.http.Context;

/**
 * Who is asking, in which tenant, with which role, under which request id. Built once at the edge
 * and passed explicitly into services; there is no global "current tenant".
 *
 * <p>{@code tenant} and {@code role} are null only on control-plane routes (the admin API), which
 * are not tenant-scoped; {@link #tenant()} fails loudly if a tenant-scoped service is handed such a
 * context.
 */
public final class RequestContext {
  static final String ATTRIBUTE = "atrium.request-context";

  private final Principal principal;
  private final ApiToken token;
  private final Tenant tenant;
  private final Role role;
  private final String requestId;
  private final String clientAddress;

  public RequestContext(
      Principal principal, ApiToken token, Tenant tenant, Role role, String requestId, String clientAddress) {
    this.principal = requireNonNull(principal);
    this.token = requireNonNull(token);
    this.tenant = tenant;
    this.role = role;
    this.requestId = requireNonNull(requestId);
    this.clientAddress = requireNonNull(clientAddress);
  }

  public static RequestContext of(Context http) {
    RequestContext rc = http.attribute(ATTRIBUTE);
    if (rc == null) {
      throw new IllegalStateException("route registered without authentication: " + http.path());
    }
    return rc;
  }

  public Principal principal() {
    return principal;
  }

  public ApiToken token() {
    return token;
  }

  public boolean hasTenant() {
    return tenant != null;
  }

  public Tenant tenant() {
    if (tenant == null) {
      throw new IllegalStateException("no tenant on a control-plane request");
    }
    return tenant;
  }

  public Role role() {
    if (role == null) {
      throw new IllegalStateException("no role on a control-plane request");
    }
    return role;
  }

  public String requestId() {
    return requestId;
  }

  public String clientAddress() {
    return clientAddress;
  }

  public boolean platformAdmin() {
    return principal.platformAdmin();
  }

  public String actor() {
    return principal.name();
  }
}
