package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every hostile artifact path against every route that takes one, over real HTTP: each answer is
 * 400 INVALID_PARAMETER_VALUE, and nothing was read, written or deleted (a sentinel file next to
 * the tenant root and the tenant's own files are untouched, nothing new appears).
 *
 * <p>The inputs are raw URL text, sent as is. They include the shapes of MLflow's path CVEs:
 * CVE-2023-1177 / -2356 (traversal in a path parameter), CVE-2023-2780 (backslash traversal),
 * CVE-2023-6831 (traversal in a delete path), CVE-2024-1483 / -1560 (encoded traversal in the
 * artifact path), CVE-2024-2928 / -3848 (a '#' or '?' fragment hiding the traversal), and
 * double encoding. URI-shaped inputs (CVE-2023-1176, file:// and friends) are in registry.SourceUrisTest.
 */
class ArtifactPathSafetyIT {
  static final List<String> BAD_PATHS =
      List.of(
          "..%2f..%2f..%2fetc%2fpasswd",
          "%2e%2e/%2e%2e/etc/passwd",
          "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
          "%2E%2E/secret",
          "a/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
          "%252e%252e/%252e%252e/etc/passwd",
          "..%252f..%252fetc%252fpasswd",
          "%25252e%25252e/x",
          "%2fetc%2fpasswd",
          "%2f%2fetc/passwd",
          "..%5c..%5cwindows%5cwin.ini",
          "a%5cb.txt",
          "%5c%5cserver%5cshare",
          "a%00b.txt",
          "a.txt%00.png",
          "a%0ab",
          "a%3fb",
          "a%3f..%2f..%2fetc",
          "a%23b",
          "%23%2f..%2f..%2fetc%2fpasswd",
          "C:%5cwindows%5cwin.ini",
          "C:%2fwindows",
          "a%2f%2e%2fb",
          "%c0%ae%c0%ae/etc/passwd",
          "%ff%fe",
          "a%zzb",
          "a%2",
          "../../../etc/passwd",
          "a/../../../etc/passwd",
          "..",
          "%2e%2e",
          ".%2e/x",
          "a/..%2f..%2f..%2fetc");

  /** Route shapes: %s is replaced by the raw path. */
  record Shape(String method, String pathTemplate, String body) {}

  static final List<Shape> SHAPES =
      List.of(
          new Shape("GET", "/t/acme/api/2.0/mlflow-artifacts/artifacts/%s", null),
          new Shape("PUT", "/t/acme/api/2.0/mlflow-artifacts/artifacts/%s", "payload"),
          new Shape("DELETE", "/t/acme/api/2.0/mlflow-artifacts/artifacts/%s", null),
          new Shape("GET", "/t/acme/ajax-api/2.0/mlflow-artifacts/artifacts/%s", null),
          new Shape("PUT", "/api/2.0/mlflow-artifacts/artifacts/%s", "payload"),
          new Shape("GET", "/t/acme/api/2.0/mlflow-artifacts/artifacts?path=%s", null),
          new Shape("POST", "/t/acme/api/2.0/mlflow-artifacts/mpu/create/%s", "{\"path\":\"f.bin\",\"num_parts\":1}"),
          new Shape("POST", "/t/acme/api/2.0/mlflow-artifacts/mpu/complete/%s", "{\"path\":\"f.bin\",\"upload_id\":\"u\",\"parts\":[]}"),
          new Shape("POST", "/t/acme/api/2.0/mlflow-artifacts/mpu/abort/%s", "{\"path\":\"f.bin\",\"upload_id\":\"u\"}"),
          new Shape("POST", "/t/acme/api/2.0/mlflow-artifacts/mpu/create/ok/dir", "{\"path\":\"%s\",\"num_parts\":1}"),
          new Shape("GET", "/t/acme/api/2.0/mlflow/artifacts/list?run_id=RUN&path=%s", null));

  private static ArtifactServers server;
  private static String alice;
  private static String runId;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Shape s : SHAPES) {
      for (String p : BAD_PATHS) {
        String baseName = p.substring(p.lastIndexOf('/') + 1);
        if (s.pathTemplate().contains("/mpu/create/ok/dir") && (p.contains("%00") || p.contains("%0a") || p.contains("%zz") || p.endsWith("%2") || p.contains("%ff") || p.contains("%c0") || !baseName.contains("%"))) {
          // JSON body strings are decoded by the JSON reader, not as URL text; and the body's path is
          // the client's local file, of which only the base name is used (as MLflow's server does).
          continue;
        }
        out.add(Arguments.of(Named.of(s.method() + " " + s.pathTemplate().replace("%s", "<" + p + ">"), s), p));
      }
    }
    return out.stream();
  }

  private static synchronized void start() {
    if (server == null) {
      server = ArtifactServers.start(new ArtifactServers.Combo(io.atrium.testing.TestDatabases.Kind.H2, ArtifactServers.Backend.LOCAL));
      server.createTenant("acme");
      alice = server.createUser("alice", "acme", "editor");
      runId = server.createRun(alice, "acme")[0];
      TestServer.expectOk(server.put(alice, "/t/acme/api/2.0/mlflow-artifacts/artifacts/keep/me.txt", "kept".getBytes(StandardCharsets.UTF_8)));
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void refusedAndNothingTouched(Shape shape, String raw) throws Exception {
    start();
    Path root = server.config.artifactRoot();
    Path sentinel = root.getParent().resolve("secret.txt");
    Files.writeString(sentinel, "platform secret");
    String path = shape.pathTemplate().replace("RUN", runId).replace("%s", raw);
    String body = shape.body() == null ? null : shape.body().replace("%s", raw);
    TestServer.Response r = rawHttp(shape.method(), path, body);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    // INVALID_PARAMETER_VALUE from the artifact routes; BAD_REQUEST when Jetty itself refuses the
    // request line (a NUL or invalid UTF-8 in the URI) before any handler runs.
    // Jetty answers some of those with no body at all (the request is refused while it is parsed).
    if (!r.body().isEmpty()) {
      assertThat(r.json().path("error_code").asText()).isIn("INVALID_PARAMETER_VALUE", "BAD_REQUEST");
    }
    assertThat(r.body()).doesNotContain("platform secret");
    assertThat(Files.readString(sentinel)).isEqualTo("platform secret");
    assertThat(server.getBytes(alice, "/t/acme/api/2.0/mlflow-artifacts/artifacts/keep/me.txt", null).body())
        .isEqualTo("kept".getBytes(StandardCharsets.UTF_8));
    List<String> top = new ArrayList<>();
    server.get(alice, "/t/acme/api/2.0/mlflow-artifacts/artifacts").json().path("files").forEach(f -> top.add(f.path("path").asText()));
    assertThat(top).containsExactly("keep");
    assertThat(server.accounted("acme")).containsExactly(4, 1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("symlinkRoutes")
  void symlinksAreNeverFollowed(String method, String pathTemplate) throws Exception {
    start();
    Path root = server.config.artifactRoot();
    Path outside = root.getParent().resolve("outside");
    Files.createDirectories(outside);
    Files.writeString(outside.resolve("passwd"), "root:x:0:0");
    // Planted by someone with shell access: a link inside acme's tree pointing out of it.
    Path tenantDir;
    try (var ds = Files.list(root)) {
      tenantDir = ds.filter(p -> !p.getFileName().toString().startsWith(".")).findFirst().orElseThrow();
    }
    Path link = tenantDir.resolve("evil");
    if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(link, outside);
    }
    String path = pathTemplate.replace("%s", "evil/passwd");
    HttpRequest.Builder b = server.request(alice, path);
    b.method(method, method.equals("PUT") ? HttpRequest.BodyPublishers.ofString("overwritten") : HttpRequest.BodyPublishers.noBody());
    TestServer.Response r = server.send(b.build());
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).doesNotContain("root:x");
    assertThat(Files.readString(outside.resolve("passwd"))).isEqualTo("root:x:0:0");
  }

  /**
   * Sends the request over a plain socket, byte for byte as given: HTTP client libraries would
   * normalize "..", re-encode or refuse malformed escapes, and so never test what an attacker sends.
   */
  static TestServer.Response rawHttp(String method, String target, String body) throws IOException {
    byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1:").append(server.atrium.port()).append("\r\n");
    head.append("Authorization: Bearer ").append(alice).append("\r\n");
    if (body != null) {
      head.append("Content-Type: ").append(body.startsWith("{") ? "application/json" : "application/octet-stream").append("\r\n");
    }
    head.append("Content-Length: ").append(payload.length).append("\r\n");
    head.append("Connection: close\r\n\r\n");
    try (Socket sock = new Socket("127.0.0.1", server.atrium.port())) {
      sock.setSoTimeout(30_000);
      OutputStream out = sock.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(payload);
      out.flush();
      byte[] all = sock.getInputStream().readAllBytes();
      String text = new String(all, StandardCharsets.UTF_8);
      int status = Integer.parseInt(text.substring(9, 12));
      int split = text.indexOf("\r\n\r\n");
      String respBody = split < 0 ? "" : text.substring(split + 4);
      if (text.substring(0, Math.max(split, 0)).toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
        respBody = dechunk(respBody);
      }
      return new TestServer.Response(status, respBody, null);
    }
  }

  private static String dechunk(String s) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      int eol = s.indexOf("\r\n", i);
      if (eol < 0) {
        break;
      }
      int n = Integer.parseInt(s.substring(i, eol).trim(), 16);
      if (n == 0) {
        break;
      }
      out.append(s, eol + 2, eol + 2 + n);
      i = eol + 2 + n + 2;
    }
    return out.toString();
  }

  static Stream<Arguments> symlinkRoutes() {
    return Stream.of(
        Arguments.of("GET", "/t/acme/api/2.0/mlflow-artifacts/artifacts/%s"),
        Arguments.of("PUT", "/t/acme/api/2.0/mlflow-artifacts/artifacts/%s"),
        Arguments.of("DELETE", "/t/acme/api/2.0/mlflow-artifacts/artifacts/%s"),
        Arguments.of("GET", "/t/acme/api/2.0/mlflow-artifacts/artifacts?path=%s"));
  }
}
