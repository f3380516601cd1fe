package io.atrium.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Json;
import io.atrium.http.Route;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OpenAPI document and the route table are the same list: every route the server serves is an
 * operation of the document with the same scope, and every operation is a route. So the document
 * cannot rot, and the fuzzer (fuzz/run.sh) reaches every route.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiIT {
  private TestServer s;

  @BeforeAll
  void start() {
    s = TestServer.start(TestDatabases.Kind.H2);
  }

  @AfterAll
  void stop() {
    s.close();
  }

  private static JsonNode document() throws IOException {
    try (InputStream in = OpenApiIT.class.getResourceAsStream("/openapi/atrium.json")) {
      return Json.MAPPER.readTree(in);
    }
  }

  @Test
  void everyRouteIsAnOperationAndEveryOperationARoute() throws IOException {
    Map<String, String> routes = new TreeMap<>();
    for (Route r : s.atrium().routes()) {
      // Javalin's <param> (may hold slashes) is OpenAPI's {param}.
      String path = r.path().replaceAll("<([a-z_]+)>", "{$1}");
      routes.put(r.method().name() + " " + path, r.scope().name());
    }
    Map<String, String> operations = new TreeMap<>();
    for (var p : document().path("paths").properties()) {
      for (var op : p.getValue().properties()) {
        operations.put(op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey(), op.getValue().path("x-atrium-scope").asText());
      }
    }
    assertThat(operations).as("OpenAPI operations (fuzz/gen_openapi.py) vs the route table").isEqualTo(routes);
  }

  @Test
  void theDocumentIsServedPubliclyAndIsOpenApi3() throws IOException {
    TestServer.Response r = s.get(null, "/api/atrium/v1/openapi.json");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    assertThat(r.json()).isEqualTo(document());
    assertThat(r.json().path("openapi").asText()).startsWith("3.0");
    // Every operation documents MLflow's error shape, so schema checks cover errors too.
    r.json().path("paths").forEach(p -> p.forEach(op ->
        assertThat(op.path("responses").has("default")).as(op.path("operationId").asText()).isTrue()));
  }
}
