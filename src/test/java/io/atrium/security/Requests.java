package io.atrium.security;

import io.atrium.http.HttpServer;
import io.atrium.http.Route;
import io.atrium.isolation.support.Call;
import io.atrium.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Sends the suite's requests and counts them, so docs/SECURITY.md can say how many the suite sends. */
final class Requests {
  static final AtomicLong SENT = new AtomicLong();

  private Requests() {}

  /** One concrete request: method, path with query, optional body ("raw:" prefix: octet-stream), workspace header. */
  record Req(String method, String path, String body, String workspace) {
    TestServer.Response send(TestServer s, String token) {
      Call c = Call.of(s, method, path);
      if (token != null) {
        c.bearer(token);
      }
      if (workspace != null) {
        c.header(HttpServer.WORKSPACE_HEADER, workspace);
      }
      if (body != null) {
        if (body.startsWith("raw:")) {
          c.raw(body.substring(4).getBytes(StandardCharsets.UTF_8), "application/octet-stream");
        } else {
          c.json(body);
        }
      }
      SENT.incrementAndGet();
      return c.send();
    }
  }

  /** How many forms {@link #forRoute} sends for a route. */
  static int forms(Route route) {
    return (int) HttpServer.servedPaths(route).stream().filter(p -> !p.contains("/ajax-api/")).count();
  }

  /**
   * The requests that call {@code route} with {@code values}: the canonical path (tenant by workspace
   * header) and, for tenant routes, the {@code /t/{tenant}/} form.
   */
  static List<Req> forRoute(Route route, Recipes.Recipe recipe, Map<String, String> values) {
    List<Req> out = new ArrayList<>();
    String query = Recipes.substitute(recipe.query(), values);
    String body = Recipes.substitute(recipe.body(), values);
    for (String template : HttpServer.servedPaths(route)) {
      if (template.startsWith("/ajax-api/") || template.startsWith("/t/{tenant}/ajax-api/")) {
        continue;
      }
      boolean prefixed = template.startsWith("/t/{tenant}/");
      String path = Recipes.substitute(Recipes.fillPath(template), values);
      if (query != null) {
        path += "?" + query;
      }
      String workspace = route.scope() == Route.Scope.TENANT && !prefixed ? values.get("T") : null;
      out.add(new Req(route.method().name(), path, body, workspace));
    }
    return out;
  }
}
