package io.atrium.usage;

import io.atrium.tenancy.TenantId;

/** Where a service reports what it metered ({@code UsageMeter::add}); services need not know the meter. */
@FunctionalInterface
public interface UsageSink {
  void add(TenantId tenant, UsageCounter counter, long n);

  UsageSink NONE = (t, c, n) -> {};
}
