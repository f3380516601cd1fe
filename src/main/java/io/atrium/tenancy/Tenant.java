package io.atrium.tenancy;

import static java.util.Objects.requireNonNull;

/** A tenant as the control plane knows it. */
public record Tenant(TenantId id, String name, String displayName, TenantStatus status, long createdAt, long updatedAt) {
  public Tenant {
    requireNonNull(id);
    requireNonNull(name);
    requireNonNull(status);
  }
}
