package io.atrium.http;

import static java.util.Objects.requireNonNull;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.Map;

/**
 * One entry of the route table. The table is plain data so that the security suite can enumerate
 * every route the server serves and check each against its expected outcome per caller.
 *
 * @param scope how much the edge must establish before the handler runs
 * @param mutates whether a successful call changes state (and so is written to the audit log)
 */
public record Route(HandlerType method, String path, Scope scope, boolean mutates, Handler handler) {
  public enum Scope {
    /** No credentials needed (health, readiness). */
    PUBLIC,
    /** An authenticated principal, no tenant (admin API, workspace listing). */
    PRINCIPAL,
    /** An authenticated member of the resolved tenant; also served under /t/{tenant}/ and /ajax-api/. */
    TENANT
  }

  /**
   * A handler that streams its request body itself (artifact uploads): the edge's max-body-bytes
   * check does not apply to it, the handler enforces its own limit (the storage quota).
   */
  @FunctionalInterface
  public interface RawBody extends Handler {}

  public Route {
    requireNonNull(method);
    requireNonNull(path);
    requireNonNull(scope);
    requireNonNull(handler);
  }

  static final String PARAMS_ATTRIBUTE = "atrium.path-params";

  /** The decoded path parameters of the request's route ({@code {name}} and {@code <name>} segments). */
  public static Map<String, String> pathParams(Context ctx) {
    Map<String, String> params = ctx.attribute(PARAMS_ATTRIBUTE);
    return params == null ? Map.of() : params;
  }

  /** One path parameter of the request's route; a name the route does not have is a programming error. */
  public static String pathParam(Context ctx, String name) {
    String v = pathParams(ctx).get(name);
    if (v == null) {
      throw new IllegalStateException("route has no path parameter '" + name + "'");
    }
    return v;
  }

  public static Route read(HandlerType method, String path, Scope scope, Handler handler) {
    return new Route(method, path, scope, false, handler);
  }

  public static Route write(HandlerType method, String path, Scope scope, Handler handler) {
    return new Route(method, path, scope, true, handler);
  }

  /** "POST /api/2.0/mlflow/runs/create": the route's name in audit entries, logs and the security matrix. */
  public String id() {
    return method.name() + " " + path;
  }
}
