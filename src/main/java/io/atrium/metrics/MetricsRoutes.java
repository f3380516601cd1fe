package io.atrium.metrics;

import io.atrium.common.MlflowError;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.javalin.http.HandlerType;
import java.util.List;

/** {@code GET /metrics}: Prometheus text format, platform admins only (scrape with a bearer token). */
public final class MetricsRoutes {
  private final Metrics metrics;

  public MetricsRoutes(Metrics metrics) {
    this.metrics = metrics;
  }

  public List<Route> routes() {
    return List.of(
        Route.read(HandlerType.GET, "/metrics", Scope.PRINCIPAL, ctx -> {
          if (!RequestContext.of(ctx).platformAdmin()) {
            throw MlflowError.permissionDenied("Permission denied: /metrics is for platform admins");
          }
          ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
        }));
  }
}
