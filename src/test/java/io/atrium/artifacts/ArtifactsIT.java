package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The artifact proxy over real HTTP, on every database with every artifact backend: byte-exact
 * round trips (a 200 MB streamed file, a unicode tree), ranges, listings, isolation between
 * tenants, quota refusal leaving nothing behind, exact accounting, and gc of deleted runs.
 */
class ArtifactsIT {
  private static final Map<ArtifactServers.Combo, Env> ENVS = new LinkedHashMap<>();

  /** One server per combo, with two tenants. */
  record Env(ArtifactServers s, String alice, String bob, String vic) {}

  static Stream<Arguments> combos() {
    return ArtifactServers.combos().stream().map(c -> Arguments.of(Named.of(c.toString(), c)));
  }

  private static synchronized Env env(ArtifactServers.Combo c) {
    return ENVS.computeIfAbsent(c, k -> {
      ArtifactServers s = ArtifactServers.start(k);
      s.createTenant("acme");
      s.createTenant("globex");
      return new Env(s, s.createUser("alice", "acme", "editor"), s.createUser("bob", "globex", "editor"),
          s.createUser("vic", "acme", "viewer"));
    });
  }

  @AfterAll
  static void stop() {
    ENVS.values().forEach(e -> e.s().close());
    ENVS.clear();
  }

  private static String art(String tenant, String path) {
    return "/t/" + tenant + ArtifactRoutes.ARTIFACTS + "/" + path;
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Deterministic pseudo-random bytes, generated as they are read: nothing is held in memory. */
  static final class GeneratedStream extends InputStream {
    private final Random random;
    private long left;

    GeneratedStream(long seed, long size) {
      this.random = new Random(seed);
      this.left = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      byte[] tmp = new byte[n];
      random.nextBytes(tmp);
      System.arraycopy(tmp, 0, b, off, n);
      left -= n;
      return n;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void twoHundredMegabytesRoundTripByteExact(ArtifactServers.Combo c) throws Exception {
    Env e = env(c);
    long size = 200L << 20;
    MessageDigest up = MessageDigest.getInstance("SHA-256");
    HttpRequest put = e.s().request(e.alice(), art("acme", "big/model.bin"))
        .PUT(HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofInputStream(() -> new DigestInputStream(new GeneratedStream(42, size), up)), size))
        .build();
    TestServer.expectOk(e.s().send(put));
    HttpResponse<InputStream> r = e.s().getStream(e.alice(), art("acme", "big/model.bin"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(size);
    MessageDigest down = MessageDigest.getInstance("SHA-256");
    long n;
    try (InputStream in = new DigestInputStream(r.body(), down)) {
      n = in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    assertThat(n).isEqualTo(size);
    assertThat(HexFormat.of().formatHex(down.digest())).isEqualTo(HexFormat.of().formatHex(up.digest()));
    TestServer.expectOk(e.s().delete(e.alice(), art("acme", "big")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void unicodeTreeRoundTripAndListing(ArtifactServers.Combo c) {
    Env e = env(c);
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("tree/données/模型.txt", "モデル 1".getBytes(StandardCharsets.UTF_8));
    files.put("tree/données/sub dir/ünï cödé.json", "{\"a\": 1}".getBytes(StandardCharsets.UTF_8));
    files.put("tree/a/b/c/d/deep.bin", new byte[] {0, 1, 2, (byte) 255});
    files.put("tree/percent%sign_+plus.txt", "p".getBytes(StandardCharsets.UTF_8));
    files.put("tree/empty.txt", new byte[0]);
    for (var f : files.entrySet()) {
      TestServer.expectOk(e.s().put(e.alice(), art("acme", encode(f.getKey())), f.getValue()));
    }
    for (var f : files.entrySet()) {
      HttpResponse<byte[]> r = e.s().getBytes(e.alice(), art("acme", encode(f.getKey())), null);
      assertThat(r.statusCode()).as(f.getKey()).isEqualTo(200);
      assertThat(sha256(r.body())).as(f.getKey()).isEqualTo(sha256(f.getValue()));
    }
    JsonNode list = TestServer.expectOk(e.s().get(e.alice(), "/t/acme" + ArtifactRoutes.ARTIFACTS + "?path=tree")).json();
    List<String> names = new ArrayList<>();
    list.path("files").forEach(f -> names.add(f.path("path").asText() + (f.path("is_dir").asBoolean() ? "/" : ":" + f.path("file_size").asLong())));
    assertThat(names).containsExactlyInAnyOrder("données/", "a/", "percent%sign_+plus.txt:1", "empty.txt:0");
    JsonNode sub = TestServer.expectOk(e.s().get(e.alice(), "/t/acme" + ArtifactRoutes.ARTIFACTS + "?path="
        + java.net.URLEncoder.encode("tree/données", StandardCharsets.UTF_8))).json();
    assertThat(sub.path("files")).hasSize(2);
    // a file listed as a directory is empty; a missing directory too
    assertThat(TestServer.expectOk(e.s().get(e.alice(), "/t/acme" + ArtifactRoutes.ARTIFACTS + "?path=tree/empty.txt")).json().path("files")).isEmpty();
    TestServer.expectOk(e.s().delete(e.alice(), art("acme", "tree")));
    assertThat(e.s().get(e.alice(), art("acme", "tree/empty.txt")).status()).isEqualTo(404);
  }

  static String encode(String path) {
    StringBuilder sb = new StringBuilder();
    for (String seg : path.split("/")) {
      sb.append(sb.isEmpty() ? "" : "/").append(java.net.URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return sb.toString();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void rangeRequests(ArtifactServers.Combo c) {
    Env e = env(c);
    byte[] data = new byte[1000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    TestServer.expectOk(e.s().put(e.alice(), art("acme", "range/data.bin"), data));
    HttpResponse<byte[]> r = e.s().getBytes(e.alice(), art("acme", "range/data.bin"), "bytes=10-19");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 10-19/1000");
    assertThat(r.body()).isEqualTo(java.util.Arrays.copyOfRange(data, 10, 20));
    r = e.s().getBytes(e.alice(), art("acme", "range/data.bin"), "bytes=990-");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(java.util.Arrays.copyOfRange(data, 990, 1000));
    r = e.s().getBytes(e.alice(), art("acme", "range/data.bin"), "bytes=-5");
    assertThat(r.body()).isEqualTo(java.util.Arrays.copyOfRange(data, 995, 1000));
    r = e.s().getBytes(e.alice(), art("acme", "range/data.bin"), "bytes=5000-");
    assertThat(r.statusCode()).isEqualTo(416);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes */1000");
    r = e.s().getBytes(e.alice(), art("acme", "range/data.bin"), "bytes=0-1,5-6");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(data);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void anotherTenantsArtifactsAreMissingPaths(ArtifactServers.Combo c) {
    Env e = env(c);
    TestServer.expectOk(e.s().put(e.alice(), art("acme", "iso/secret.txt"), "acme only".getBytes(StandardCharsets.UTF_8)));
    TestServer.Response missingOwn = e.s().get(e.bob(), art("globex", "iso/never-existed.txt"));
    TestServer.Response other = e.s().get(e.bob(), art("globex", "iso/secret.txt"));
    assertThat(other.status()).isEqualTo(404);
    assertThat(other.json().path("error_code").asText()).isEqualTo(missingOwn.json().path("error_code").asText());
    assertThat(other.body()).isEqualTo(missingOwn.body().replace("never-existed", "secret"));
    assertThat(e.s().delete(e.bob(), art("globex", "iso/secret.txt")).status()).isEqualTo(404);
    assertThat(e.s().delete(e.bob(), art("globex", "iso")).status()).isEqualTo(404);
    assertThat(e.s().get(e.bob(), "/t/globex" + ArtifactRoutes.ARTIFACTS + "?path=iso").json().path("files")).isEmpty();
    // bob naming acme in the path is refused at the edge, as for every other route
    assertThat(e.s().get(e.bob(), art("acme", "iso/secret.txt")).status()).isEqualTo(404);
    // a viewer of acme reads but cannot write or delete
    assertThat(e.s().get(e.vic(), art("acme", "iso/secret.txt")).status()).isEqualTo(200);
    assertThat(e.s().put(e.vic(), art("acme", "iso/x.txt"), new byte[] {1}).status()).isEqualTo(403);
    assertThat(e.s().delete(e.vic(), art("acme", "iso/secret.txt")).status()).isEqualTo(403);
    // acme's file survived all of it
    assertThat(e.s().getBytes(e.alice(), art("acme", "iso/secret.txt"), null).body())
        .isEqualTo("acme only".getBytes(StandardCharsets.UTF_8));
    TestServer.expectOk(e.s().delete(e.alice(), art("acme", "iso")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void accountingExactAndQuotaRefusesLeavingNothing(ArtifactServers.Combo c) {
    Env e = env(c);
    e.s().createTenant("quota-" + c.db().name().toLowerCase() + "-" + c.backend().name().toLowerCase());
    String t = "quota-" + c.db().name().toLowerCase() + "-" + c.backend().name().toLowerCase();
    String tok = e.s().createUser("q-" + t, t, "editor");
    TestServer.expectOk(e.s().put(tok, art(t, "a.bin"), new byte[1000]));
    TestServer.expectOk(e.s().put(tok, art(t, "d/b.bin"), new byte[500]));
    assertThat(e.s().accounted(t)).containsExactly(1500, 2);
    TestServer.expectOk(e.s().put(tok, art(t, "a.bin"), new byte[200])); // overwrite shrinks
    assertThat(e.s().accounted(t)).containsExactly(700, 2);
    TestServer.expectOk(e.s().delete(tok, art(t, "d")));
    assertThat(e.s().accounted(t)).containsExactly(200, 1);

    e.s().setStorageQuota(t, 1000);
    // known length over the quota: refused before anything is read
    TestServer.Response r = e.s().put(tok, art(t, "big.bin"), new byte[900]);
    assertThat(r.status()).isEqualTo(429);
    assertThat(r.json().path("error_code").asText()).isEqualTo("RESOURCE_EXHAUSTED");
    assertThat(e.s().get(tok, art(t, "big.bin")).status()).isEqualTo(404);
    // unknown length (chunked) over the quota: refused while streaming, staged bytes dropped
    HttpRequest chunked = e.s().request(tok, art(t, "chunked.bin"))
        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedStream(1, 5000))).build();
    r = e.s().send(chunked);
    assertThat(r.status()).isEqualTo(429);
    assertThat(e.s().get(tok, art(t, "chunked.bin")).status()).isEqualTo(404);
    assertThat(e.s().accounted(t)).containsExactly(200, 1);
    // replacing a file counts only the difference
    TestServer.expectOk(e.s().put(tok, art(t, "a.bin"), new byte[1000]));
    assertThat(e.s().accounted(t)).containsExactly(1000, 1);
    assertThat(e.s().put(tok, art(t, "one-more.bin"), new byte[1]).status()).isEqualTo(429);
    assertThat(e.s().get(tok, "/t/" + t + ArtifactRoutes.ARTIFACTS).json().path("files")).hasSize(1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void runArtifactListAndGcOfDeletedRuns(ArtifactServers.Combo c) throws Exception {
    Env e = env(c);
    String t = "gc-" + c.db().name().toLowerCase() + "-" + c.backend().name().toLowerCase();
    e.s().createTenant(t);
    String tok = e.s().createUser("g-" + t, t, "editor");
    String[] keep = e.s().createRun(tok, t);
    String[] gone = e.s().createRun(tok, t);
    TestServer.expectOk(e.s().put(tok, art(t, keep[1] + "/model/model.pkl"), new byte[300]));
    TestServer.expectOk(e.s().put(tok, art(t, keep[1] + "/metrics.json"), new byte[20]));
    TestServer.expectOk(e.s().put(tok, art(t, gone[1] + "/model/model.pkl"), new byte[700]));

    JsonNode root = TestServer.expectOk(e.s().get(tok, "/t/" + t + "/api/2.0/mlflow/artifacts/list?run_id=" + keep[0])).json();
    assertThat(root.path("root_uri").asText()).isEqualTo("mlflow-artifacts:/" + keep[1]);
    assertThat(root.path("files").toString()).contains("\"path\":\"model\",\"is_dir\":true").contains("\"path\":\"metrics.json\"");
    JsonNode model = TestServer.expectOk(e.s().get(tok, "/t/" + t + "/api/2.0/mlflow/artifacts/list?run_id=" + keep[0] + "&path=model")).json();
    assertThat(model.path("files").get(0).path("path").asText()).isEqualTo("model/model.pkl");
    assertThat(model.path("files").get(0).path("file_size").asLong()).isEqualTo(300);
    // another tenant's run id: the same 404 as a run that never existed
    assertThat(e.s().get(e.bob(), "/t/globex/api/2.0/mlflow/artifacts/list?run_id=" + keep[0]).status()).isEqualTo(404);
    assertThat(e.s().get(tok, "/t/" + t + "/api/2.0/mlflow/artifacts/list?run_id=" + keep[0] + "&path=../x").status()).isEqualTo(400);

    TestServer.expectOk(e.s().json(tok, "POST", "/t/" + t + "/api/2.0/mlflow/runs/delete", "{\"run_id\":\"" + gone[0] + "\"}"));
    assertThat(e.s().accounted(t)).containsExactly(1020, 3);
    // not a platform admin
    assertThat(e.s().json(tok, "POST", "/api/atrium/v1/gc", "{\"retention_days\":0}").status()).isEqualTo(403);
    // retention not yet passed: nothing removed
    JsonNode none = TestServer.expectOk(e.s().json(e.s().adminToken, "POST", "/api/atrium/v1/gc", "{\"retention_days\":1}")).json();
    assertThat(e.s().accounted(t)).containsExactly(1020, 3);
    assertThat(none.path("retention_days").asInt()).isEqualTo(1);
    Thread.sleep(5);
    TestServer.expectOk(e.s().json(e.s().adminToken, "POST", "/api/atrium/v1/gc", "{\"retention_days\":0}"));
    assertThat(e.s().accounted(t)).containsExactly(320, 2);
    assertThat(e.s().get(tok, art(t, gone[1] + "/model/model.pkl")).status()).isEqualTo(404);
    assertThat(e.s().getBytes(tok, art(t, keep[1] + "/model/model.pkl"), null).body()).hasSize(300);
  }
}
