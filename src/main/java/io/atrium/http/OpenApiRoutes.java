package io.atrium.http;

import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code GET /api/atrium/v1/openapi.json}: the OpenAPI 3.0 document of Atrium's own API, kept in
 * {@code src/main/resources/openapi/atrium.json} and checked against the route table by
 * {@code io.atrium.security.OpenApiIT}, so it cannot drift from what the server serves.
 *
 * <p>Public on purpose: the document describes the API's shape, the same for every deployment and
 * already in the source tree; it names no tenant, principal or configuration value. Tools (schemathesis,
 * client generators) fetch it before they hold a token. Every operation it lists still needs one.
 */
public final class OpenApiRoutes {
  public static final String PATH = "/api/atrium/v1/openapi.json";
  static final String RESOURCE = "/openapi/atrium.json";

  private final byte[] document;

  public OpenApiRoutes() {
    try (InputStream in = OpenApiRoutes.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      this.document = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public List<Route> routes() {
    return List.of(Route.read(HandlerType.GET, PATH, Route.Scope.PUBLIC,
        ctx -> ctx.contentType("application/json").result(document)));
  }
}
