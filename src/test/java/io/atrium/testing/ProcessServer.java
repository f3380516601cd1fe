package io.atrium.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.Atrium;
import io.atrium.config.AtriumConfig;
import io.atrium.http.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Atrium as its own JVM, started the way bin/atrium starts it (the built classes plus the
 * dependency jars of the build dir), for tests about the process itself: a small heap, a kill -9.
 * The data directory and the database outlive the process, so a test can start it again on them.
 */
public final class ProcessServer implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final Path dataDir;
  private final Path logFile;
  private final List<String> jvmArgs;
  private final List<String> serveArgs;
  private Process process;
  private String url;

  /**
   * @param config where the data lives: its data dir, and its database when that is PostgreSQL
   *     (an H2 config uses the server's own default URL for the data dir)
   */
  public ProcessServer(AtriumConfig config, Path logFile, List<String> jvmArgs) {
    this.dataDir = config.dataDir();
    this.logFile = logFile;
    this.jvmArgs = List.copyOf(jvmArgs);
    List<String> args = new ArrayList<>(List.of("--data-dir", dataDir.toString()));
    if (config.isPostgres()) {
      args.addAll(List.of("--db-url", config.databaseUrl(), "--db-user", config.databaseUser(), "--db-password",
          config.databasePassword()));
      config.migrationUser().ifPresent(u -> args.addAll(List.of("--db-migration-user", u)));
      config.migrationPassword().ifPresent(p -> args.addAll(List.of("--db-migration-password", p)));
    }
    this.serveArgs = List.copyOf(args);
  }

  /** Starts the server and waits until it is ready; returns its base URL. */
  public String start() throws Exception {
    Path code = Path.of(Atrium.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    // target/classes or target/atrium.jar: either way the dependency jars are in target/lib.
    Path lib = code.getParent().resolve("lib");
    assertThat(lib).as("dependency jars (mvn package copies them)").isDirectory();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", code + ":" + lib + "/*", "io.atrium.Atrium", "serve", "--port", Integer.toString(port)));
    cmd.addAll(serveArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    // The server refuses ATRIUM_* variables it does not know (the tests' ATRIUM_TEST_*).
    pb.environment().keySet().removeIf(k -> k.startsWith("ATRIUM_"));
    process = pb.start();
    url = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (true) {
      assertThat(process.isAlive()).as("server exited: " + log()).isTrue();
      try {
        if (HTTP.send(HttpRequest.newBuilder(URI.create(url + "/ready")).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200) {
          return url;
        }
      } catch (IOException e) {
        // not listening yet
      }
      assertThat(System.nanoTime()).as("server not ready: " + log()).isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  /** One JSON call to a running server; anything but 200 fails the test. Returns the parsed body. */
  public static JsonNode ok(String url, String token, String method, String path, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token)
        .timeout(Duration.ofSeconds(30));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r = HTTP.send(b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
    return Json.MAPPER.readTree(r.body());
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  public String url() {
    return url;
  }

  /** The platform admin token the first start wrote into the data directory. */
  public String adminToken() throws IOException {
    return Files.readString(dataDir.resolve("admin.token")).trim();
  }

  /** SIGKILL: no shutdown hook, no flush, no goodbye. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public String log() {
    try {
      String s = Files.readString(logFile);
      return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
