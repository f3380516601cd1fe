package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.testing.ProcessServer;
import io.atrium.testing.TestDatabases;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
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
  private ProcessServer server;

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.close();
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

  private String log() {
    return server == null ? "(not started)" : server.log();
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
    // The artifact lands on this disk once (staged, then moved); say so plainly rather than as the
    // server's 500 for "No space left on device" halfway through.
    long free = Files.getFileStore(dir).getUsableSpace();
    assertThat(free).as("free bytes in %s: this test writes a 2 GiB artifact there", dir).isGreaterThan(SIZE + (512L << 20));
    server = new ProcessServer(TestDatabases.config(TestDatabases.Kind.H2, dir.resolve("data")), dir.resolve("server.log"),
        List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"));
    String url = server.start();
    String admin = server.adminToken();
    ProcessServer.ok(url, admin, "POST", "/api/atrium/v1/tenants", "{\"name\":\"big\"}");
    ProcessServer.ok(url, admin, "POST", "/api/atrium/v1/users", "{\"name\":\"uploader\",\"tenant\":\"big\",\"role\":\"editor\"}");
    JsonNode minted = ProcessServer.ok(url, admin, "POST", "/api/atrium/v1/principals/uploader/tokens", "{\"name\":\"t\"}");
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
