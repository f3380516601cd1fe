package io.atrium.limits;

import io.atrium.common.MlflowError;
import java.util.OptionalLong;

/**
 * One tenant's limits. Each per-replica figure bounds what one Atrium process admits for the tenant.
 *
 * @param requestsPerSecond sustained request rate (token bucket refill)
 * @param burst bucket size: how many requests may arrive at once after a quiet period
 * @param concurrency requests of this tenant in flight at once
 * @param runsPerMinute run creations per minute (a separate bucket with a burst of one minute's worth)
 * @param storageBytes artifact storage quota; empty = unlimited
 */
public record TenantLimits(
    double requestsPerSecond, int burst, int concurrency, double runsPerMinute, OptionalLong storageBytes) {

  public TenantLimits {
    if (!(requestsPerSecond > 0) || requestsPerSecond > 1_000_000) {
      throw MlflowError.invalid("rps must be > 0 and at most 1000000, got " + requestsPerSecond);
    }
    if (burst < 1 || burst > 10_000_000) {
      throw MlflowError.invalid("burst must be 1..10000000, got " + burst);
    }
    if (concurrency < 1 || concurrency > 100_000) {
      throw MlflowError.invalid("concurrency must be 1..100000, got " + concurrency);
    }
    if (!(runsPerMinute > 0) || runsPerMinute > 10_000_000) {
      throw MlflowError.invalid("runs_per_minute must be > 0 and at most 10000000, got " + runsPerMinute);
    }
    if (storageBytes.isPresent() && storageBytes.getAsLong() < 0) {
      throw MlflowError.invalid("storage_bytes must be >= 0");
    }
  }
}
