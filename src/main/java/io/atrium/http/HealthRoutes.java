package io.atrium.http;

import io.atrium.db.Database;
import io.javalin.http.HandlerType;
import java.util.List;
import java.util.Map;

/** Liveness and readiness: {@code /health} answers while the process runs, {@code /ready} once the database does. */
public final class HealthRoutes {
  private final Database db;

  public HealthRoutes(Database db) {
    this.db = db;
  }

  public List<Route> routes() {
    return List.of(
        Route.read(HandlerType.GET, "/health", Route.Scope.PUBLIC, ctx -> Json.write(ctx, Map.of("status", "ok"))),
        Route.read(
            HandlerType.GET,
            "/ready",
            Route.Scope.PUBLIC,
            ctx -> {
              // Migrations run before the server starts listening, so a reachable database is a migrated one.
              boolean ok = db.ready();
              ctx.status(ok ? 200 : 503);
              Json.write(ctx, Map.of("status", ok ? "ready" : "database unavailable"));
            }));
  }
}
