package io.atrium.sharing;

import io.atrium.http.RequestContext;
import io.atrium.tenancy.TenantId;
import java.util.Optional;

/**
 * The artifact proxy's question when a grantee downloads a shared model's files. A shared model
 * version's download URI, as the grantee sees it, is {@code
 * mlflow-artifacts:/shared/<owner-tenant>/<path in the owner's artifact root>}; the proxy routes
 * every GET or listing whose (decoded, normalized) artifact path begins with {@code shared/} here.
 *
 * <p>Only reads may be answered from the owner's root; any write, delete or multipart call under
 * {@code shared/} must be refused by the proxy without asking.
 */
public interface SharedArtifactAccess {
  /** The first path segment that marks a shared path. */
  String SHARED_SEGMENT = "shared";

  /**
   * Whether the caller's tenant may read {@code path} in {@code ownerTenant}'s artifact root through
   * a grant in force right now. Audits the read (allowed or refused) in the owner's audit log.
   *
   * @param rc the grantee's request (its tenant is the grantee)
   * @param ownerTenant the tenant name from the path's second segment
   * @param path the already-normalized path below {@code shared/<owner>/}, e.g.
   *     {@code 1/models/m-0a1b.../artifacts/MLmodel}; a directory listing passes the directory
   * @return the owner tenant to read from, or empty: answer exactly as for a missing file
   */
  Optional<TenantId> readableOwner(RequestContext rc, String ownerTenant, String path);
}
