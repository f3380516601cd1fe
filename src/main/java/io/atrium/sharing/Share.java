package io.atrium.sharing;

import io.atrium.tenancy.TenantId;
import java.util.Set;

/**
 * A read grant on one registered model from its owner tenant to a grantee tenant.
 *
 * @param versions the version numbers shared, or null for every version, present and future
 */
public record Share(String shareId, TenantId owner, String modelName, TenantId grantee, Set<Integer> versions,
    String createdBy, long createdAt) {
  public boolean covers(int version) {
    return versions == null || versions.contains(version);
  }
}
