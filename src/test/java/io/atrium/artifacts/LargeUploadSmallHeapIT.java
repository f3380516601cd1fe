package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.Atrium;
import io.atrium.http.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The large-upload test: a 2 GiB artifact through a server whose heap is 512 MiB. The server runs
 * as its own JVM ({@code -Xmx512m}, the built classes and the dependency jars of the build dir, as
 * bin/atrium and the benchmark start it), so a body held in memory anywhere on the way would end in
 * an OutOfMemoryError rather than pass. The bytes are generated while they are sent (chunked, no
 * Content-Length) and hashed on both sides; one full download and one Range download check them.
 * H2 and the local backend only: this is about memory, not storage backends.
 */
class LargeUploadSmallHeapIT {
  private static final long SIZE = 2L << 30;
  private static final int BLOCK = 1 << 20;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;
  private Process server;

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.destroy();
      if (!server.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  /**
   * 1 MiB of random bytes repeated, each block stamped with its index: cheap enough to make 2 GiB
   * in well under a second, and no two blocks alike, so a misplaced block changes the hash.
   */
  static final class Blocks extends InputStream {
    private final byte[] block = new byte[BLOCK];
    private final long size;
    private long pos;

    Blocks(long size) {
      new Random(2024).nextBytes(block);
      this.size = size;
    }

    private void stamp(long index) {
      for (int i = 0; i < 8; i++) {
        block[i] = (byte) (index >>> (8 * i));
      }
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= size) {
        return -1;
      }
      int inBlock = (int) (pos % BLOCK);
      stamp(pos / BLOCK);
      int n = (int) Math.min(Math.min(len, BLOCK - inBlock), size - pos);
      System.arraycopy(block, inBlock, b, off, n);
      pos += n;
      return n;
    }

    /** Bytes [from, from + n) of the stream, made again. */
    static byte[] slice(long from, int n) throws IOException {
      Blocks s = new Blocks(SIZE);
      s.skipNBytes(from);
      return s.readNBytes(n);
    }

    @Override
    public long skip(long n) {
      long k = Math.min(n, size - pos);
      pos += k;
      return k;
    }
  }

  private static Path buildDir() throws Exception {
    // target/classes or target/atrium.jar: either way the dependency jars are in target/lib.
    Path code = Path.of(Atrium.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return code.getParent();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private String startServer() throws Exception {
    Path build = buildDir();
    Path code = Path.of(Atrium.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(build.resolve("lib")).as("dependency jars (mvn package copies them)").isDirectory();
    int port = freePort();
    Path data = dir.resolve("data");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-cp", code + ":" + build.resolve("lib") + "/*",
        "io.atrium.Atrium", "serve", "--port", Integer.toString(port), "--data-dir", data.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
    // The server refuses ATRIUM_* variables it does not know (the tests' ATRIUM_TEST_*).
    pb.environment().keySet().removeIf(k -> k.startsWith("ATRIUM_"));
    server = pb.start();
    String url = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      assertThat(server.isAlive()).as("server exited: " + log()).isTrue();
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

  private String log() {
    try {
      String s = Files.readString(dir.resolve("server.log"));
      return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static HttpResponse<String> call(String url, String token, String method, String path, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token);
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<String> r = HTTP.send(b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
    return r;
  }

  private static String sha256(InputStream in) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    long total = 0;
    for (int n; (n = in.read(buf)) > 0; ) {
      md.update(buf, 0, n);
      total += n;
    }
    in.close();
    return HexFormat.of().formatHex(md.digest()) + "/" + total;
  }

  @Test
  void twoGibibytesInAndOutOfA512MibHeapByteExact() throws Exception {
    String url = startServer();
    String admin = Files.readString(dir.resolve("data").resolve("admin.token")).trim();
    call(url, admin, "POST", "/api/atrium/v1/tenants", "{\"name\":\"big\"}");
    call(url, admin, "POST", "/api/atrium/v1/users", "{\"name\":\"uploader\",\"tenant\":\"big\",\"role\":\"editor\"}");
    JsonNode minted = Json.MAPPER.readTree(
        call(url, admin, "POST", "/api/atrium/v1/principals/uploader/tokens", "{\"name\":\"t\"}").body());
    String token = minted.path("token").path("token").asText();
    String path = url + "/t/big" + ArtifactRoutes.ARTIFACTS + "/huge/weights.bin";

    HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(path)).header("Authorization", "Bearer " + token)
        .timeout(Duration.ofMinutes(5))
        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new Blocks(SIZE))) // no length: chunked
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body() + log()).isEqualTo(200);

    // The last 5000 bytes: offsets up to 2^31 - 1, where an int offset would be one step from wrapping.
    long from = SIZE - 5000;
    HttpResponse<byte[]> range = HTTP.send(HttpRequest.newBuilder(URI.create(path)).header("Authorization", "Bearer " + token)
        .header("Range", "bytes=" + from + "-" + (from + 4999)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.headers().firstValue("Content-Range")).hasValue("bytes " + from + "-" + (from + 4999) + "/" + SIZE);
    assertThat(range.body()).isEqualTo(Blocks.slice(from, 5000));

    HttpResponse<InputStream> full = HTTP.send(HttpRequest.newBuilder(URI.create(path)).header("Authorization", "Bearer " + token)
        .timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(full.statusCode()).isEqualTo(200);
    assertThat(sha256(full.body())).isEqualTo(sha256(new Blocks(SIZE)));
    assertThat(server.isAlive()).as("the server survived: " + log()).isTrue();
    assertThat(log()).doesNotContain("OutOfMemoryError");
  }
}
