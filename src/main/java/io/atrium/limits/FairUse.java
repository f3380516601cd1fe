package io.atrium.limits;

import static java.util.Objects.requireNonNull;

import io.atrium.http.Route;
import io.atrium.metrics.Metrics;
import io.atrium.tenancy.Tenant;
import io.atrium.usage.UsageCounter;
import io.atrium.usage.UsageSink;

/**
 * What the HTTP edge does for fair use, in one place: admit or refuse each tenant-scoped request
 * before any work ({@link Admission}), meter it by route class, and record every finished request
 * in the metrics.
 */
public final class FairUse {
  /** Route classes, as metered and labelled in metrics. */
  public enum RouteClass {
    READ,
    WRITE,
    SEARCH,
    ADMIN;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    UsageCounter counter() {
      return switch (this) {
        case READ -> UsageCounter.REQUESTS_READ;
        case WRITE -> UsageCounter.REQUESTS_WRITE;
        case SEARCH -> UsageCounter.REQUESTS_SEARCH;
        case ADMIN -> UsageCounter.REQUESTS_ADMIN;
      };
    }
  }

  private final Admission admission;
  private final UsageSink usage;
  private final Metrics metrics;

  public FairUse(Admission admission, UsageSink usage, Metrics metrics) {
    this.admission = requireNonNull(admission);
    this.usage = requireNonNull(usage);
    this.metrics = requireNonNull(metrics);
  }

  public static RouteClass classOf(Route route) {
    if (route.path().startsWith("/api/atrium/") || route.path().equals("/metrics")) {
      return RouteClass.ADMIN;
    }
    if (route.path().contains("search") || route.path().contains("get-history")) {
      return RouteClass.SEARCH;
    }
    return route.mutates() ? RouteClass.WRITE : RouteClass.READ;
  }

  /**
   * Admits one tenant-scoped request; the permit must be closed when the request ends.
   *
   * @throws io.atrium.common.MlflowError 429 RESOURCE_EXHAUSTED with a retry-after, when refused
   */
  public Admission.Permit admit(Tenant tenant, Route route) {
    metrics.seenTenant(tenant.id(), tenant.name());
    try {
      Admission.Permit p = admission.admit(tenant.id(), tenant.name(), route.path().endsWith("/runs/create"));
      usage.add(tenant.id(), classOf(route).counter(), 1);
      return p;
    } catch (Admission.Refused r) {
      metrics.throttled(tenant.name(), r.reason());
      usage.add(tenant.id(), UsageCounter.REQUESTS_THROTTLED, 1);
      throw r.error();
    }
  }

  /** Records a finished request (any scope, any outcome). */
  public void finished(String tenantName, Route route, int status, double millis) {
    metrics.request(tenantName, route == null ? "none" : classOf(route).label(), status, millis);
  }
}
