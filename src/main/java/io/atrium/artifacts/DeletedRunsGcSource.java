package io.atrium.artifacts;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Runs deleted (runs.deleted_time) before the cutoff: their artifact roots may go. */
public final class DeletedRunsGcSource implements GcSource {
  private final Database db;

  public DeletedRunsGcSource(Database db) {
    this.db = requireNonNull(db);
  }

  @Override
  public String name() {
    return "runs";
  }

  @Override
  public List<ArtifactPath> expiredArtifactRoots(TenantId tenant, long deletedBefore) {
    List<String> uris =
        db.inTenant(tenant, h -> h.createQuery("""
                SELECT artifact_uri FROM runs
                WHERE tenant_id = :t AND lifecycle_stage = 'deleted' AND deleted_time IS NOT NULL
                  AND deleted_time < :cutoff""")
            .bind("t", tenant.value())
            .bind("cutoff", deletedBefore)
            .mapTo(String.class)
            .list());
    List<ArtifactPath> out = new ArrayList<>();
    for (String uri : uris) {
      Optional<ArtifactPath> p = ArtifactUris.managedPath(uri);
      p.filter(x -> !x.isRoot()).ifPresent(out::add);
    }
    return out;
  }
}
