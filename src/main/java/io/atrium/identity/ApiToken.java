package io.atrium.identity;

import io.atrium.tenancy.TenantId;
import java.util.Optional;
import java.util.OptionalLong;

/** A token's metadata. The secret itself is never stored; see {@link TokenCodec}. */
public record ApiToken(
    long id,
    String publicId,
    long principalId,
    Optional<TenantId> boundTenant,
    String name,
    long createdAt,
    OptionalLong expiresAt,
    OptionalLong lastUsedAt,
    OptionalLong revokedAt) {

  public boolean activeAt(long nowMillis) {
    return revokedAt.isEmpty() && (expiresAt.isEmpty() || expiresAt.getAsLong() > nowMillis);
  }
}
