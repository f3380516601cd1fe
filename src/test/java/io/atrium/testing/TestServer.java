package io.atrium.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.Atrium;
import io.atrium.config.AtriumConfig;
import io.atrium.http.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real Atrium server on a random port over a fresh database, and a small HTTP client for it.
 * Tests talk to it over real HTTP, exactly as the mlflow client does.
 */
public final class TestServer implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Atrium atrium;
  private final AtriumConfig config;
  private final String adminToken;
  public final TestDatabases.Kind kind;

  /** An HTTP answer: status, headers and body (parsed as JSON when it is JSON). */
  public record Response(int status, String body, java.net.http.HttpHeaders headers) {
    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + body, e);
      }
    }
  }

  private TestServer(TestDatabases.Kind kind, AtriumConfig config, Atrium atrium) {
    this.kind = kind;
    this.config = config;
    this.atrium = atrium;
    this.adminToken = atrium.bootstrapToken().orElseThrow();
  }

  public static TestServer start(TestDatabases.Kind kind) {
    try {
      Path dir = Files.createTempDirectory("atrium-test-");
      AtriumConfig config = TestDatabases.config(kind, dir);
      return new TestServer(kind, config, Atrium.start(config));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Atrium atrium() {
    return atrium;
  }

  public AtriumConfig config() {
    return config;
  }

  public String url() {
    return "http://127.0.0.1:" + atrium.port();
  }

  public String adminToken() {
    return adminToken;
  }

  public Response get(String token, String path) {
    return send(token, "GET", path, null, null);
  }

  public Response post(String token, String path, Object body) {
    return send(token, "POST", path, json(body), "application/json");
  }

  public Response put(String token, String path, Object body) {
    return send(token, "PUT", path, json(body), "application/json");
  }

  public Response delete(String token, String path) {
    return send(token, "DELETE", path, null, null);
  }

  /** Any request; {@code token} null sends no Authorization header. */
  public Response send(String token, String method, String path, String body, String contentType) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return send(b.build());
  }

  public static Response send(HttpRequest request) {
    try {
      HttpResponse<String> r;
      try {
        r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        // A pooled keep-alive connection the server had just closed (it closes after answering a
        // request whose body it refused to read) fails before a single response byte arrives. Like
        // any HTTP client library, retry that once on a fresh connection; other I/O errors propagate.
        if (!String.valueOf(e.getMessage()).contains("received no bytes")) {
          throw e;
        }
        r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      }
      return new Response(r.statusCode(), r.body(), r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String json(Object body) {
    try {
      return body instanceof String s ? s : Json.MAPPER.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates a tenant (as platform admin). */
  public void createTenant(String name) {
    expectOk(post(adminToken, "/api/atrium/v1/tenants", Map.of("name", name)));
  }

  /** Creates a user who is a member of {@code tenant} with {@code role}, and returns a fresh token of theirs. */
  public String createUser(String name, String tenant, String role) {
    expectOk(post(adminToken, "/api/atrium/v1/users", Map.of("name", name, "tenant", tenant, "role", role)));
    return token(name);
  }

  /** Mints a token for an existing principal (as platform admin). */
  public String token(String principal) {
    Response r = expectOk(post(adminToken, "/api/atrium/v1/principals/" + principal + "/tokens", Map.of("name", "test")));
    return r.json().path("token").path("token").asText();
  }

  public static Response expectOk(Response r) {
    if (r.status() != 200) {
      throw new AssertionError("expected 200, got " + r.status() + ": " + r.body());
    }
    return r;
  }

  @Override
  public void close() {
    atrium.close();
    deleteTree(config.dataDir());
  }

  /**
   * Removes a test server's temporary data dir (H2 files, local artifacts) once it has stopped, so
   * that a full test run does not leave hundreds of them in the temp dir. Best effort.
   */
  public static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort: a file still held open is left for the OS's temp cleaning
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // best effort, as above
    }
  }
}
