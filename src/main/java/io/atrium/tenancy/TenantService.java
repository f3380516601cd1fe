package io.atrium.tenancy;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.db.Database;
import io.atrium.http.RequestContext;
import io.atrium.identity.IdentityStore;
import java.time.Clock;
import java.util.List;
import java.util.function.BiConsumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** Tenant lifecycle: create, list, get, suspend, reactivate, delete (soft). Platform admins only, except reads. */
public final class TenantService {
  private final Database db;
  private final TenantStore store;
  private final IdentityStore identities;
  private final BiConsumer<Handle, TenantId> initializeTenantData;
  private final Clock clock;

  /**
   * @param initializeTenantData writes the rows every tenant starts with (its Default experiment),
   *     inside the transaction that creates the tenant
   */
  public TenantService(
      Database db, TenantStore store, IdentityStore identities, BiConsumer<Handle, TenantId> initializeTenantData,
      Clock clock) {
    this.db = requireNonNull(db);
    this.store = requireNonNull(store);
    this.identities = requireNonNull(identities);
    this.initializeTenantData = requireNonNull(initializeTenantData);
    this.clock = requireNonNull(clock);
  }

  public Tenant create(RequestContext rc, String name, String displayName) {
    requirePlatformAdmin(rc);
    return createUnchecked(name, displayName);
  }

  /** Creation without a caller: used once, for bootstrap. */
  public Tenant createUnchecked(String name, String displayName) {
    if (name == null || !TenantAccess.NAME.matcher(name).matches()) {
      throw MlflowError.invalid(
          "Invalid tenant name '" + name + "': 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit");
    }
    if (TenantAccess.RESERVED_NAMES.contains(name)) {
      throw MlflowError.invalid("Tenant name '" + name + "' is reserved");
    }
    if (displayName != null && displayName.length() > 256) {
      throw MlflowError.invalid("display_name is longer than 256 characters");
    }
    long now = clock.millis();
    try {
      return db.createTenant(
          h -> {
            if (store.byName(h, name).isPresent()) {
              throw MlflowError.alreadyExists("Tenant '" + name + "' already exists");
            }
            return store.insert(h, name, displayName, now);
          },
          Tenant::id,
          initializeTenantData);
    } catch (UnableToExecuteStatementException e) {
      // Lost a race with a concurrent create of the same name: the unique constraint decided.
      if (store.byName(name).isPresent()) {
        throw MlflowError.alreadyExists("Tenant '" + name + "' already exists");
      }
      throw e;
    } finally {
      // A name that did not exist a moment ago may be cached as "no such tenant".
      store.changed();
    }
  }

  public List<Tenant> list(RequestContext rc) {
    return rc.platformAdmin() ? store.list(true) : store.listForPrincipal(rc.principal().id());
  }

  /** A tenant the caller may see: platform admins see all, others only those they are members of. */
  public Tenant get(RequestContext rc, String name) {
    Tenant t = store.byName(name).orElseThrow(() -> TenantAccess.notFound(name));
    if (rc.platformAdmin()) {
      return t;
    }
    if (t.status() == TenantStatus.DELETED || identities.role(t.id(), rc.principal().id()).isEmpty()) {
      throw TenantAccess.notFound(name);
    }
    return t;
  }

  /**
   * The named tenant, for a control-plane operation that needs {@code minimum} role there. Platform
   * admins pass (even into a suspended tenant, to manage it); non-members get the tenant-not-found
   * answer; members get 403 while the tenant is suspended or when below {@code minimum}.
   */
  public Tenant requireRole(RequestContext rc, String name, io.atrium.authz.Role minimum) {
    Tenant t = store.byName(name).orElseThrow(() -> TenantAccess.notFound(name));
    if (rc.platformAdmin()) {
      if (t.status() == TenantStatus.DELETED) {
        throw TenantAccess.notFound(name);
      }
      return t;
    }
    var role = identities.role(t.id(), rc.principal().id());
    if (t.status() == TenantStatus.DELETED || role.isEmpty()
        || rc.token().boundTenant().filter(b -> !b.equals(t.id())).isPresent()) {
      throw TenantAccess.notFound(name);
    }
    if (t.status() == TenantStatus.SUSPENDED) {
      throw MlflowError.permissionDenied("Tenant '" + t.name() + "' is suspended");
    }
    if (!role.get().atLeast(minimum)) {
      throw MlflowError.permissionDenied(
          "Permission denied: this needs role " + minimum.wire() + " or higher in tenant '" + t.name() + "'");
    }
    return t;
  }

  public Tenant setStatus(RequestContext rc, String name, TenantStatus status) {
    requirePlatformAdmin(rc);
    Tenant t = store.byName(name).orElseThrow(() -> TenantAccess.notFound(name));
    if (t.status() == TenantStatus.DELETED) {
      throw TenantAccess.notFound(name);
    }
    store.setStatus(t.id(), status, clock.millis());
    return store.byId(t.id()).orElseThrow();
  }

  static void requirePlatformAdmin(RequestContext rc) {
    if (!rc.platformAdmin()) {
      throw MlflowError.permissionDenied("Permission denied: only platform admins manage tenants");
    }
  }
}
