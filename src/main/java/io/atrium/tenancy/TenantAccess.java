package io.atrium.tenancy;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Role;
import io.atrium.common.AccessCache;
import io.atrium.common.AccessEpoch;
import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import io.atrium.identity.ApiToken;
import io.atrium.identity.IdentityStore;
import io.atrium.identity.Principal;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Decides which tenant a request acts in and with which role. Every way of failing to be allowed
 * in (no such tenant, deleted, not a member, a service-account token bound elsewhere, a malformed
 * name) gives the same {@link #notFound} answer, so a caller cannot tell another team's tenant from
 * one that does not exist. Only members learn that their tenant is suspended.
 *
 * <p>Decisions, refusals included, are remembered per principal, token and requested name in an
 * {@link AccessCache} until the next identity or tenant change (or a few seconds), so that a
 * request, and above all a request about to be refused by admission control, costs no database
 * work here.
 */
public final class TenantAccess {
  /** Lower-case DNS-label style: what a URL path segment, an S3 prefix and a Prometheus label all accept. */
  public static final Pattern NAME = Pattern.compile("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$");

  /** The workspace name the mlflow client uses for "no particular workspace". */
  public static final String DEFAULT_WORKSPACE = "default";

  /**
   * Names no tenant may take: the client's default workspace, and words that MLflow reserves for
   * workspaces or that would read as a path of the API itself.
   */
  public static final java.util.Set<String> RESERVED_NAMES =
      java.util.Set.of(DEFAULT_WORKSPACE, "workspaces", "api", "ajax-api", "static-files", "t", "metrics", "health", "ready");

  /** The tenant a request acts in and the caller's role there. */
  public record Access(Tenant tenant, Role role) {}

  private record Key(long principalId, long tokenId, String requested) {}

  /** What {@link #resolve} decided: an access, or the refusal to throw. */
  private record Decision(Access access, MlflowError refusal) {}

  private final TenantStore tenants;
  private final IdentityStore identities;
  private final AccessCache<Key, Decision> decisions;

  public TenantAccess(TenantStore tenants, IdentityStore identities) {
    this(tenants, identities, new AccessEpoch());
  }

  public TenantAccess(TenantStore tenants, IdentityStore identities, AccessEpoch epoch) {
    this.tenants = requireNonNull(tenants);
    this.identities = requireNonNull(identities);
    this.decisions = new AccessCache<>(epoch, io.atrium.identity.Authenticator.CACHE_TTL_NANOS, 100_000, System::nanoTime);
  }

  /**
   * @param requested the tenant named by the path prefix or the workspace header, if any; else the
   *     principal's home tenant is used
   */
  public Access resolve(Principal principal, ApiToken token, Optional<String> requested) {
    // A name no tenant can have is refused before the cache: the cache's keys stay short (a tenant
    // name is at most 63 characters), whatever a caller puts in the workspace header.
    if (requested.isPresent() && !DEFAULT_WORKSPACE.equals(requested.get()) && !NAME.matcher(requested.get()).matches()) {
      throw notFound(requested.get());
    }
    Decision d =
        decisions.get(
            new Key(principal.id(), token.id(), requested.orElse("")),
            k -> {
              try {
                return new Decision(decide(principal, token, requested), null);
              } catch (MlflowError e) {
                return new Decision(null, e);
              }
            });
    if (d.refusal() != null) {
      // A fresh exception each time: a shared instance would collect suppressed exceptions.
      throw new MlflowError(d.refusal().code(), d.refusal().getMessage());
    }
    return d.access();
  }

  private Access decide(Principal principal, ApiToken token, Optional<String> requested) {
    // mlflow.set_workspace("default") is always allowed by the client; on Atrium the default
    // workspace is the caller's home tenant ("default" is a reserved tenant name, so it is unambiguous).
    requested = requested.filter(name -> !DEFAULT_WORKSPACE.equals(name));
    Optional<Tenant> tenant;
    String shownName;
    if (requested.isPresent()) {
      shownName = requested.get();
      tenant = NAME.matcher(shownName).matches() ? tenants.byName(shownName) : Optional.empty();
    } else if (token.boundTenant().isPresent() || principal.homeTenant().isPresent()) {
      TenantId home = token.boundTenant().orElseGet(() -> principal.homeTenant().orElseThrow());
      tenant = tenants.byId(home);
      shownName = tenant.map(Tenant::name).orElse("");
    } else {
      throw MlflowError.invalid(
          "No tenant selected: use a tracking URI ending in /t/<tenant>, or mlflow.set_workspace('<tenant>')");
    }
    if (tenant.isEmpty() || tenant.get().status() == TenantStatus.DELETED) {
      throw notFound(shownName);
    }
    Tenant t = tenant.get();
    if (token.boundTenant().isPresent() && !token.boundTenant().get().equals(t.id())) {
      throw notFound(shownName);
    }
    Optional<Role> role = identities.role(t.id(), principal.id());
    if (role.isEmpty() && principal.platformAdmin()) {
      // Operators act as owners everywhere; documented in docs/SECURITY.md.
      role = Optional.of(Role.OWNER);
    }
    if (role.isEmpty()) {
      throw notFound(shownName);
    }
    if (t.status() == TenantStatus.SUSPENDED) {
      throw new MlflowError(ErrorCode.PERMISSION_DENIED,
          "Tenant '" + t.name() + "' is suspended; its data is kept. Ask a platform admin to reactivate it.");
    }
    return new Access(t, role.get());
  }

  /**
   * The tenant a control-plane request naming {@code name} is filed under in the audit log: one the
   * caller may enter (member, or platform admin), suspended ones included; otherwise none.
   */
  public Optional<TenantId> auditTenant(Principal principal, ApiToken token, String name) {
    if (!NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    return tenants.byName(name)
        .filter(t -> t.status() != TenantStatus.DELETED)
        .filter(t -> token.boundTenant().map(b -> b.equals(t.id())).orElse(true))
        .filter(t -> principal.platformAdmin() || identities.role(t.id(), principal.id()).isPresent())
        .map(Tenant::id);
  }

  /** The one answer for every tenant the caller may not see. */
  public static MlflowError notFound(String name) {
    return MlflowError.notFound("Tenant '" + sanitize(name) + "' does not exist");
  }

  private static String sanitize(String name) {
    String s = name.length() > 64 ? name.substring(0, 64) : name;
    return s.replaceAll("[^A-Za-z0-9._-]", "?");
  }
}
