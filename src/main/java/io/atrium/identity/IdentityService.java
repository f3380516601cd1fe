package io.atrium.identity;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Role;
import io.atrium.common.MlflowError;
import io.atrium.http.RequestContext;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantService;
import io.atrium.tenancy.TenantId;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Users, service accounts, memberships and tokens. The rules:
 *
 * <ul>
 *   <li>Platform admins may do everything here.
 *   <li>Owners and admins of a tenant manage its members and service accounts; only owners grant
 *       or take away the owner role, and a tenant always keeps one owner.
 *   <li>A user's tokens are minted by that user (or a platform admin) only: a tenant admin minting
 *       one for a user who is also in another tenant would reach into that other tenant.
 *   <li>A service account's tokens are minted by admins of its tenant and are bound to it.
 * </ul>
 */
public final class IdentityService {
  public static final Pattern PRINCIPAL_NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$");
  static final int MAX_TOKEN_DAYS = 3650;
  static final int DEFAULT_TOKEN_DAYS = 90;

  /** A freshly minted token: the secret is in {@code token} and is never retrievable again. */
  public record NewToken(ApiToken info, String token) {
    @Override
    public String toString() {
      return "NewToken[" + info + ", token=<redacted>]";
    }
  }

  private final IdentityStore store;
  private final TenantService tenants;
  private final Clock clock;

  public IdentityService(IdentityStore store, TenantService tenants, Clock clock) {
    this.store = requireNonNull(store);
    this.tenants = requireNonNull(tenants);
    this.clock = requireNonNull(clock);
  }

  /** Creates the first platform admin and its token; returns empty when one already exists. */
  public Optional<NewToken> bootstrapAdmin(String name) {
    if (store.anyPlatformAdmin()) {
      return Optional.empty();
    }
    return Optional.of(
        store.inTransaction(
            h -> {
              long now = clock.millis();
              Principal p = store.insertPrincipal(h, name, PrincipalKind.USER, Optional.empty(), true, now);
              TokenCodec.Minted m = TokenCodec.mint();
              // The bootstrap token does not expire: losing the only admin credential would lock the
              // operator out. It is revocable like any other once further admins exist.
              ApiToken t = store.insertToken(h, m, p.id(), Optional.empty(), "bootstrap", now, OptionalLong.empty());
              return new NewToken(t, m.token());
            }));
  }

  public Principal createUser(RequestContext rc, String name, Optional<String> tenantName, Optional<Role> role,
      boolean platformAdmin) {
    validateName(name);
    Optional<Tenant> tenant = tenantName.map(t -> manageableTenant(rc, t));
    if (!rc.platformAdmin() && (tenant.isEmpty() || platformAdmin)) {
      throw MlflowError.permissionDenied(
          "Permission denied: only platform admins create users outside a tenant or make platform admins");
    }
    Role r = role.orElse(Role.VIEWER);
    tenant.ifPresent(t -> requireMayGrant(rc, t, r));
    return store.inTransaction(
        h -> {
          if (store.principalByName(h, name).isPresent()) {
            throw MlflowError.alreadyExists("Principal '" + name + "' already exists");
          }
          long now = clock.millis();
          Principal p = store.insertPrincipal(h, name, PrincipalKind.USER, tenant.map(Tenant::id), platformAdmin, now);
          tenant.ifPresent(t -> store.upsertMembership(h, t.id(), p.id(), r, now));
          return p;
        });
  }

  public Principal createServiceAccount(RequestContext rc, String tenantName, String name, Role role) {
    validateName(name);
    Tenant t = manageableTenant(rc, tenantName);
    requireMayGrant(rc, t, role);
    return store.inTransaction(
        h -> {
          if (store.principalByName(h, name).isPresent()) {
            throw MlflowError.alreadyExists("Principal '" + name + "' already exists");
          }
          long now = clock.millis();
          Principal p = store.insertPrincipal(h, name, PrincipalKind.SERVICE, Optional.of(t.id()), false, now);
          store.upsertMembership(h, t.id(), p.id(), role, now);
          return p;
        });
  }

  public IdentityStore.Member setMember(RequestContext rc, String tenantName, String principalName, Role role) {
    Tenant t = manageableTenant(rc, tenantName);
    Principal p = principal(principalName);
    if (p.kind() == PrincipalKind.SERVICE && !p.homeTenant().equals(Optional.of(t.id()))) {
      throw MlflowError.invalid("Service account '" + p.name() + "' belongs to another tenant and cannot join this one");
    }
    requireMayGrant(rc, t, role);
    return store.inTransaction(
        h -> {
          long now = clock.millis();
          // Settle whether the caller may touch owners before the upsert: the caller may be the member
          // being changed (an owner stepping down), and reads nested in this transaction would already
          // see the new, lower role and refuse.
          boolean mayTouchOwners = mayGrant(rc, t, Role.OWNER);
          Optional<Role> previous = store.upsertMembership(h, t.id(), p.id(), role, now);
          if ((previous.orElse(Role.VIEWER) == Role.OWNER || role == Role.OWNER) && !mayTouchOwners) {
            throw ownerOnly();
          }
          if (previous.orElse(Role.VIEWER) == Role.OWNER && store.countOwners(h, t.id()) == 0) {
            throw MlflowError.invalidState("Tenant '" + t.name() + "' must keep at least one owner");
          }
          if (p.kind() == PrincipalKind.USER) {
            store.setHomeTenantIfAbsent(h, p.id(), t.id());
          }
          return new IdentityStore.Member(p, role, now);
        });
  }

  public void removeMember(RequestContext rc, String tenantName, String principalName) {
    Tenant t = manageableTenant(rc, tenantName);
    Principal p = principal(principalName);
    store.inTransaction(
        h -> {
          Optional<Role> current = store.role(t.id(), p.id());
          if (current.isEmpty()) {
            throw MlflowError.notFound("Principal '" + principalName + "' is not a member of '" + t.name() + "'");
          }
          if (current.get() == Role.OWNER) {
            requireMayGrant(rc, t, Role.OWNER);
          }
          store.deleteMembership(h, t.id(), p.id());
          if (current.get() == Role.OWNER && store.countOwners(h, t.id()) == 0) {
            throw MlflowError.invalidState("Tenant '" + t.name() + "' must keep at least one owner");
          }
          return null;
        });
  }

  public List<IdentityStore.Member> members(RequestContext rc, String tenantName) {
    return store.members(manageableTenant(rc, tenantName).id());
  }

  public NewToken createToken(RequestContext rc, String principalName, String tokenName, Optional<Integer> expiresInDays) {
    if (tokenName == null || tokenName.isBlank() || tokenName.length() > 128) {
      throw MlflowError.invalid("Token name must be 1-128 characters");
    }
    int days = expiresInDays.orElse(DEFAULT_TOKEN_DAYS);
    if (days < 1 || days > MAX_TOKEN_DAYS) {
      throw MlflowError.invalid("expires_in_days must be 1.." + MAX_TOKEN_DAYS + ", got " + days);
    }
    Principal p = principal(principalName);
    Optional<TenantId> bound = requireMayManageTokens(rc, p);
    long now = clock.millis();
    OptionalLong expiresAt = OptionalLong.of(now + Duration.ofDays(days).toMillis());
    return store.inTransaction(
        h -> {
          TokenCodec.Minted m = TokenCodec.mint();
          return new NewToken(store.insertToken(h, m, p.id(), bound, tokenName, now, expiresAt), m.token());
        });
  }

  public List<ApiToken> tokens(RequestContext rc, String principalName) {
    Principal p = principal(principalName);
    requireMayManageTokens(rc, p);
    return store.tokensOf(p.id());
  }

  public ApiToken revokeToken(RequestContext rc, long tokenId) {
    ApiToken t =
        store.token(tokenId).orElseThrow(() -> MlflowError.notFound("Token " + tokenId + " does not exist"));
    Principal owner = store.principalById(t.principalId()).orElseThrow();
    try {
      requireMayManageTokens(rc, owner);
    } catch (MlflowError e) {
      // Someone else's token answers like a missing one.
      throw MlflowError.notFound("Token " + tokenId + " does not exist");
    }
    store.inTransaction(h -> store.revokeToken(h, tokenId, clock.millis()));
    return store.token(tokenId).orElseThrow();
  }

  public Principal principal(String name) {
    return store.principalByName(name).orElseThrow(() -> MlflowError.notFound("Principal '" + name + "' does not exist"));
  }

  /** Returns the tenant a service account's tokens are bound to (empty for users). */
  private Optional<TenantId> requireMayManageTokens(RequestContext rc, Principal target) {
    if (target.kind() == PrincipalKind.SERVICE) {
      TenantId home = target.homeTenant().orElseThrow();
      if (!rc.platformAdmin()) {
        Optional<Role> role = store.role(home, rc.principal().id());
        if (role.isEmpty() || !role.get().atLeast(Role.ADMIN) || rc.token().boundTenant().filter(b -> !b.equals(home)).isPresent()) {
          throw MlflowError.notFound("Principal '" + target.name() + "' does not exist");
        }
      }
      return Optional.of(home);
    }
    if (target.id() != rc.principal().id() && !rc.platformAdmin()) {
      throw MlflowError.permissionDenied("Permission denied: a user's tokens are managed by that user");
    }
    return Optional.empty();
  }

  /** The tenant named, if the caller may manage its members: admin or owner there, or platform admin. */
  private Tenant manageableTenant(RequestContext rc, String tenantName) {
    return tenants.requireRole(rc, tenantName, Role.ADMIN);
  }

  private void requireMayGrant(RequestContext rc, Tenant t, Role role) {
    if (!mayGrant(rc, t, role)) {
      throw ownerOnly();
    }
  }

  private boolean mayGrant(RequestContext rc, Tenant t, Role role) {
    return role != Role.OWNER || rc.platformAdmin()
        || store.role(t.id(), rc.principal().id()).filter(r -> r == Role.OWNER).isPresent();
  }

  private static MlflowError ownerOnly() {
    return MlflowError.permissionDenied("Permission denied: only owners grant or remove the owner role");
  }

  private static void validateName(String name) {
    if (name == null || !PRINCIPAL_NAME.matcher(name).matches()) {
      throw MlflowError.invalid(
          "Invalid principal name '" + name + "': 1-128 characters of letters, digits and . _ @ + -, starting with a letter or digit");
    }
  }
}
