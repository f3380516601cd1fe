package io.atrium.artifacts;

import io.atrium.tenancy.TenantId;
import io.atrium.usage.UsageCounter;

/** Where artifact traffic is metered ({@code UsageMeter::add}). */
@FunctionalInterface
public interface UsageSink {
  void add(TenantId tenant, UsageCounter counter, long n);

  UsageSink NONE = (t, c, n) -> {};
}
