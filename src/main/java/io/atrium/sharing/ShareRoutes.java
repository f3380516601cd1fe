package io.atrium.sharing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /api/atrium/v1/tenants/{tenant}/shares}: cross-tenant model grants. HTTP only. */
public final class ShareRoutes {
  static final String BASE = "/api/atrium/v1/tenants/{tenant}/shares";

  private final ShareService shares;

  public ShareRoutes(ShareService shares) {
    this.shares = requireNonNull(shares);
  }

  public List<Route> routes() {
    return List.of(
        Route.write(HandlerType.POST, BASE, Scope.PRINCIPAL, this::grant),
        Route.read(HandlerType.GET, BASE, Scope.PRINCIPAL, this::list),
        Route.write(HandlerType.DELETE, BASE, Scope.PRINCIPAL, this::revokeByModel),
        Route.write(HandlerType.DELETE, BASE + "/{share_id}", Scope.PRINCIPAL, this::revokeById));
  }

  private void grant(Context ctx) {
    JsonNode body = Json.readTree(ctx);
    List<String> versions = null;
    JsonNode v = body.get("versions");
    if (v != null && !v.isNull()) {
      versions = new ArrayList<>();
      if (v.isArray()) {
        for (JsonNode x : v) {
          versions.add(x.asText());
        }
      } else {
        versions.add(v.asText());
      }
    }
    var view = shares.grant(RequestContext.of(ctx), Route.pathParam(ctx, "tenant"), text(body, "model"),
        text(body, "to_tenant"), versions);
    Json.write(ctx, Map.of("share", json(view)));
  }

  private void list(Context ctx) {
    var lists = shares.list(RequestContext.of(ctx), Route.pathParam(ctx, "tenant"));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("shares", lists.get(0).stream().map(ShareRoutes::json).toList());
    body.put("received", lists.get(1).stream().map(ShareRoutes::json).toList());
    Json.write(ctx, body);
  }

  private void revokeByModel(Context ctx) {
    JsonNode body = Json.readTree(ctx);
    shares.revoke(RequestContext.of(ctx), Route.pathParam(ctx, "tenant"), null, text(body, "model"), text(body, "to_tenant"));
    Json.write(ctx, Map.of());
  }

  private void revokeById(Context ctx) {
    shares.revoke(RequestContext.of(ctx), Route.pathParam(ctx, "tenant"), Route.pathParam(ctx, "share_id"), null, null);
    Json.write(ctx, Map.of());
  }

  private static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  static Map<String, Object> json(ShareService.ShareView s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("share_id", s.shareId());
    m.put("owner", s.owner());
    m.put("model", s.model());
    m.put("to_tenant", s.grantee());
    m.put("shared_name", "shared." + s.owner() + "." + s.model());
    m.put("versions", s.versions() == null ? "all" : s.versions().stream().map(String::valueOf).toList());
    m.put("created_by", s.createdBy());
    m.put("created_at", s.createdAt());
    return m;
  }
}
