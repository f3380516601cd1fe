package io.atrium.artifacts;

import io.atrium.tenancy.TenantId;
import java.util.OptionalLong;

/** A tenant's artifact storage quota in bytes; empty = unlimited. */
@FunctionalInterface
public interface StorageQuota {
  OptionalLong bytesFor(TenantId tenant);

  StorageQuota UNLIMITED = t -> OptionalLong.empty();
}
