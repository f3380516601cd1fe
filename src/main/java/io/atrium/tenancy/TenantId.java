package io.atrium.tenancy;

/** A tenant's internal id: the value of every tenant_id column and of the RLS setting. */
public record TenantId(long value) {
  public TenantId {
    if (value <= 0) {
      throw new IllegalArgumentException("tenant id must be positive");
    }
  }

  @Override
  public String toString() {
    return Long.toString(value);
  }
}
