package io.atrium.artifacts;

import io.atrium.tenancy.TenantId;
import java.util.List;

/**
 * Something whose deleted objects own artifacts that garbage collection may remove: deleted runs
 * ({@link DeletedRunsGcSource}), and later deleted model versions. Each source answers, per tenant,
 * the artifact directories of objects deleted before a cutoff; {@link ArtifactService#gc} removes
 * them and frees their quota. Returning a directory again on a later pass is harmless.
 */
public interface GcSource {
  /** A short name for logs and the gc report, e.g. "runs". */
  String name();

  /** Artifact directories (relative to the tenant's root) of objects deleted before {@code deletedBefore}. */
  List<ArtifactPath> expiredArtifactRoots(TenantId tenant, long deletedBefore);
}
