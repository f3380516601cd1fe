package io.atrium.cli;

import static io.atrium.cli.CliHarness.ok;
import static io.atrium.cli.CliHarness.withEnv;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.cli.CliHarness.Result;
import io.atrium.http.Json;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bin/atrium}'s client commands in-process against a real server, with the environment
 * injected through {@link ClientConnection#withEnvironment} so the real ATRIUM_* of whoever runs the
 * tests never leak in. Each test uses its own tenant and principal names, so they share one server.
 */
class AdminCliIT {
  private static TestServer server;


  @BeforeAll
  static void start() {
    server = TestServer.start(TestDatabases.Kind.H2);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** Runs a command as the holder of {@code token} (ATRIUM_TOKEN), with ATRIUM_URL pointing at the server. */
  private static Result as(String token, String... args) {
    return CliHarness.as(server.url(), token, args);
  }

  private static Result admin(String... args) {
    return as(server.adminToken(), args);
  }


  /** The table rows (header skipped) whose first column is {@code key}, split on runs of 2+ spaces. */
  private static List<String> row(String table, String key) {
    for (String line : table.split("\n")) {
      List<String> cells = List.of(line.split(" {2,}"));
      if (cells.get(0).equals(key)) {
        return cells;
      }
    }
    throw new AssertionError("no row " + key + " in:\n" + table);
  }

  @Test
  void tenantLifecycle() {
    Result created = ok(admin("tenant", "create", "lc", "--display-name", "Life Cycle"));
    assertThat(created.out()).isEqualTo("Created tenant 'lc'.\n");

    Result list = ok(admin("tenant", "list"));
    assertThat(list.out()).startsWith("NAME");
    assertThat(row(list.out(), "lc")).containsSubsequence("lc", "active", "Life Cycle");

    JsonNode json = ok(admin("tenant", "list", "--format", "json")).json();
    assertThat(json.path("tenants").findValuesAsText("name")).contains("lc");

    Result get = ok(admin("tenant", "get", "lc"));
    assertThat(get.out()).containsPattern("Name: +lc").containsPattern("Display name: +Life Cycle")
        .containsPattern("Status: +active").containsPattern("Created: +\\d{4}-\\d\\d-\\d\\dT");
    assertThat(ok(admin("tenant", "get", "lc", "--format", "JSON")).json().path("tenant").path("display_name").asText())
        .isEqualTo("Life Cycle");

    assertThat(ok(admin("tenant", "suspend", "lc")).out()).isEqualTo("Tenant 'lc' is now suspended.\n");
    assertThat(ok(admin("tenant", "get", "lc")).out()).containsPattern("Status: +suspended");
    assertThat(ok(admin("tenant", "reactivate", "lc")).out()).isEqualTo("Tenant 'lc' is now active.\n");
    assertThat(ok(admin("tenant", "delete", "lc", "--format", "json")).json().path("tenant").path("status").asText())
        .isEqualTo("deleted");

    Result again = admin("tenant", "reactivate", "lc");
    assertThat(again.code()).as("a deleted tenant cannot come back").isEqualTo(1);
    assertThat(again.err()).startsWith("atrium: RESOURCE_DOES_NOT_EXIST: ");
  }

  @Test
  void serverErrorsArePrintedWithTheirCodeAndExitOne() {
    Result unknown = admin("tenant", "get", "no-such-tenant");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.out()).isEmpty();
    assertThat(unknown.err()).isEqualTo("atrium: RESOURCE_DOES_NOT_EXIST: Tenant 'no-such-tenant' does not exist\n");

    ok(admin("tenant", "create", "dup"));
    Result dup = admin("tenant", "create", "dup");
    assertThat(dup.code()).isEqualTo(1);
    assertThat(dup.err()).startsWith("atrium: RESOURCE_ALREADY_EXISTS: ");

    Result badName = admin("tenant", "create", "Bad_Name");
    assertThat(badName.code()).isEqualTo(1);
    assertThat(badName.err()).startsWith("atrium: INVALID_PARAMETER_VALUE: ");

    Result unknownMembers = admin("member", "list", "nowhere");
    assertThat(unknownMembers.code()).isEqualTo(1);
    assertThat(unknownMembers.err()).startsWith("atrium: RESOURCE_DOES_NOT_EXIST: Tenant 'nowhere'");
  }

  @Test
  void usersServiceAccountsAndMembers() {
    ok(admin("tenant", "create", "acme"));
    Result alice = ok(admin("user", "create", "alice", "--tenant", "acme", "--role", "editor"));
    assertThat(alice.out()).isEqualTo("Created user 'alice', editor in 'acme'.\n");
    assertThat(alice.err()).contains("atrium token create alice --name");

    Result ops = ok(admin("user", "create", "ops", "--platform-admin", "--format", "json"));
    assertThat(ops.json().path("principal").path("platform_admin").asBoolean()).isTrue();

    Result ci = ok(admin("service-account", "create", "ci-bot", "--tenant", "acme", "--role", "viewer"));
    assertThat(ci.out()).isEqualTo("Created service account 'ci-bot' in 'acme'.\n");

    ok(admin("user", "create", "bob"));
    assertThat(ok(admin("member", "set", "acme", "bob", "admin")).out()).isEqualTo("bob is now admin in 'acme'.\n");
    ok(admin("user", "create", "carol"));
    assertThat(ok(admin("member", "add", "acme", "carol", "VIEWER")).out())
        .as("'add' is an alias of 'set'; roles are case-insensitive").isEqualTo("carol is now viewer in 'acme'.\n");

    Result members = ok(admin("member", "list", "acme"));
    assertThat(members.out()).startsWith("PRINCIPAL");
    assertThat(row(members.out(), "alice")).containsSubsequence("alice", "user", "editor");
    assertThat(row(members.out(), "ci-bot")).containsSubsequence("ci-bot", "service", "viewer");
    assertThat(row(members.out(), "bob")).containsSubsequence("bob", "user", "admin");
    JsonNode json = ok(admin("member", "list", "acme", "--format", "json")).json();
    assertThat(json.path("members").findValuesAsText("principal")).contains("alice", "bob", "carol", "ci-bot");

    // A tenant admin manages members; a viewer does not.
    String bob = server.token("bob");
    ok(as(bob, "member", "set", "acme", "carol", "editor"));
    String carol = server.token("carol");
    Result denied = as(carol, "member", "set", "acme", "alice", "viewer");
    assertThat(denied.code()).isEqualTo(1);
    assertThat(denied.err()).startsWith("atrium: PERMISSION_DENIED: ");
    Result carolViewer = ok(admin("member", "set", "acme", "carol", "viewer"));
    assertThat(carolViewer.out()).contains("viewer");
    Result viewerList = as(carol, "member", "list", "acme");
    assertThat(viewerList.code()).isEqualTo(1);
    assertThat(viewerList.err()).startsWith("atrium: PERMISSION_DENIED: ");

    Result badRole = admin("member", "set", "acme", "alice", "superuser");
    assertThat(badRole.code()).isEqualTo(1);
    assertThat(badRole.err()).startsWith("atrium: INVALID_PARAMETER_VALUE: Invalid role 'superuser'");
    Result badUserRole = admin("user", "create", "dave", "--tenant", "acme", "--role", "boss");
    assertThat(badUserRole.code()).isEqualTo(1);
    assertThat(badUserRole.err()).startsWith("atrium: INVALID_PARAMETER_VALUE: ");

    Result roleWithoutTenant = admin("user", "create", "erin", "--role", "editor");
    assertThat(roleWithoutTenant.code()).as("usage error").isEqualTo(2);
    assertThat(roleWithoutTenant.err()).contains("--role needs --tenant");

    assertThat(ok(admin("member", "remove", "acme", "carol")).out()).isEqualTo("Removed carol from 'acme'.\n");
    assertThat(ok(admin("member", "list", "acme")).out()).doesNotContain("carol");
    Result notMember = admin("member", "remove", "acme", "carol");
    assertThat(notMember.code()).isEqualTo(1);
    assertThat(notMember.err()).startsWith("atrium: RESOURCE_DOES_NOT_EXIST: ");
  }

  @Test
  void tokenCreatePrintsOnlyTheTokenAndRevocationLocksItOut() {
    ok(admin("tenant", "create", "tok"));
    ok(admin("user", "create", "tina", "--tenant", "tok", "--role", "viewer"));

    Result created = ok(admin("token", "create", "tina", "--name", "laptop", "--expires", "30d"));
    assertThat(created.out()).as("stdout is the token and a newline, nothing else").matches("atr_[0-9a-f]{24}_[A-Za-z0-9_-]{43}\n");
    String token = created.out().strip();
    assertThat(created.err()).contains("'laptop'", "tina", "shown this once").doesNotContain(token);

    Result whoami = ok(as(token, "whoami"));
    assertThat(whoami.out()).containsPattern("Name: +tina").containsPattern("Kind: +user")
        .containsPattern("Platform admin: +no").containsPattern("Tenants: +tok").containsPattern("Token from: +ATRIUM_TOKEN")
        .doesNotContain(token);
    assertThat(ok(as(token, "whoami", "--format", "json")).json().path("principal").path("name").asText()).isEqualTo("tina");

    Result list = ok(admin("token", "list", "tina"));
    assertThat(list.out()).startsWith("ID").doesNotContain(token);
    List<String> laptop = rowByColumn(list.out(), 1, "laptop");
    String id = laptop.get(0);
    assertThat(laptop).contains("active");
    assertThat(ok(as(token, "token", "list", "tina", "--format", "json")).json().path("tokens").findValuesAsText("name"))
        .as("a user lists their own tokens").contains("laptop");

    assertThat(ok(admin("token", "revoke", id)).out()).isEqualTo("Revoked token " + id + " 'laptop'.\n");
    assertThat(rowByColumn(ok(admin("token", "list", "tina")).out(), 1, "laptop")).contains("revoked");

    Result locked = as(token, "whoami");
    assertThat(locked.code()).isEqualTo(1);
    assertThat(locked.out()).isEmpty();
    assertThat(locked.err()).startsWith("atrium: UNAUTHENTICATED: ").contains("ATRIUM_TOKEN").doesNotContain(token);

    Result badExpiry = admin("token", "create", "tina", "--name", "x", "--expires", "3w");
    assertThat(badExpiry.code()).as("usage error").isEqualTo(2);
    assertThat(badExpiry.err()).contains("use <n>d");
    assertThat(badExpiry.out()).isEmpty();
    Result tooLong = admin("token", "create", "tina", "--name", "x", "--expires", "99999d");
    assertThat(tooLong.code()).isEqualTo(1);
    assertThat(tooLong.err()).startsWith("atrium: INVALID_PARAMETER_VALUE: ");
    assertThat(tooLong.out()).as("nothing on stdout when no token was made").isEmpty();

    Result defaultExpiry = ok(admin("token", "create", "tina", "--name", "default"));
    assertThat(defaultExpiry.err()).contains("expires");

    Result othersToken = as(server.token("tina"), "token", "create", "admin", "--name", "steal");
    assertThat(othersToken.code()).isEqualTo(1);
    assertThat(othersToken.err()).startsWith("atrium: PERMISSION_DENIED: ");
    assertThat(othersToken.out()).isEmpty();

    Result unknownToken = admin("token", "revoke", "999999");
    assertThat(unknownToken.code()).isEqualTo(1);
    assertThat(unknownToken.err()).startsWith("atrium: RESOURCE_DOES_NOT_EXIST: ");
  }

  @Test
  void auditListAndVerify() {
    ok(admin("tenant", "create", "aud"));
    ok(admin("user", "create", "auditor", "--tenant", "aud", "--role", "admin"));
    ok(admin("user", "create", "peeker", "--tenant", "aud", "--role", "editor"));

    Result all = ok(admin("audit", "list"));
    assertThat(all.out()).startsWith("SEQ").contains("admin");
    JsonNode two = ok(admin("audit", "list", "--limit", "2", "--format", "json")).json();
    assertThat(two.path("entries")).hasSize(2);
    assertThat(two.has("next_before")).isTrue();
    Result page = ok(admin("audit", "list", "--limit", "2"));
    assertThat(page.out().strip().split("\n")).hasSize(3);
    assertThat(page.err()).contains("--before");
    long next = two.path("next_before").asLong();
    JsonNode older = ok(admin("audit", "list", "--limit", "2", "--before", Long.toString(next), "--format", "json")).json();
    assertThat(older.path("entries").get(0).path("seq").asLong()).isLessThan(next);

    // Admin-API calls are platform-level; a tenant's own log holds the requests made inside it.
    String auditor = server.token("auditor");
    TestServer.expectOk(server.post(auditor, "/t/aud/api/2.0/mlflow/experiments/create", Map.of("name", "audited")));
    Result tenantLog = ok(as(auditor, "audit", "list", "aud", "--format", "json"));
    assertThat(tenantLog.json().path("entries").findValuesAsText("tenant")).isNotEmpty().containsOnly("aud");
    Result editorLog = as(server.token("peeker"), "audit", "list", "aud");
    assertThat(editorLog.code()).isEqualTo(1);
    assertThat(editorLog.err()).startsWith("atrium: PERMISSION_DENIED: ");
    Result platformLog = as(auditor, "audit", "list");
    assertThat(platformLog.code()).isEqualTo(1);
    assertThat(platformLog.err()).startsWith("atrium: PERMISSION_DENIED: ");

    Result verify = ok(admin("audit", "verify"));
    assertThat(verify.out()).startsWith("Audit log intact: ");
    assertThat(ok(admin("audit", "verify", "--format", "json")).json().path("intact").asBoolean()).isTrue();
  }

  @Test
  void auditVerifyExitsOneAndNamesTheFirstBadEntry() throws SQLException {
    // Its own server: tampering with the chain would break auditAndVerify on the shared one.
    try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
      Map<String, String> env = Map.of("ATRIUM_URL", s.url(), "ATRIUM_TOKEN", s.adminToken());
      ok(withEnv(env, "tenant", "create", "one"));
      ok(withEnv(env, "tenant", "create", "two"));
      JsonNode entries = ok(withEnv(env, "audit", "list", "--format", "json")).json().path("entries");
      long victim = entries.get(entries.size() - 1).path("seq").asLong();
      try (Connection c = DriverManager.getConnection(s.config().databaseUrl(), s.config().databaseUser(),
              s.config().databasePassword());
          Statement st = c.createStatement()) {
        assertThat(st.executeUpdate("UPDATE audit_log SET actor = 'mallory' WHERE seq = " + victim)).isEqualTo(1);
      }
      Result broken = withEnv(env, "audit", "verify");
      assertThat(broken.code()).isEqualTo(1);
      assertThat(broken.out()).startsWith("Audit log BROKEN at seq " + victim + ": ");
      Result brokenJson = withEnv(env, "audit", "verify", "--format", "json");
      assertThat(brokenJson.code()).isEqualTo(1);
      assertThat(brokenJson.json().path("first_bad_seq").asLong()).isEqualTo(victim);
    }
  }

  @Test
  void tokenComesFromTheDataDirectoryWhenAtriumTokenIsUnset(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("admin.token"), server.adminToken() + "\n");
    Result r = ok(withEnv(Map.of(), "whoami", "--url", server.url(), "--data-dir", dir.toString()));
    assertThat(r.out()).containsPattern("Name: +admin").containsPattern("Platform admin: +yes")
        .contains(dir.resolve("admin.token").toString()).doesNotContain(server.adminToken());

    Result viaEnv = ok(withEnv(Map.of("ATRIUM_URL", server.url(), "ATRIUM_DATA_DIR", dir.toString()), "whoami"));
    assertThat(viaEnv.out()).containsPattern("Name: +admin");

    ok(admin("user", "create", "envy"));
    Result envWins = ok(withEnv(Map.of("ATRIUM_TOKEN", server.token("envy"), "ATRIUM_DATA_DIR", dir.toString()),
        "whoami", "--url", server.url()));
    assertThat(envWins.out()).as("ATRIUM_TOKEN wins over admin.token").containsPattern("Name: +envy");
  }

  @Test
  void missingCredentialsAndAnUnreachableServerAreClearErrors(@TempDir Path empty) throws IOException {
    Result none = withEnv(Map.of(), "tenant", "list", "--url", server.url(), "--data-dir", empty.toString());
    assertThat(none.code()).isEqualTo(1);
    assertThat(none.err()).startsWith("atrium: no credentials: ATRIUM_TOKEN is not set and ")
        .contains(empty.resolve("admin.token").toString(), "--data-dir");

    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Result refused = withEnv(Map.of("ATRIUM_TOKEN", "atr_x"), "tenant", "list", "--url", "http://127.0.0.1:" + closedPort);
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).startsWith("atrium: cannot connect to http://127.0.0.1:" + closedPort + " (connection refused)")
        .contains("--url").doesNotContain("atr_x");

    Result badUrl = withEnv(Map.of("ATRIUM_TOKEN", "atr_x"), "whoami", "--url", "ftp://example.com");
    assertThat(badUrl.code()).isEqualTo(1);
    assertThat(badUrl.err()).startsWith("atrium: invalid server URL 'ftp://example.com'");

    Result garbage = withEnv(Map.of("ATRIUM_TOKEN", "not-a-token", "ATRIUM_URL", server.url() + "/"), "whoami");
    assertThat(garbage.code()).isEqualTo(1);
    assertThat(garbage.err()).startsWith("atrium: UNAUTHENTICATED: ").doesNotContain("not-a-token");
  }

  @Test
  void helpIsUseful() {
    Result top = ok(withEnv(Map.of(), "--help"));
    assertThat(top.out()).contains("tenant", "user", "service-account", "member", "token", "audit", "whoami",
        "ATRIUM_URL", "ATRIUM_TOKEN", "admin.token");
    List<String[]> commands = new ArrayList<>(List.of(
        new String[] {"tenant", "create"}, new String[] {"tenant", "list"}, new String[] {"tenant", "get"},
        new String[] {"tenant", "suspend"}, new String[] {"tenant", "reactivate"}, new String[] {"tenant", "delete"},
        new String[] {"user", "create"}, new String[] {"service-account", "create"}, new String[] {"member", "list"},
        new String[] {"member", "set"}, new String[] {"member", "add"}, new String[] {"member", "remove"},
        new String[] {"token", "create"}, new String[] {"token", "list"}, new String[] {"token", "revoke"},
        new String[] {"audit", "list"}, new String[] {"audit", "verify"}, new String[] {"whoami"}));
    for (String[] c : commands) {
      List<String> args = new ArrayList<>(List.of(c));
      args.add("--help");
      Result r = ok(withEnv(Map.of(), args.toArray(String[]::new)));
      assertThat(r.out()).as(String.join(" ", c)).contains("Usage: atrium " + c[0], "Example: atrium", "ATRIUM_TOKEN", "--url");
    }
    assertThat(ok(withEnv(Map.of(), "token", "create", "--help")).out()).contains("T=$(atrium token create alice");
    Result group = withEnv(Map.of(), "tenant");
    assertThat(group.code()).as("a group without a subcommand is a usage error").isEqualTo(2);
    assertThat(group.err()).contains("create", "suspend");
  }

  private static List<String> rowByColumn(String table, int column, String value) {
    for (String line : table.split("\n")) {
      List<String> cells = List.of(line.split(" {2,}"));
      if (cells.size() > column && cells.get(column).equals(value)) {
        return cells;
      }
    }
    throw new AssertionError("no row with " + value + " in:\n" + table);
  }
}
