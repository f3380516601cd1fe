package io.atrium.identity;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Role;
import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** SQL for principals, memberships and API tokens (control plane). */
public final class IdentityStore {
  private static final RowMapper<Principal> PRINCIPAL =
      (rs, ctx) ->
          new Principal(
              rs.getLong("principal_id"),
              rs.getString("name"),
              PrincipalKind.fromDb(rs.getString("kind")),
              tenant(rs, "home_tenant_id"),
              rs.getBoolean("platform_admin"),
              rs.getLong("created_at"));

  private static final RowMapper<ApiToken> TOKEN =
      (rs, ctx) ->
          new ApiToken(
              rs.getLong("token_id"),
              rs.getString("public_id"),
              rs.getLong("principal_id"),
              tenant(rs, "tenant_id"),
              rs.getString("name"),
              rs.getLong("created_at"),
              optLong(rs, "expires_at"),
              optLong(rs, "last_used_at"),
              optLong(rs, "revoked_at"));

  /** A member row as listed: who, what kind, which role. */
  public record Member(Principal principal, Role role, long since) {}

  /** What authentication needs of a token row, salt and hash included; never leaves this package. */
  record TokenSecret(ApiToken token, String salt, String secretHash) {}

  private final Database db;
  private final io.atrium.common.AccessEpoch epoch;

  public IdentityStore(Database db) {
    this(db, new io.atrium.common.AccessEpoch());
  }

  /** @param epoch advanced after every committed {@link #inTransaction} (every identity change) */
  public IdentityStore(Database db, io.atrium.common.AccessEpoch epoch) {
    this.db = requireNonNull(db);
    this.epoch = requireNonNull(epoch);
  }

  private static Optional<TenantId> tenant(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? Optional.empty() : Optional.of(new TenantId(v));
  }

  private static OptionalLong optLong(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
  }

  public Optional<Principal> principalByName(String name) {
    return db.platform(h -> principalByName(h, name));
  }

  Optional<Principal> principalByName(Handle h, String name) {
    return h.createQuery("SELECT * FROM principals WHERE name = :n").bind("n", name).map(PRINCIPAL).findOne();
  }

  public Optional<Principal> principalById(long id) {
    return db.platform(
        h -> h.createQuery("SELECT * FROM principals WHERE principal_id = :id").bind("id", id).map(PRINCIPAL).findOne());
  }

  public boolean anyPlatformAdmin() {
    return db.platform(
        h -> h.createQuery("SELECT COUNT(*) FROM principals WHERE platform_admin").mapTo(Long.class).one() > 0);
  }

  Principal insertPrincipal(
      Handle h, String name, PrincipalKind kind, Optional<TenantId> home, boolean platformAdmin, long now) {
    long id =
        h.createUpdate(
                """
                INSERT INTO principals (name, kind, home_tenant_id, platform_admin, created_at)
                VALUES (:name, :kind, :home, :admin, :now)""")
            .bind("name", name)
            .bind("kind", kind.wire())
            .bind("home", home.map(TenantId::value).orElse(null))
            .bind("admin", platformAdmin)
            .bind("now", now)
            .executeAndReturnGeneratedKeys("principal_id")
            .mapTo(Long.class)
            .one();
    return new Principal(id, name, kind, home, platformAdmin, now);
  }

  void setHomeTenantIfAbsent(Handle h, long principalId, TenantId tenant) {
    h.createUpdate("UPDATE principals SET home_tenant_id = :t WHERE principal_id = :p AND home_tenant_id IS NULL")
        .bind("t", tenant.value())
        .bind("p", principalId)
        .execute();
  }

  public Optional<Role> role(TenantId tenant, long principalId) {
    return db.platform(
        h ->
            h.createQuery("SELECT role FROM memberships WHERE tenant_id = :t AND principal_id = :p")
                .bind("t", tenant.value())
                .bind("p", principalId)
                .mapTo(String.class)
                .findOne()
                .map(Role::parse));
  }

  /** Inserts or changes a membership; returns the previous role, if any. */
  Optional<Role> upsertMembership(Handle h, TenantId tenant, long principalId, Role role, long now) {
    Optional<Role> previous =
        h.createQuery("SELECT role FROM memberships WHERE tenant_id = :t AND principal_id = :p FOR UPDATE")
            .bind("t", tenant.value())
            .bind("p", principalId)
            .mapTo(String.class)
            .findOne()
            .map(Role::parse);
    if (previous.isPresent()) {
      h.createUpdate("UPDATE memberships SET role = :r WHERE tenant_id = :t AND principal_id = :p")
          .bind("r", role.wire())
          .bind("t", tenant.value())
          .bind("p", principalId)
          .execute();
    } else {
      h.createUpdate(
              "INSERT INTO memberships (tenant_id, principal_id, role, created_at) VALUES (:t, :p, :r, :now)")
          .bind("t", tenant.value())
          .bind("p", principalId)
          .bind("r", role.wire())
          .bind("now", now)
          .execute();
    }
    return previous;
  }

  boolean deleteMembership(Handle h, TenantId tenant, long principalId) {
    return h.createUpdate("DELETE FROM memberships WHERE tenant_id = :t AND principal_id = :p")
            .bind("t", tenant.value())
            .bind("p", principalId)
            .execute()
        > 0;
  }

  long countOwners(Handle h, TenantId tenant) {
    return h.createQuery("SELECT COUNT(*) FROM memberships WHERE tenant_id = :t AND role = 'owner'")
        .bind("t", tenant.value())
        .mapTo(Long.class)
        .one();
  }

  public List<Member> members(TenantId tenant) {
    return db.platform(
        h ->
            h.createQuery(
                    """
                    SELECT p.*, m.role, m.created_at AS since FROM memberships m
                    JOIN principals p ON p.principal_id = m.principal_id
                    WHERE m.tenant_id = :t ORDER BY p.name""")
                .bind("t", tenant.value())
                .map((rs, ctx) -> new Member(PRINCIPAL.map(rs, ctx), Role.parse(rs.getString("role")), rs.getLong("since")))
                .list());
  }

  ApiToken insertToken(
      Handle h, TokenCodec.Minted minted, long principalId, Optional<TenantId> bound, String name, long now,
      OptionalLong expiresAt) {
    long id =
        h.createUpdate(
                """
                INSERT INTO api_tokens (public_id, principal_id, tenant_id, name, salt, secret_hash, created_at, expires_at)
                VALUES (:pub, :p, :t, :name, :salt, :hash, :now, :exp)""")
            .bind("pub", minted.publicId())
            .bind("p", principalId)
            .bind("t", bound.map(TenantId::value).orElse(null))
            .bind("name", name)
            .bind("salt", minted.salt())
            .bind("hash", minted.secretHash())
            .bind("now", now)
            .bind("exp", expiresAt.isPresent() ? expiresAt.getAsLong() : null)
            .executeAndReturnGeneratedKeys("token_id")
            .mapTo(Long.class)
            .one();
    return new ApiToken(
        id, minted.publicId(), principalId, bound, name, now, expiresAt, OptionalLong.empty(), OptionalLong.empty());
  }

  Optional<TokenSecret> tokenSecret(String publicId) {
    return db.platform(
        h ->
            h.createQuery("SELECT * FROM api_tokens WHERE public_id = :pub")
                .bind("pub", publicId)
                .map((rs, ctx) -> new TokenSecret(TOKEN.map(rs, ctx), rs.getString("salt"), rs.getString("secret_hash")))
                .findOne());
  }

  public Optional<ApiToken> token(long tokenId) {
    return db.platform(
        h -> h.createQuery("SELECT * FROM api_tokens WHERE token_id = :id").bind("id", tokenId).map(TOKEN).findOne());
  }

  public List<ApiToken> tokensOf(long principalId) {
    return db.platform(
        h ->
            h.createQuery("SELECT * FROM api_tokens WHERE principal_id = :p ORDER BY token_id")
                .bind("p", principalId)
                .map(TOKEN)
                .list());
  }

  boolean revokeToken(Handle h, long tokenId, long now) {
    return h.createUpdate("UPDATE api_tokens SET revoked_at = :now WHERE token_id = :id AND revoked_at IS NULL")
            .bind("now", now)
            .bind("id", tokenId)
            .execute()
        > 0;
  }

  /** Records use, at most once a minute per token, so authentication does not write on every request. */
  void touchToken(long tokenId, long now) {
    db.platform(
        h ->
            h.createUpdate(
                    """
                    UPDATE api_tokens SET last_used_at = :now
                    WHERE token_id = :id AND (last_used_at IS NULL OR last_used_at < :stale)""")
                .bind("now", now)
                .bind("stale", now - 60_000)
                .bind("id", tokenId)
                .execute());
  }

  /** Every write to principals, memberships and tokens goes through here; the access caches follow it. */
  public <R> R inTransaction(Database.Tx<R> work) {
    try {
      return db.platform(work);
    } finally {
      epoch.advance();
    }
  }
}
