package io.atrium.tenancy;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** SQL for the tenants table (control plane) and the per-tenant rows every new tenant starts with. */
public final class TenantStore {
  private static final RowMapper<Tenant> TENANT =
      (rs, ctx) ->
          new Tenant(
              new TenantId(rs.getLong("tenant_id")),
              rs.getString("name"),
              rs.getString("display_name"),
              TenantStatus.fromDb(rs.getString("status")),
              rs.getLong("created_at"),
              rs.getLong("updated_at"));

  private final Database db;
  private final io.atrium.common.AccessEpoch epoch;

  public TenantStore(Database db) {
    this(db, new io.atrium.common.AccessEpoch());
  }

  /** @param epoch advanced after every committed change to a tenant (see {@link #changed()}) */
  public TenantStore(Database db, io.atrium.common.AccessEpoch epoch) {
    this.db = requireNonNull(db);
    this.epoch = requireNonNull(epoch);
  }

  /** Tells the access caches that a tenant changed; called after the change committed. */
  public void changed() {
    epoch.advance();
  }

  public Optional<Tenant> byName(String name) {
    return db.platform(h -> byName(h, name));
  }

  public Optional<Tenant> byName(Handle h, String name) {
    return h.createQuery("SELECT * FROM tenants WHERE name = :name").bind("name", name).map(TENANT).findOne();
  }

  public Optional<Tenant> byId(TenantId id) {
    return db.platform(
        h -> h.createQuery("SELECT * FROM tenants WHERE tenant_id = :id").bind("id", id.value()).map(TENANT).findOne());
  }

  public List<Tenant> list(boolean includeDeleted) {
    return db.platform(
        h ->
            h.createQuery(
                    "SELECT * FROM tenants WHERE (:all OR status <> 'deleted') ORDER BY name")
                .bind("all", includeDeleted)
                .map(TENANT)
                .list());
  }

  /** Tenants the principal is a member of (not deleted), by name. */
  public List<Tenant> listForPrincipal(long principalId) {
    return db.platform(
        h ->
            h.createQuery(
                    """
                    SELECT t.* FROM tenants t JOIN memberships m ON m.tenant_id = t.tenant_id
                    WHERE m.principal_id = :p AND t.status <> 'deleted' ORDER BY t.name""")
                .bind("p", principalId)
                .map(TENANT)
                .list());
  }

  public Tenant insert(Handle h, String name, String displayName, long now) {
    long id =
        h.createUpdate(
                """
                INSERT INTO tenants (name, display_name, status, created_at, updated_at)
                VALUES (:name, :display, 'active', :now, :now)""")
            .bind("name", name)
            .bind("display", displayName)
            .bind("now", now)
            .executeAndReturnGeneratedKeys("tenant_id")
            .mapTo(Long.class)
            .one();
    return new Tenant(new TenantId(id), name, displayName, TenantStatus.ACTIVE, now, now);
  }

  public void setStatus(TenantId id, TenantStatus status, long now) {
    db.platform(
        h ->
            h.createUpdate("UPDATE tenants SET status = :s, updated_at = :now WHERE tenant_id = :id")
                .bind("s", status.wire())
                .bind("now", now)
                .bind("id", id.value())
                .execute());
    changed();
  }
}
