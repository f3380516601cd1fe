package io.atrium.artifacts;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.db.Dialect;
import io.atrium.tenancy.TenantId;
import io.atrium.artifacts.ArtifactStorage.Part;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** SQL for multipart uploads: the uploads, their staged parts, and the part-URL signing key. */
public final class UploadStore {
  /** An upload in progress. */
  public record Upload(String uploadId, ArtifactPath path, int numParts, String storageUploadId, long createdAt, long expiresAt) {}

  private static final RowMapper<Upload> UPLOAD = (rs, ctx) -> new Upload(rs.getString("upload_id"),
      ArtifactPath.parse(rs.getString("path")), rs.getInt("num_parts"), rs.getString("storage_upload_id"),
      rs.getLong("created_at"), rs.getLong("expires_at"));
  private static final RowMapper<Part> PART = (rs, ctx) -> new Part(rs.getInt("part_number"), rs.getLong("size_bytes"),
      rs.getString("etag"));

  private final Database db;

  public UploadStore(Database db) {
    this.db = requireNonNull(db);
  }

  public Optional<Upload> upload(TenantId tenant, String uploadId) {
    return db.inTenant(tenant, h -> upload(h, tenant, uploadId));
  }

  public Optional<Upload> upload(Handle h, TenantId tenant, String uploadId) {
    return h.createQuery("SELECT * FROM artifact_uploads WHERE tenant_id = :t AND upload_id = :u")
        .bind("t", tenant.value())
        .bind("u", uploadId)
        .map(UPLOAD)
        .findOne();
  }

  public void insertUpload(TenantId tenant, Upload u) {
    db.inTenant(tenant, h -> h.createUpdate("""
            INSERT INTO artifact_uploads (tenant_id, upload_id, path, num_parts, storage_upload_id, created_at, expires_at)
            VALUES (:t, :u, :p, :n, :s, :c, :e)""")
        .bind("t", tenant.value())
        .bind("u", u.uploadId())
        .bind("p", u.path().value())
        .bind("n", u.numParts())
        .bind("s", u.storageUploadId())
        .bind("c", u.createdAt())
        .bind("e", u.expiresAt())
        .execute());
  }

  /** Uploads whose part URLs expired before {@code cutoff}: abandoned, for garbage collection. */
  public List<Upload> expiredUploads(TenantId tenant, long cutoff) {
    return db.inTenant(tenant, h -> h.createQuery("SELECT * FROM artifact_uploads WHERE tenant_id = :t AND expires_at < :c")
        .bind("t", tenant.value())
        .bind("c", cutoff)
        .map(UPLOAD)
        .list());
  }

  public List<Part> parts(Handle h, TenantId tenant, String uploadId) {
    return h.createQuery("SELECT * FROM artifact_upload_parts WHERE tenant_id = :t AND upload_id = :u ORDER BY part_number")
        .bind("t", tenant.value())
        .bind("u", uploadId)
        .map(PART)
        .list();
  }

  /** Records a part, replacing one of the same number; returns the size of the replaced one. */
  public Optional<Part> putPart(Handle h, TenantId tenant, String uploadId, Part p) {
    Optional<Part> old = h.createQuery("""
            SELECT * FROM artifact_upload_parts WHERE tenant_id = :t AND upload_id = :u AND part_number = :n""")
        .bind("t", tenant.value())
        .bind("u", uploadId)
        .bind("n", p.partNumber())
        .map(PART)
        .findOne();
    if (old.isPresent()) {
      h.createUpdate("""
              UPDATE artifact_upload_parts SET size_bytes = :s, etag = :e
              WHERE tenant_id = :t AND upload_id = :u AND part_number = :n""")
          .bind("s", p.size()).bind("e", p.etag()).bind("t", tenant.value()).bind("u", uploadId).bind("n", p.partNumber())
          .execute();
    } else {
      h.createUpdate("""
              INSERT INTO artifact_upload_parts (tenant_id, upload_id, part_number, size_bytes, etag)
              VALUES (:t, :u, :n, :s, :e)""")
          .bind("s", p.size()).bind("e", p.etag()).bind("t", tenant.value()).bind("u", uploadId).bind("n", p.partNumber())
          .execute();
    }
    return old;
  }

  /** Removes an upload and its parts; returns whether it was there. */
  public boolean deleteUpload(Handle h, TenantId tenant, String uploadId) {
    h.createUpdate("DELETE FROM artifact_upload_parts WHERE tenant_id = :t AND upload_id = :u")
        .bind("t", tenant.value()).bind("u", uploadId).execute();
    return h.createUpdate("DELETE FROM artifact_uploads WHERE tenant_id = :t AND upload_id = :u")
        .bind("t", tenant.value()).bind("u", uploadId).execute() > 0;
  }

  /** The part-URL signing key, made (256 random bits) by the first server that asks. */
  public byte[] signingKey(long now) {
    return db.platform(h -> {
      Optional<String> existing = h.createQuery("SELECT secret FROM artifact_upload_signing_key WHERE id = 1")
          .mapTo(String.class).findOne();
      if (existing.isPresent()) {
        return Base64.getDecoder().decode(existing.get());
      }
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      String secret = Base64.getEncoder().encodeToString(key);
      // Two servers starting at once: the second insert does nothing and both read the winner's key.
      if (db.dialect() == Dialect.POSTGRES) {
        h.createUpdate("INSERT INTO artifact_upload_signing_key (id, secret, created_at) VALUES (1, :s, :c) ON CONFLICT (id) DO NOTHING")
            .bind("s", secret).bind("c", now).execute();
      } else {
        h.createUpdate("""
                MERGE INTO artifact_upload_signing_key k USING (VALUES (1)) s(id) ON k.id = s.id
                WHEN NOT MATCHED THEN INSERT (id, secret, created_at) VALUES (1, :s, :c)""")
            .bind("s", secret).bind("c", now).execute();
      }
      return Base64.getDecoder().decode(h.createQuery("SELECT secret FROM artifact_upload_signing_key WHERE id = 1")
          .mapTo(String.class).one());
    });
  }
}
