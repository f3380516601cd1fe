package io.atrium.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.config.ConfigKeys;
import io.atrium.http.Json;
import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Secrets hygiene. A server in its own JVM, with slf4j-simple writing to a file
 * ({@code -Dorg.slf4j.simpleLogger.logFile}), is sent every operation of the API with every token it
 * issued, both as the credential and pasted where a name, id or path belongs; afterwards neither the
 * log file nor the process output contains any of them (the platform admin's token is printed once on
 * standard output at first start, by design, and nowhere else). The admin token file is mode 600.
 * And the repository holds no default password.
 */
class SecretsHygieneIT {
  private static final Path REPO = Path.of(System.getProperty("user.dir"));

  @Test
  void noTokenReachesTheLogsAndTheAdminTokenFileIsPrivate() throws Exception {
    Path data = Files.createTempDirectory("atrium-secrets-");
    Path logFile = data.resolve("server.log");
    Path stdout = data.resolve("stdout.txt");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dorg.slf4j.simpleLogger.logFile=" + logFile, "-cp", System.getProperty("java.class.path"),
        "io.atrium.Atrium", "serve", "--port", String.valueOf(port), "--data-dir", data.resolve("d").toString())
        .redirectErrorStream(true).redirectOutput(stdout.toFile()).start();
    String base = "http://127.0.0.1:" + port;
    List<String> issued = new ArrayList<>();
    int sent = 0;
    try {
      waitReady(base, server, stdout);
      Path tokenFile = data.resolve("d").resolve("admin.token");
      assertThat(Files.getPosixFilePermissions(tokenFile))
          .isEqualTo(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      String admin = Files.readString(tokenFile).trim();
      issued.add(admin);
      call(base, admin, "POST", "/api/atrium/v1/tenants", "{\"name\":\"acme\"}");
      call(base, admin, "POST", "/api/atrium/v1/users", "{\"name\":\"alice\",\"tenant\":\"acme\",\"role\":\"owner\"}");
      call(base, admin, "POST", "/api/atrium/v1/tenants/acme/service-accounts", "{\"name\":\"acme-ci\"}");
      String alice = token(base, admin, "alice", "laptop");
      String bot = token(base, alice, "acme-ci", "nightly");
      String revoked = token(base, alice, "alice", "revoked-soon");
      issued.add(alice);
      issued.add(bot);
      issued.add(revoked);
      JsonNode list = Json.MAPPER.readTree(call(base, alice, "GET", "/api/atrium/v1/principals/alice/tokens", null).body());
      for (JsonNode t : list.path("tokens")) {
        if (t.path("name").asText().equals("revoked-soon")) {
          call(base, alice, "DELETE", "/api/atrium/v1/tokens/" + t.path("id").asText(), null);
        }
      }
      call(base, alice, "POST", "/t/acme/api/2.0/mlflow/experiments/create", "{\"name\":\"churn\"}");

      JsonNode doc = Json.MAPPER.readTree(call(base, null, "GET", "/api/atrium/v1/openapi.json", null).body());
      for (var p : doc.path("paths").properties()) {
        for (var op : p.getValue().properties()) {
          String method = op.getKey().toUpperCase(Locale.ROOT);
          for (String credential : List.of(alice, bot, revoked, admin)) {
            for (String pasted : List.of(alice, bot, revoked)) {
              String path = p.getKey().replaceAll("\\{[a-z_]+}", URLEncoder.encode(pasted, StandardCharsets.UTF_8));
              StringBuilder query = new StringBuilder();
              List<String> required = new ArrayList<>();
              for (JsonNode prm : op.getValue().path("parameters")) {
                if (prm.path("in").asText().equals("query")) {
                  query.append(query.isEmpty() ? "?" : "&").append(prm.path("name").asText()).append('=')
                      .append(URLEncoder.encode(pasted, StandardCharsets.UTF_8));
                  required.add(prm.path("name").asText());
                }
              }
              String body = null;
              JsonNode schema = op.getValue().path("requestBody").path("content").path("application/json").path("schema");
              if (!schema.isMissingNode()) {
                ObjectNode b = Json.MAPPER.createObjectNode();
                schema.path("properties").fieldNames().forEachRemaining(f -> b.put(f, pasted));
                body = b.toString();
              }
              call(base, credential, method, "/t/acme" + path + query, body);
              call(base, credential, method, path + query, body);
              sent += 2;
            }
            // Basic, with the token as the user name (a common paste mistake) and as the password.
            basic(base, credential, "x", method, p.getKey());
            basic(base, "alice", credential + "x", method, p.getKey());
            sent += 2;
          }
        }
      }
      Requests.SENT.addAndGet(sent);
    } finally {
      server.destroy();
      if (!server.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
    String log = Files.readString(logFile);
    String out = Files.readString(stdout);
    io.atrium.testing.TestServer.deleteTree(data); // everything below reads the two strings
    System.out.printf("secrets hygiene: %d requests, %d log bytes, %d tokens checked%n", sent, log.length(), issued.size());
    assertThat(log).as("the server log has every request").contains("event=request");
    assertThat(log.split("event=request", -1).length).isGreaterThan(sent / 2);
    for (String t : issued) {
      // atr_<24 hex>_<secret>: the secret is base64url, so it may hold '_' itself; cut at the fixed prefix.
      String secret = t.substring("atr_".length() + 24 + 1);
      assertThat(secret).hasSize(43);
      assertThat(log).as("server log").doesNotContain(t).doesNotContain(secret);
      if (t.equals(issued.get(0))) {
        // The platform admin's token, shown once at first start so the operator can copy it.
        assertThat(out.split(Pattern.quote(secret), -1).length - 1).as("admin token on stdout").isEqualTo(1);
      } else {
        assertThat(out).as("process output").doesNotContain(secret);
      }
    }
  }

  private static void waitReady(String base, Process server, Path stdout) throws Exception {
    for (int i = 0; i < 240; i++) {
      if (!server.isAlive()) {
        throw new AssertionError("server exited: " + Files.readString(stdout));
      }
      try {
        if (call(base, null, "GET", "/ready", null).status() == 200) {
          return;
        }
      } catch (UncheckedIOException e) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError("server not ready: " + Files.readString(stdout));
  }

  private static String token(String base, String as, String principal, String name) throws IOException {
    TestServer.Response r = call(base, as, "POST", "/api/atrium/v1/principals/" + principal + "/tokens",
        "{\"name\":\"" + name + "\",\"expires_in_days\":1}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return Json.MAPPER.readTree(r.body()).path("token").path("token").asText();
  }

  private static TestServer.Response call(String base, String token, String method, String path, String body) {
    HttpRequest.Builder b;
    try {
      b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    } catch (IllegalArgumentException e) {
      return new TestServer.Response(0, "", null);
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return TestServer.send(b.build());
  }

  private static void basic(String base, String user, String password, String method, String path) {
    HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/t/acme" + path.replaceAll("\\{[a-z_]+}", "x")))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
            .getBytes(StandardCharsets.UTF_8)))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    TestServer.send(r);
  }

  /** Every password-like setting defaults to empty: there is no default password to forget to change. */
  @Test
  void noConfigKeyHasADefaultSecret() throws IllegalAccessException {
    int checked = 0;
    for (Field f : ConfigKeys.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigKeys.Key.class) {
        ConfigKeys.Key k = (ConfigKeys.Key) f.get(null);
        if (k.name().matches(".*(password|secret|token|key).*") && !k.name().startsWith("limit")) {
          assertThat(k.defaultValue()).as(k.name()).isEmpty();
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThanOrEqualTo(2);
  }

  /**
   * No file that ships (code, scripts, configuration, docs) sets a literal password or holds a
   * well-known default credential. Test sources are skipped: their fixtures hold made-up secrets on purpose.
   */
  @Test
  void theRepositoryHoldsNoDefaultPassword() throws IOException {
    Pattern assignment = Pattern.compile(
        "(?i)\\b\\w*(password|passwd|pwd|secret)(?!_encryption)\\w*[\"']?\\s*[:=]\\s*[\"']([^\"'$%{}<>\\s]{3,})[\"']");
    Pattern wellKnown = Pattern.compile("(?i)(admin:admin|admin/admin|changeme|password123|p@ssw0rd|letmein|hunter2)");
    List<String> found = new ArrayList<>();
    int files = 0;
    try (Stream<Path> walk = Files.walk(REPO)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        String rel = REPO.relativize(f).toString();
        if (rel.startsWith(".git/") || rel.startsWith("target") || rel.contains(".venv") || rel.contains("/node_modules/")
            || rel.startsWith("atrium-data") || rel.startsWith("src/test/") || rel.contains("__pycache__") || rel.equals(selfPath())
            || !rel.matches(".*\\.(java|py|sh|md|txt|toml|ya?ml|json|properties|cfg|ini|sql|xml)$|^bin/.*|^\\.ci/.*")) {
          continue;
        }
        files++;
        String text;
        try (InputStream in = Files.newInputStream(f)) {
          text = new String(in.readNBytes(2_000_000), StandardCharsets.UTF_8);
        }
        Matcher m = assignment.matcher(text);
        while (m.find()) {
          found.add(rel + ": " + m.group());
        }
        Matcher w = wellKnown.matcher(text);
        while (w.find()) {
          found.add(rel + ": " + w.group());
        }
      }
    }
    assertThat(files).as("files scanned under " + REPO).isGreaterThan(100);
    assertThat(found).as("literal or well-known passwords").isEmpty();
  }

  private static String selfPath() {
    return "src/test/java/io/atrium/security/SecretsHygieneIT.java";
  }
}
