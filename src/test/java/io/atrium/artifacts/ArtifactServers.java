package io.atrium.artifacts;

import io.atrium.Atrium;
import io.atrium.config.AtriumConfig;
import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import io.atrium.tenancy.TenantStore;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A real Atrium on a random port with a chosen artifact backend, and raw-bytes HTTP helpers. The
 * S3 backend runs against the S3-compatible server of {@code scripts/s3-server.sh} (its {@code
 * ATRIUM_TEST_S3_*} variables), each server under its own random key prefix.
 */
final class ArtifactServers implements AutoCloseable {
  enum Backend {
    LOCAL,
    S3
  }

  /** One database kind with one artifact backend. */
  record Combo(TestDatabases.Kind db, Backend backend) {
    @Override
    public String toString() {
      return db + "+" + backend;
    }
  }

  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();

  final Combo combo;
  final Atrium atrium;
  final AtriumConfig config;
  final String adminToken;

  private ArtifactServers(Combo combo, AtriumConfig config, Atrium atrium) {
    this.combo = combo;
    this.config = config;
    this.atrium = atrium;
    this.adminToken = atrium.bootstrapToken().orElseThrow();
  }

  static boolean s3Available() {
    return env("ATRIUM_TEST_S3_ENDPOINT").isPresent();
  }

  /** Whether the S3 server is there to test against; fails when ATRIUM_REQUIRE_S3=1 and it is not. */
  static boolean s3AvailableOrRequired() {
    boolean s3 = s3Available();
    if (!s3 && "1".equals(System.getenv("ATRIUM_REQUIRE_S3"))) {
      throw new IllegalStateException("ATRIUM_REQUIRE_S3=1 but ATRIUM_TEST_S3_* is not set: start scripts/s3-server.sh");
    }
    return s3;
  }

  static List<Combo> combos() {
    List<Combo> out = new ArrayList<>();
    boolean s3 = s3AvailableOrRequired();
    for (TestDatabases.Kind k : TestDatabases.kinds()) {
      out.add(new Combo(k, Backend.LOCAL));
      if (s3) {
        out.add(new Combo(k, Backend.S3));
      }
    }
    return out;
  }

  static ArtifactServers start(Combo combo) {
    try {
      Path dir = Files.createTempDirectory("atrium-art-test-");
      AtriumConfig base = TestDatabases.config(combo.db(), dir);
      AtriumConfig config = combo.backend() == Backend.LOCAL ? base : withS3(base);
      return new ArtifactServers(combo, config, Atrium.start(config));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static AtriumConfig withS3(AtriumConfig c) {
    return new AtriumConfig(c.host(), c.port(), c.dataDir(), c.databaseUrl(), c.databaseUser(), c.databasePassword(),
        c.migrationUser(), c.migrationPassword(), c.databasePoolSize(), c.artifactRoot(), c.maxBodyBytes(),
        s3Config(c.artifactRoot()), c.limitDefaults(), c.admissionCapacity());
  }

  static ArtifactsConfig s3Config(Path localRoot) {
    return new ArtifactsConfig(ArtifactsConfig.S3, localRoot, env("ATRIUM_TEST_S3_BUCKET").orElseThrow(),
        "t-" + UUID.randomUUID(), Optional.of(URI.create(env("ATRIUM_TEST_S3_ENDPOINT").orElseThrow())),
        env("ATRIUM_TEST_S3_REGION").orElse("us-east-1"), env("ATRIUM_TEST_S3_ACCESS_KEY"),
        env("ATRIUM_TEST_S3_SECRET_KEY"), true, 30);
  }

  private static Optional<String> env(String name) {
    return Optional.ofNullable(System.getenv(name)).filter(s -> !s.isBlank());
  }

  String url() {
    return "http://127.0.0.1:" + atrium.port();
  }

  TestServer.Response send(HttpRequest r) {
    return TestServer.send(r);
  }

  HttpRequest.Builder request(String token, String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofMinutes(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  TestServer.Response json(String token, String method, String path, String body) {
    HttpRequest.Builder b = request(token, path);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
  }

  TestServer.Response put(String token, String path, byte[] bytes) {
    return send(request(token, path).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
  }

  TestServer.Response get(String token, String path) {
    return send(request(token, path).GET().build());
  }

  HttpResponse<byte[]> getBytes(String token, String path, String range) {
    HttpRequest.Builder b = request(token, path).GET();
    if (range != null) {
      b.header("Range", range);
    }
    try {
      return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<InputStream> getStream(String token, String path) {
    try {
      return HTTP.send(request(token, path).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  TestServer.Response delete(String token, String path) {
    return send(request(token, path).DELETE().build());
  }

  void createTenant(String name) {
    TestServer.expectOk(json(adminToken, "POST", "/api/atrium/v1/tenants", "{\"name\":\"" + name + "\"}"));
  }

  String createUser(String name, String tenant, String role) {
    TestServer.expectOk(json(adminToken, "POST", "/api/atrium/v1/users",
        "{\"name\":\"" + name + "\",\"tenant\":\"" + tenant + "\",\"role\":\"" + role + "\"}"));
    TestServer.Response r =
        TestServer.expectOk(json(adminToken, "POST", "/api/atrium/v1/principals/" + name + "/tokens", "{\"name\":\"t\"}"));
    return r.json().path("token").path("token").asText();
  }

  /** Sets a tenant's storage quota as an operator does: through the limits API (effective at once). */
  void setStorageQuota(String tenant, long bytes) {
    TestServer.expectOk(json(adminToken, "PUT", "/api/atrium/v1/tenants/" + tenant + "/limits",
        "{\"storage_bytes\":" + bytes + "}"));
  }

  /** Bytes and files accounted to a tenant, read straight from the database. */
  long[] accounted(String tenant) {
    try (Database db = Database.open(config)) {
      TenantId id = new TenantStore(db).byName(tenant).orElseThrow().id();
      ArtifactStore.Usage u = new ArtifactStore(db).usage(id);
      return new long[] {u.bytes(), u.objects()};
    }
  }

  /** Creates a run in the tenant's Default experiment and returns {run_id, artifact path prefix}. */
  String[] createRun(String token, String tenant) {
    TestServer.Response r = TestServer.expectOk(json(token, "POST", "/t/" + tenant + "/api/2.0/mlflow/runs/create",
        "{\"experiment_id\":\"0\",\"start_time\":" + System.currentTimeMillis() + "}"));
    String runId = r.json().path("run").path("info").path("run_id").asText();
    String uri = r.json().path("run").path("info").path("artifact_uri").asText();
    return new String[] {runId, uri.substring("mlflow-artifacts:/".length())};
  }

  static Map<String, String> none() {
    return Map.of();
  }

  @Override
  public void close() {
    atrium.close();
    io.atrium.testing.TestServer.deleteTree(config.dataDir());
  }
}
