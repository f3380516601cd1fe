package io.atrium.sharing;

import io.atrium.tenancy.TenantId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;

/**
 * SQL for grants. Runs inside the caller's {@code Database.inTenant} transaction: the owner's (to
 * grant, list and revoke) or the grantee's (to resolve a shared name; PostgreSQL's grantee_read
 * policy lets it read, never write, the rows naming it).
 */
public final class ShareStore {
  public void upsert(Handle h, Share s) {
    int updated = h.createUpdate("""
            UPDATE model_shares SET versions = :v, created_by = :by, created_at = :at
            WHERE tenant_id = :t AND model_name = :m AND grantee_tenant_id = :g""")
        .bind("v", encode(s.versions())).bind("by", s.createdBy()).bind("at", s.createdAt())
        .bind("t", s.owner().value()).bind("m", s.modelName()).bind("g", s.grantee().value())
        .execute();
    if (updated == 0) {
      h.createUpdate("""
              INSERT INTO model_shares (tenant_id, share_id, model_name, grantee_tenant_id, versions, created_by,
                                        created_at)
              VALUES (:t, :id, :m, :g, :v, :by, :at)""")
          .bind("t", s.owner().value()).bind("id", s.shareId()).bind("m", s.modelName()).bind("g", s.grantee().value())
          .bind("v", encode(s.versions())).bind("by", s.createdBy()).bind("at", s.createdAt())
          .execute();
    }
  }

  public List<Share> byOwner(Handle h, TenantId owner) {
    return h.createQuery("SELECT * FROM model_shares WHERE tenant_id = :t ORDER BY model_name, grantee_tenant_id")
        .bind("t", owner.value()).map((rs, ctx) -> row(rs)).list();
  }

  public List<Share> forGrantee(Handle h, TenantId grantee) {
    return h.createQuery("SELECT * FROM model_shares WHERE grantee_tenant_id = :g ORDER BY tenant_id, model_name")
        .bind("g", grantee.value()).map((rs, ctx) -> row(rs)).list();
  }

  public Optional<Share> find(Handle h, TenantId owner, String model, TenantId grantee) {
    return h.createQuery("""
            SELECT * FROM model_shares WHERE tenant_id = :t AND model_name = :m AND grantee_tenant_id = :g""")
        .bind("t", owner.value()).bind("m", model).bind("g", grantee.value())
        .map((rs, ctx) -> row(rs)).findOne();
  }

  public Optional<Share> byId(Handle h, TenantId owner, String shareId) {
    return h.createQuery("SELECT * FROM model_shares WHERE tenant_id = :t AND share_id = :id")
        .bind("t", owner.value()).bind("id", shareId).map((rs, ctx) -> row(rs)).findOne();
  }

  public boolean delete(Handle h, TenantId owner, String shareId) {
    return h.createUpdate("DELETE FROM model_shares WHERE tenant_id = :t AND share_id = :id")
        .bind("t", owner.value()).bind("id", shareId).execute() > 0;
  }

  private static Share row(ResultSet rs) throws SQLException {
    return new Share(rs.getString("share_id"), new TenantId(rs.getLong("tenant_id")), rs.getString("model_name"),
        new TenantId(rs.getLong("grantee_tenant_id")), decode(rs.getString("versions")), rs.getString("created_by"),
        rs.getLong("created_at"));
  }

  static String encode(Set<Integer> versions) {
    return versions == null ? null : versions.stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
  }

  static Set<Integer> decode(String s) {
    if (s == null) {
      return null;
    }
    Set<Integer> out = new TreeSet<>();
    for (String p : s.split(",")) {
      if (!p.isBlank()) {
        out.add(Integer.parseInt(p.trim()));
      }
    }
    return out;
  }
}
