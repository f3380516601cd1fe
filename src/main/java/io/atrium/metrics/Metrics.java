package io.atrium.metrics;

import io.atrium.db.Database;
import io.atrium.limits.Admission;
import io.atrium.limits.LimitService;
import io.atrium.tenancy.TenantId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus metrics: requests and latency by tenant and route class, 429s by tenant and reason,
 * each tenant's limits and in-flight requests, database pool use, and the JVM. Tenant labels are
 * bounded by the number of tenants, which operators create by hand.
 */
public final class Metrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final LimitService limits;
  private final Admission admission;
  private final Set<TenantId> tenantGauges = ConcurrentHashMap.newKeySet();
  private final JvmGcMetrics gc = new JvmGcMetrics();

  public Metrics(Database db, LimitService limits, Admission admission) {
    this.limits = limits;
    this.admission = admission;
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    Gauge.builder("atrium_db_pool_active", db, d -> d.poolStats()[0]).description("connections in use").register(registry);
    Gauge.builder("atrium_db_pool_idle", db, d -> d.poolStats()[1]).description("idle connections").register(registry);
    Gauge.builder("atrium_db_pool_total", db, d -> d.poolStats()[2]).description("open connections").register(registry);
    Gauge.builder("atrium_db_pool_pending", db, d -> d.poolStats()[3])
        .description("threads waiting for a connection")
        .register(registry);
    Gauge.builder("atrium_db_share_waiting", db, d -> d.poolStats()[4])
        .description("tenant transactions waiting for their fair share of the connections")
        .register(registry);
    Gauge.builder("atrium_inflight_requests_total", admission, Admission::totalInFlight).register(registry);
  }

  /** Records one finished request. */
  public void request(String tenant, String routeClass, int status, double millis) {
    Timer.builder("atrium_http_requests")
        .description("HTTP requests by tenant, route class and status class")
        .tags("tenant", tenant, "route_class", routeClass, "status", (status / 100) + "xx")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry)
        .record(Duration.ofNanos((long) (millis * 1_000_000)));
  }

  public void throttled(String tenant, Admission.Refusal reason) {
    Counter.builder("atrium_throttled_requests")
        .description("requests refused with 429, by tenant and reason")
        .tags("tenant", tenant, "reason", reason.name().toLowerCase(java.util.Locale.ROOT))
        .register(registry)
        .increment();
  }

  /** Registers the per-tenant limit and in-flight gauges the first time a tenant is seen. */
  public void seenTenant(TenantId id, String name) {
    if (tenantGauges.add(id)) {
      Gauge.builder("atrium_tenant_limit_rps", limits, l -> l.effective(id).requestsPerSecond()).tag("tenant", name)
          .register(registry);
      Gauge.builder("atrium_tenant_limit_burst", limits, l -> l.effective(id).burst()).tag("tenant", name)
          .register(registry);
      Gauge.builder("atrium_tenant_limit_concurrency", limits, l -> l.effective(id).concurrency()).tag("tenant", name)
          .register(registry);
      Gauge.builder("atrium_tenant_inflight_requests", admission, a -> a.inFlight(id)).tag("tenant", name)
          .register(registry);
    }
  }

  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
