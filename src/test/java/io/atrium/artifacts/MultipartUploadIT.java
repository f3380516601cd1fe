package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.db.Database;
import io.atrium.http.Json;
import io.atrium.tenancy.TenantId;
import io.atrium.testing.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
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
 * Multipart upload as the mlflow client does it (create, PUT each part to its signed URL without a
 * token, complete or abort), on every database with every artifact backend: byte-exact round trips,
 * part URLs that open exactly one part of one upload of one tenant until they expire, roles, the
 * other tenant, and exact accounting under the quota.
 */
class MultipartUploadIT {
  private static final Map<ArtifactServers.Combo, Env> ENVS = new LinkedHashMap<>();
  /** S3's smallest part other than the last. */
  private static final int PART = 5 << 20;

  record Env(ArtifactServers s, String alice, String bob, String vic, String quinn) {}

  /** A created upload: its id and part URLs (path and query, relative to the server). */
  record Upload(String id, List<String> partUrls) {}

  static Stream<Arguments> combos() {
    return ArtifactServers.combos().stream().map(c -> Arguments.of(Named.of(c.toString(), c)));
  }

  private static synchronized Env env(ArtifactServers.Combo c) {
    return ENVS.computeIfAbsent(c, k -> {
      ArtifactServers s = ArtifactServers.start(k);
      s.createTenant("acme");
      s.createTenant("globex");
      s.createTenant("quota");
      return new Env(s, s.createUser("alice", "acme", "editor"), s.createUser("bob", "globex", "editor"),
          s.createUser("vic", "acme", "viewer"), s.createUser("quinn", "quota", "editor"));
    });
  }

  @AfterAll
  static void stop() {
    ENVS.values().forEach(e -> e.s().close());
    ENVS.clear();
  }

  private static String mpu(String tenant, String op, String dir) {
    return "/t/" + tenant + ArtifactRoutes.MPU + "/" + op + "/" + dir;
  }

  private static Upload create(Env e, String token, String tenant, String dir, String file, int parts) {
    TestServer.Response r = TestServer.expectOk(e.s().json(token, "POST", mpu(tenant, "create", dir),
        "{\"path\":\"/home/alice/data/" + file + "\",\"num_parts\":" + parts + "}"));
    List<String> urls = new ArrayList<>();
    for (JsonNode c : r.json().path("credentials")) {
      assertThat(c.path("part_number").asInt()).isEqualTo(urls.size() + 1);
      URI u = URI.create(c.path("url").asText());
      assertThat(u.getPort()).isEqualTo(e.s().atrium.port());
      urls.add(u.getRawPath() + "?" + u.getRawQuery());
    }
    assertThat(urls).hasSize(parts);
    return new Upload(r.json().path("upload_id").asText(), urls);
  }

  /** PUTs a part as the mlflow client does: no Authorization header. */
  private static TestServer.Response putPart(Env e, String url, byte[] bytes) {
    return e.s().send(e.s().request(null, url).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
  }

  private static String etag(TestServer.Response r) {
    TestServer.expectOk(r);
    return r.headers().firstValue("ETag").orElseThrow();
  }

  private static String completeBody(String file, String uploadId, List<String> etags) {
    List<Map<String, Object>> parts = new ArrayList<>();
    for (int i = 0; i < etags.size(); i++) {
      parts.add(Map.of("part_number", i + 1, "etag", etags.get(i)));
    }
    return Json.MAPPER.valueToTree(Map.of("path", file, "upload_id", uploadId, "parts", parts)).toString();
  }

  private static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String sha256(byte[]... chunks) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (byte[] c : chunks) {
      md.update(c);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** The local backend's staged parts of an upload (empty for S3, whose parts live in the bucket). */
  private static List<Path> stagedFiles(Env e, String tenant, String uploadId) throws Exception {
    if (e.s().combo.backend() != ArtifactServers.Backend.LOCAL) {
      return List.of();
    }
    Path dir = e.s().config.artifactRoot().resolve(".atrium-mpu").resolve(tenantId(e, tenant).toString()).resolve(uploadId);
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  private static TenantId tenantId(Env e, String tenant) {
    try (Database db = Database.open(e.s().config)) {
      return new io.atrium.tenancy.TenantStore(db).byName(tenant).orElseThrow().id();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void threePartsRoundTripByteExactAndAccountExactly(ArtifactServers.Combo c) throws Exception {
    Env e = env(c);
    String dir = "mpu-" + System.nanoTime() + "/model";
    byte[][] parts = {bytes(1, PART), bytes(2, PART), bytes(3, 2 << 20)};
    long[] before = e.s().accounted("acme");
    Upload up = create(e, e.alice(), "acme", dir, "weights.bin", 3);
    // Out of order and one part sent twice, as retries do: the last one stored counts.
    String e3 = etag(putPart(e, up.partUrls().get(2), parts[2]));
    etag(putPart(e, up.partUrls().get(0), bytes(99, 1000)));
    String e1 = etag(putPart(e, up.partUrls().get(0), parts[0]));
    String e2 = etag(putPart(e, up.partUrls().get(1), parts[1]));
    long total = 2L * PART + (2 << 20);
    // Staged parts count against the tenant at once, and are not artifacts yet.
    assertThat(e.s().accounted("acme")).containsExactly(before[0] + total, before[1]);
    assertThat(e.s().get(e.alice(), "/t/acme" + ArtifactRoutes.ARTIFACTS + "?path=" + dir).json().path("files").size()).isZero();

    TestServer.expectOk(e.s().json(e.alice(), "POST", mpu("acme", "complete", dir),
        completeBody("weights.bin", up.id(), List.of(e1, e2, e3))));

    assertThat(e.s().accounted("acme")).containsExactly(before[0] + total, before[1] + 1);
    HttpResponse<byte[]> got = e.s().getBytes(e.alice(), "/t/acme" + ArtifactRoutes.ARTIFACTS + "/" + dir + "/weights.bin", null);
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body().length).isEqualTo(total);
    assertThat(sha256(got.body())).isEqualTo(sha256(parts));
    JsonNode files = e.s().get(e.alice(), "/t/acme" + ArtifactRoutes.ARTIFACTS + "?path=" + dir).json().path("files");
    assertThat(files.size()).isEqualTo(1);
    assertThat(files.get(0).path("path").asText()).isEqualTo("weights.bin");
    assertThat(files.get(0).path("file_size").asLong()).isEqualTo(total);
    assertThat(stagedFiles(e, "acme", up.id())).isEmpty();
    // The upload is over: its part URLs and its id are dead.
    assertThat(putPart(e, up.partUrls().get(0), parts[0]).status()).isEqualTo(404);
    assertThat(e.s().json(e.alice(), "POST", mpu("acme", "abort", dir), "{\"path\":\"weights.bin\",\"upload_id\":\"" + up.id() + "\"}")
        .status()).isEqualTo(404);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void aPartUrlOpensOnlyItsOwnPartOfItsOwnUploadUntilItExpires(ArtifactServers.Combo c) throws Exception {
    Env e = env(c);
    String dir = "sig-" + System.nanoTime();
    Upload up = create(e, e.alice(), "acme", dir, "f.bin", 2);
    Upload other = create(e, e.alice(), "acme", dir, "g.bin", 2);
    long[] before = e.s().accounted("acme");
    String p1 = up.partUrls().get(0);
    String sig = p1.substring(p1.indexOf("sig=") + 4);
    String expires = p1.substring(p1.indexOf("expires=") + 8, p1.indexOf('&'));
    String base = ArtifactRoutes.MPU + "/part/";
    long acme = tenantId(e, "acme").value();
    long globex = tenantId(e, "globex").value();
    char flipped = sig.charAt(3) == 'A' ? 'B' : 'A';
    byte[] key;
    try (Database db = Database.open(e.s().config)) {
      key = new UploadStore(db).signingKey(0);
    }
    long past = System.currentTimeMillis() / 1000 - 1;
    String expiredSig = new PartSigner(key).sign(new TenantId(acme), up.id(), 1, past);
    List<String> refused = List.of(
        p1.replace("sig=" + sig, "sig=" + sig.substring(0, 3) + flipped + sig.substring(4)), // tampered
        p1.replace("&sig=" + sig, ""), // no signature
        base + acme + "/" + up.id() + "/2?expires=" + expires + "&sig=" + sig, // another part
        base + acme + "/" + other.id() + "/1?expires=" + expires + "&sig=" + sig, // another upload
        base + globex + "/" + up.id() + "/1?expires=" + expires + "&sig=" + sig, // another tenant
        base + acme + "/" + up.id() + "/1?expires=" + (Long.parseLong(expires) + 3600) + "&sig=" + sig, // longer life
        base + acme + "/" + up.id() + "/1?expires=" + past + "&sig=" + expiredSig, // expired, really signed
        base + acme + "/" + up.id() + "/3?expires=" + expires + "&sig=" + sig, // past num_parts
        base + acme + "/nosuchupload/1?expires=" + expires + "&sig=" + sig, // unknown upload
        base + "x/" + up.id() + "/1?expires=" + expires + "&sig=" + sig); // malformed tenant
    String first = null;
    for (String url : refused) {
      TestServer.Response r = putPart(e, url, bytes(7, 4096));
      assertThat(r.status()).as(url).isEqualTo(404);
      assertThat(r.json().path("error_code").asText()).isEqualTo("RESOURCE_DOES_NOT_EXIST");
      first = first == null ? r.body() : first;
      assertThat(r.body()).as("every refusal looks the same").isEqualTo(first);
    }
    // A valid token does not stand in for the signature.
    TestServer.Response withToken = e.s().send(e.s().request(e.alice(), p1.replace("sig=" + sig, "sig=x"))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(7, 10))).build());
    assertThat(withToken.status()).isEqualTo(404);
    // Nothing was written anywhere.
    assertThat(e.s().accounted("acme")).isEqualTo(before);
    assertThat(e.s().accounted("globex")).containsExactly(0, 0);
    assertThat(stagedFiles(e, "acme", up.id())).isEmpty();
    assertThat(stagedFiles(e, "acme", other.id())).isEmpty();
    assertThat(e.s().json(e.alice(), "POST", mpu("acme", "complete", dir), completeBody("f.bin", up.id(), List.of("\"x\"")))
        .status()).isEqualTo(400);
    // The genuine URL works.
    etag(putPart(e, p1, bytes(8, 100)));
    assertThat(e.s().accounted("acme")).containsExactly(before[0] + 100, before[1]);
    for (Upload u : List.of(up, other)) {
      TestServer.expectOk(e.s().json(e.alice(), "POST", mpu("acme", "abort", dir),
          "{\"path\":\"" + (u == up ? "f.bin" : "g.bin") + "\",\"upload_id\":\"" + u.id() + "\"}"));
    }
    assertThat(e.s().accounted("acme")).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void aViewerMayNotStartCompleteOrAbortAnUpload(ArtifactServers.Combo c) {
    Env e = env(c);
    String dir = "viewer-" + System.nanoTime();
    TestServer.Response r = e.s().json(e.vic(), "POST", mpu("acme", "create", dir), "{\"path\":\"v.bin\",\"num_parts\":1}");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().path("error_code").asText()).isEqualTo("PERMISSION_DENIED");
    Upload up = create(e, e.alice(), "acme", dir, "v.bin", 1);
    etag(putPart(e, up.partUrls().get(0), bytes(5, 10)));
    String abort = "{\"path\":\"v.bin\",\"upload_id\":\"" + up.id() + "\"}";
    assertThat(e.s().json(e.vic(), "POST", mpu("acme", "abort", dir), abort).status()).isEqualTo(403);
    assertThat(e.s().json(e.vic(), "POST", mpu("acme", "complete", dir), completeBody("v.bin", up.id(), List.of("")))
        .status()).isEqualTo(403);
    TestServer.expectOk(e.s().json(e.alice(), "POST", mpu("acme", "abort", dir), abort));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void anotherTenantCannotCompleteOrAbortAnUploadItLooksMissing(ArtifactServers.Combo c) throws Exception {
    Env e = env(c);
    String dir = "iso-" + System.nanoTime();
    Upload up = create(e, e.alice(), "acme", dir, "mine.bin", 1);
    byte[] data = bytes(11, 3000);
    String etag = etag(putPart(e, up.partUrls().get(0), data));
    long[] globexBefore = e.s().accounted("globex");
    String complete = completeBody("mine.bin", up.id(), List.of(etag));
    String abort = "{\"path\":\"mine.bin\",\"upload_id\":\"" + up.id() + "\"}";
    for (String op : List.of("complete", "abort")) {
      TestServer.Response r = e.s().json(e.bob(), "POST", mpu("globex", op, dir), op.equals("abort") ? abort : complete);
      assertThat(r.status()).as(op).isEqualTo(404);
      assertThat(r.json().path("error_code").asText()).isEqualTo("RESOURCE_DOES_NOT_EXIST");
      // Same answer as for an id that never existed.
      TestServer.Response none = e.s().json(e.bob(), "POST", mpu("globex", op, dir),
          (op.equals("abort") ? abort : complete).replace(up.id(), "neverexisted"));
      assertThat(r.body().replace(up.id(), "neverexisted")).isEqualTo(none.body());
      // Addressing acme with bob's token is refused at the edge, as for any acme route.
      assertThat(e.s().json(e.bob(), "POST", mpu("acme", op, dir), op.equals("abort") ? abort : complete).status())
          .isEqualTo(404);
    }
    assertThat(e.s().accounted("globex")).isEqualTo(globexBefore);
    // The upload is untouched: its owner completes it.
    TestServer.expectOk(e.s().json(e.alice(), "POST", mpu("acme", "complete", dir), complete));
    assertThat(sha256(e.s().getBytes(e.alice(), "/t/acme" + ArtifactRoutes.ARTIFACTS + "/" + dir + "/mine.bin", null).body()))
        .isEqualTo(sha256(data));
    assertThat(e.s().get(e.bob(), "/t/globex" + ArtifactRoutes.ARTIFACTS + "/" + dir + "/mine.bin").status()).isEqualTo(404);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void abortFreesExactlyWhatThePartsTook(ArtifactServers.Combo c) throws Exception {
    Env e = env(c);
    String dir = "abort-" + System.nanoTime();
    long[] before = e.s().accounted("acme");
    Upload up = create(e, e.alice(), "acme", dir, "gone.bin", 3);
    etag(putPart(e, up.partUrls().get(0), bytes(1, 1234)));
    etag(putPart(e, up.partUrls().get(1), bytes(2, 4321)));
    assertThat(e.s().accounted("acme")).containsExactly(before[0] + 1234 + 4321, before[1]);
    assertThat(stagedFiles(e, "acme", up.id())).hasSizeLessThanOrEqualTo(2);
    TestServer.expectOk(e.s().json(e.alice(), "POST", mpu("acme", "abort", dir),
        "{\"path\":\"gone.bin\",\"upload_id\":\"" + up.id() + "\"}"));
    assertThat(e.s().accounted("acme")).isEqualTo(before);
    assertThat(stagedFiles(e, "acme", up.id())).isEmpty();
    assertThat(putPart(e, up.partUrls().get(2), bytes(3, 10)).status()).isEqualTo(404);
    assertThat(e.s().accounted("acme")).isEqualTo(before);
    assertThat(e.s().get(e.alice(), "/t/acme" + ArtifactRoutes.ARTIFACTS + "/" + dir + "/gone.bin").status()).isEqualTo(404);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("combos")
  void aPartOverTheQuotaIsRefusedAndLeavesNothing(ArtifactServers.Combo c) throws Exception {
    Env e = env(c);
    String dir = "quota-" + System.nanoTime();
    long[] before = e.s().accounted("quota");
    e.s().setStorageQuota("quota", before[0] + (3 << 20));
    try {
      Upload up = create(e, e.quinn(), "quota", dir, "big.bin", 2);
      etag(putPart(e, up.partUrls().get(0), bytes(1, 2 << 20)));
      // Declared length over what is left: refused before a byte is stored.
      TestServer.Response r = putPart(e, up.partUrls().get(1), bytes(2, 2 << 20));
      assertThat(r.status()).isEqualTo(429);
      assertThat(r.json().path("error_code").asText()).isEqualTo("RESOURCE_EXHAUSTED");
      assertThat(e.s().accounted("quota")).containsExactly(before[0] + (2 << 20), before[1]);
      if (c.backend() == ArtifactServers.Backend.LOCAL) {
        // Unknown length (chunked): refused as soon as the count passes what is left.
        HttpRequest chunked = e.s().request(null, up.partUrls().get(1)).PUT(HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofByteArray(bytes(3, 2 << 20)))).build();
        assertThat(e.s().send(chunked).status()).isEqualTo(429);
        assertThat(stagedFiles(e, "quota", up.id())).hasSize(1);
      }
      assertThat(e.s().accounted("quota")).containsExactly(before[0] + (2 << 20), before[1]);
      TestServer.expectOk(e.s().json(e.quinn(), "POST", mpu("quota", "abort", dir),
          "{\"path\":\"big.bin\",\"upload_id\":\"" + up.id() + "\"}"));
      assertThat(e.s().accounted("quota")).isEqualTo(before);
      assertThat(stagedFiles(e, "quota", up.id())).isEmpty();
      assertThat(e.s().get(e.quinn(), "/t/quota" + ArtifactRoutes.ARTIFACTS + "?path=" + dir).json().path("files").size()).isZero();
    } finally {
      e.s().setStorageQuota("quota", 1L << 40);
    }
  }
}
