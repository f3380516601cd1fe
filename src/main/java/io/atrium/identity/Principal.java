package io.atrium.identity;

import static java.util.Objects.requireNonNull;

import io.atrium.tenancy.TenantId;
import java.util.Optional;

/** A user or a service account. A service account lives in exactly one tenant, its home. */
public record Principal(
    long id, String name, PrincipalKind kind, Optional<TenantId> homeTenant, boolean platformAdmin, long createdAt) {
  public Principal {
    requireNonNull(name);
    requireNonNull(kind);
    requireNonNull(homeTenant);
  }
}
