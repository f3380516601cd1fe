package io.atrium.artifacts;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.db.Dialect;
import io.atrium.tenancy.TenantId;
import java.util.List;
import java.util.OptionalLong;
import java.sql.SQLIntegrityConstraintViolationException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** SQL for artifact accounting: the stored files with their sizes, and each tenant's total. */
public final class ArtifactStore {
  /** A tenant's stored bytes and files. */
  public record Usage(long bytes, long objects) {}

  private final Database db;

  public ArtifactStore(Database db) {
    this.db = requireNonNull(db);
  }

  public <R> R inTenant(TenantId tenant, Database.Tx<R> work) {
    return db.inTenant(tenant, work);
  }

  public Usage usage(TenantId tenant) {
    return db.inTenant(tenant, h -> h.createQuery("SELECT bytes_stored, object_count FROM artifact_usage WHERE tenant_id = :t")
        .bind("t", tenant.value())
        .map((rs, ctx) -> new Usage(rs.getLong(1), rs.getLong(2)))
        .findOne()
        .orElse(new Usage(0, 0)));
  }

  public OptionalLong objectSize(TenantId tenant, ArtifactPath path) {
    return db.inTenant(tenant, h -> objectSize(h, tenant, path));
  }

  public OptionalLong objectSize(Handle h, TenantId tenant, ArtifactPath path) {
    return h.createQuery("SELECT size_bytes FROM artifact_objects WHERE tenant_id = :t AND path = :p")
        .bind("t", tenant.value())
        .bind("p", path.value())
        .mapTo(Long.class)
        .findOne()
        .map(OptionalLong::of)
        .orElse(OptionalLong.empty());
  }

  /**
   * Locks the tenant's usage row for the rest of the transaction (creating it at zero first), and
   * returns it. Every change to the accounting takes this lock first, so changes of one tenant are
   * serialized and the total never drifts from the sum of the files.
   */
  public Usage lockUsage(Handle h, TenantId tenant) {
    if (db.dialect() == Dialect.POSTGRES) {
      // ON CONFLICT DO NOTHING: two first uploads of a tenant racing must not fail on the key.
      h.createUpdate("INSERT INTO artifact_usage (tenant_id, bytes_stored, object_count) VALUES (:t, 0, 0) ON CONFLICT (tenant_id) DO NOTHING")
          .bind("t", tenant.value())
          .execute();
    } else {
      try {
        h.createUpdate("""
                MERGE INTO artifact_usage u USING (VALUES (CAST(:t AS BIGINT))) s(tid) ON u.tenant_id = s.tid
                WHEN NOT MATCHED THEN INSERT (tenant_id, bytes_stored, object_count) VALUES (s.tid, 0, 0)""")
            .bind("t", tenant.value())
            .execute();
      } catch (UnableToExecuteStatementException e) {
        // H2's MERGE is not atomic: two first writes of a tenant at once (the parts of a multipart
        // upload arrive in parallel) both try the insert and one hits the key. The row is there
        // then; H2 keeps the transaction usable after a failed statement, and the lock below waits.
        if (!(e.getCause() instanceof SQLIntegrityConstraintViolationException)) {
          throw e;
        }
      }
    }
    return h.createQuery("SELECT bytes_stored, object_count FROM artifact_usage WHERE tenant_id = :t FOR UPDATE")
        .bind("t", tenant.value())
        .map((rs, ctx) -> new Usage(rs.getLong(1), rs.getLong(2)))
        .one();
  }

  public void setUsage(Handle h, TenantId tenant, Usage u) {
    h.createUpdate("UPDATE artifact_usage SET bytes_stored = :b, object_count = :n WHERE tenant_id = :t")
        .bind("b", u.bytes())
        .bind("n", u.objects())
        .bind("t", tenant.value())
        .execute();
  }

  public void putObject(Handle h, TenantId tenant, ArtifactPath path, long size, long now) {
    int n = h.createUpdate("UPDATE artifact_objects SET size_bytes = :s, updated_at = :now WHERE tenant_id = :t AND path = :p")
        .bind("s", size)
        .bind("now", now)
        .bind("t", tenant.value())
        .bind("p", path.value())
        .execute();
    if (n == 0) {
      h.createUpdate("INSERT INTO artifact_objects (tenant_id, path, size_bytes, updated_at) VALUES (:t, :p, :s, :now)")
          .bind("s", size)
          .bind("now", now)
          .bind("t", tenant.value())
          .bind("p", path.value())
          .execute();
    }
  }

  /** The accounted files at or below {@code path} (all of them for the root). */
  public List<ArtifactStorage.StoredFile> objectsUnder(Handle h, TenantId tenant, ArtifactPath path) {
    // LEFT(path, n) = prefix rather than LIKE: artifact names may contain % and _.
    return h.createQuery("""
            SELECT path, size_bytes FROM artifact_objects
            WHERE tenant_id = :t AND (:root OR path = :p OR LEFT(path, :n) = :prefix)""")
        .bind("t", tenant.value())
        .bind("root", path.isRoot())
        .bind("p", path.value())
        .bind("n", path.value().length() + 1)
        .bind("prefix", path.value() + "/")
        .map((rs, ctx) -> new ArtifactStorage.StoredFile(ArtifactPath.parse(rs.getString(1)), rs.getLong(2)))
        .list();
  }

  public void deleteObject(Handle h, TenantId tenant, ArtifactPath path) {
    h.createUpdate("DELETE FROM artifact_objects WHERE tenant_id = :t AND path = :p")
        .bind("t", tenant.value())
        .bind("p", path.value())
        .execute();
  }
}
