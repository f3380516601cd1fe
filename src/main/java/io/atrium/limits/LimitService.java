package io.atrium.limits;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.http.RequestContext;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantId;
import java.time.Clock;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The effective limits of each tenant: platform defaults from configuration, overridden per tenant
 * by platform admins. Lookups are cached for {@link #CACHE_MILLIS}; a change made through this
 * replica invalidates its cache at once, other replicas see it within the cache period.
 */
public final class LimitService {
  static final long CACHE_MILLIS = 2_000;

  private record Cached(TenantLimits limits, long loadedAt) {}

  private final LimitStore store;
  private final TenantLimits defaults;
  private final Clock clock;
  private final ConcurrentHashMap<TenantId, Cached> cache = new ConcurrentHashMap<>();

  public LimitService(LimitStore store, TenantLimits defaults, Clock clock) {
    this.store = requireNonNull(store);
    this.defaults = requireNonNull(defaults);
    this.clock = requireNonNull(clock);
  }

  public TenantLimits defaults() {
    return defaults;
  }

  /** The limits in force for a tenant (cached). */
  public TenantLimits effective(TenantId tenant) {
    long now = clock.millis();
    Cached c = cache.get(tenant);
    if (c == null || now - c.loadedAt() > CACHE_MILLIS) {
      c = new Cached(resolve(store.get(tenant)), now);
      cache.put(tenant, c);
    }
    return c.limits();
  }

  /**
   * Reading a tenant's limits. The caller's right to (admins and owners of the tenant, platform
   * admins) was settled when the route resolved {@code tenant} with {@code TenantService.requireRole}.
   */
  public TenantLimits get(Tenant tenant) {
    return effective(tenant.id());
  }

  /** Setting a tenant's limits: platform admins only. Unset fields keep their current override. */
  public TenantLimits set(RequestContext rc, TenantId tenant, LimitStore.Overrides change) {
    if (!rc.platformAdmin()) {
      throw MlflowError.permissionDenied("Permission denied: only platform admins set tenant limits");
    }
    LimitStore.Overrides current = store.get(tenant);
    LimitStore.Overrides merged =
        new LimitStore.Overrides(
            change.rps().or(current::rps),
            change.burst().or(current::burst),
            change.concurrency().or(current::concurrency),
            change.runsPerMinute().or(current::runsPerMinute),
            change.storageBytes().isPresent() ? change.storageBytes() : current.storageBytes());
    TenantLimits resolved = resolve(merged); // validates before anything is stored
    store.put(tenant, merged, clock.millis());
    cache.remove(tenant);
    return resolved;
  }

  private TenantLimits resolve(LimitStore.Overrides o) {
    OptionalLong storage = o.storageBytes().isPresent() ? o.storageBytes() : defaults.storageBytes();
    return new TenantLimits(
        o.rps().orElse(defaults.requestsPerSecond()),
        o.burst().orElse(defaults.burst()),
        o.concurrency().orElse(defaults.concurrency()),
        o.runsPerMinute().orElse(defaults.runsPerMinute()),
        storage);
  }
}
