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
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator commands (limits, usage, gc, share) run in-process against a real server, as in
 * {@link AdminCliIT}. Each test uses its own tenants and principals, so they share one server.
 */
class OperatorCliIT {
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

  private static Result as(String token, String... args) {
    return CliHarness.as(server.url(), token, args);
  }

  private static Result admin(String... args) {
    return as(server.adminToken(), args);
  }


  private static Result fails(Result r, int code, String errPrefix) {
    assertThat(r.code()).as("exit status; stdout: %s; stderr: %s", r.out(), r.err()).isEqualTo(code);
    assertThat(r.err()).startsWith(errPrefix);
    return r;
  }

  /** The table row whose first column is {@code key}, split on runs of 2+ spaces. */
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
  void limitsSetAndGetRoundTrip() {
    ok(admin("tenant", "create", "lim"));
    JsonNode before = ok(admin("limits", "get", "lim", "--format", "json")).json().path("limits");
    assertThat(before.has("rps")).isTrue();
    int concurrency = before.path("concurrency").asInt();

    Result set = ok(admin("limits", "set", "lim", "--rps", "250", "--burst", "1000", "--storage", "10GiB"));
    assertThat(set.out()).startsWith("Limits of 'lim' are now:\n").containsPattern("Requests per second: +250\\.0")
        .containsPattern("Burst: +1000").containsPattern("Storage: +10\\.0 GiB \\(10737418240 bytes\\)");

    JsonNode after = ok(admin("limits", "get", "lim", "--format", "json")).json().path("limits");
    assertThat(after.path("rps").asDouble()).isEqualTo(250.0);
    assertThat(after.path("burst").asInt()).isEqualTo(1000);
    assertThat(after.path("concurrency").asInt()).as("unset options keep their value").isEqualTo(concurrency);
    assertThat(after.path("storage_bytes").asLong()).isEqualTo(10L << 30);

    JsonNode more = ok(admin("limits", "set", "lim", "--concurrency", "7", "--runs-per-minute", "120",
        "--storage-bytes", "5000", "--format", "json")).json().path("limits");
    assertThat(more.path("concurrency").asInt()).isEqualTo(7);
    assertThat(more.path("runs_per_minute").asDouble()).isEqualTo(120.0);
    assertThat(more.path("storage_bytes").asLong()).isEqualTo(5000);
    assertThat(more.path("burst").asInt()).isEqualTo(1000);
    Result table = ok(admin("limits", "get", "lim"));
    assertThat(table.out()).containsPattern("Concurrency: +7\n").containsPattern("Runs per minute: +120\\.0")
        .containsPattern("Storage: +4\\.9 KiB \\(5000 bytes\\)");

    // Only platform admins change limits, tenant admins and owners included.
    String limAdmin = server.createUser("lim-admin", "lim", "admin");
    fails(as(limAdmin, "limits", "set", "lim", "--rps", "1000"), 1, "atrium: PERMISSION_DENIED: ");
    String limOwner = server.createUser("lim-owner", "lim", "owner");
    fails(as(limOwner, "limits", "set", "lim", "--rps", "1000"), 1, "atrium: PERMISSION_DENIED: ");
    String limViewer = server.createUser("lim-viewer", "lim", "viewer");
    fails(as(limViewer, "limits", "get", "lim"), 1, "atrium: PERMISSION_DENIED: ");
    assertThat(ok(admin("limits", "get", "lim", "--format", "json")).json().path("limits").path("rps").asDouble())
        .as("the refused changes changed nothing").isEqualTo(250.0);

    assertThat(fails(admin("limits", "set", "lim"), 2, "nothing to set").err()).contains("--rps", "--storage");
    assertThat(fails(admin("limits", "set", "lim", "--storage", "10 parsecs"), 2, "").err()).contains("is not a size");
    fails(admin("limits", "set", "lim", "--burst", "0"), 1, "atrium: INVALID_PARAMETER_VALUE: burst must be");
    fails(admin("limits", "get", "no-such-tenant"), 1, "atrium: RESOURCE_DOES_NOT_EXIST: ");

    // Tenant admins read their tenant's limits.
    assertThat(ok(as(limAdmin, "limits", "get", "lim", "--format", "json")).json().path("limits").path("concurrency")
        .asInt()).isEqualTo(7);
    assertThat(ok(as(limAdmin, "limits", "get", "lim")).out()).containsPattern("Concurrency: +7\n");
  }

  @Test
  void sizeConverterUnits() {
    LimitsCommands.SizeConverter c = new LimitsCommands.SizeConverter();
    assertThat(c.convert("123")).isEqualTo(123L);
    assertThat(c.convert("10GiB")).isEqualTo(10L << 30);
    assertThat(c.convert("10 gb")).isEqualTo(10_000_000_000L);
    assertThat(c.convert("1.5KiB")).isEqualTo(1536L);
    assertThat(c.convert("500MB")).isEqualTo(500_000_000L);
    assertThat(LimitsCommands.bytes(0)).isEqualTo("0 bytes");
    assertThat(LimitsCommands.bytes(1536)).isEqualTo("1.5 KiB (1536 bytes)");
  }

  @Test
  void usageShowsTrackingCallsAsJsonCsvAndTable() {
    ok(admin("tenant", "create", "use"));
    String editor = server.createUser("use-editor", "use", "editor");
    String runId = TestServer.expectOk(server.post(editor, "/t/use/api/2.0/mlflow/runs/create",
        Map.of("experiment_id", "0", "start_time", System.currentTimeMillis()))).json().path("run").path("info")
        .path("run_id").asText();
    List<Map<String, Object>> metrics = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      metrics.add(Map.of("key", "loss", "value", 1.0 / (i + 1), "timestamp", System.currentTimeMillis(), "step", i));
    }
    TestServer.expectOk(server.post(editor, "/t/use/api/2.0/mlflow/runs/log-batch", Map.of("run_id", runId, "metrics", metrics)));

    // A window around today, so the test passes at a month's turn too.
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    String from = today.minusDays(1).toString();
    String to = today.plusDays(2).toString();
    JsonNode json = ok(admin("usage", "use", "--from", from, "--to", to, "--format", "json")).json();
    assertThat(json.path("tenant").asText()).isEqualTo("use");
    assertThat(json.path("granularity").asText()).isEqualTo("day");
    assertThat(json.path("from").asText()).isEqualTo(from + "T00:00:00Z");
    assertThat(sum(json, "metric_points")).isEqualTo(5);
    assertThat(sum(json, "runs_created")).isEqualTo(1);
    assertThat(sum(json, "requests_write")).isGreaterThanOrEqualTo(2);

    Result csv = ok(admin("usage", "use", "--from", from, "--to", to, "--format", "csv"));
    String[] lines = csv.out().split("\n");
    List<String> header = List.of(lines[0].split(","));
    assertThat(header.get(0)).isEqualTo("start");
    assertThat(header).contains("requests_read", "requests_write", "runs_created", "metric_points", "artifact_bytes_in");
    assertThat(lines.length).as("header and one row per bucket").isEqualTo(1 + json.path("buckets").size());
    long points = 0;
    for (int i = 1; i < lines.length; i++) {
      String[] cells = lines[i].split(",");
      assertThat(cells).hasSize(header.size());
      assertThat(cells[0]).matches("\\d{4}-\\d\\d-\\d\\dT00:00:00Z");
      points += Long.parseLong(cells[header.indexOf("metric_points")]);
    }
    assertThat(points).isEqualTo(5);

    Result table = ok(admin("usage", "use", "--from", from, "--to", to));
    assertThat(table.out()).startsWith("Usage of 'use' by day, " + from + "T00:00:00Z to " + to + "T00:00:00Z (UTC):\n")
        .contains("START", "METRIC_POINTS", "RUNS_CREATED").doesNotContain("ARTIFACT_BYTES_OUT");
    List<String> total = row(table.out(), "TOTAL");
    List<String> headers = List.of(table.out().split("\n")[1].split(" {2,}"));
    assertThat(total.get(headers.indexOf("METRIC_POINTS"))).isEqualTo("5");
    assertThat(row(table.out(), today.toString())).isNotEmpty();

    JsonNode hourly = ok(admin("usage", "use", "--from", from, "--to", to, "--granularity", "hour", "--format", "json")).json();
    assertThat(hourly.path("granularity").asText()).isEqualTo("hour");
    assertThat(sum(hourly, "metric_points")).isEqualTo(5);

    // Defaults: the current month, by day. --month names one.
    JsonNode month = ok(admin("usage", "use", "--format", "json")).json();
    String thisMonth = YearMonth.now(ZoneOffset.UTC).toString();
    assertThat(month.path("from").asText()).startsWith(thisMonth + "-01T00:00:00");
    JsonNode named = ok(admin("usage", "use", "--month", thisMonth, "--format", "json")).json();
    assertThat(named.path("from").asText()).isEqualTo(month.path("from").asText());
    assertThat(named.path("to").asText()).isEqualTo(month.path("to").asText());
    JsonNode empty = ok(admin("usage", "use", "--month", "2001-01", "--format", "json")).json();
    assertThat(empty.path("buckets")).isEmpty();
    assertThat(ok(admin("usage", "use", "--month", "2001-01")).out()).endsWith("No usage.\n");
    assertThat(ok(admin("usage", "use", "--month", "2001-01", "--format", "csv")).out())
        .as("an empty window still has its header").startsWith("start,requests_read,").doesNotContain("\n2");

    fails(admin("usage", "use", "--month", "2026-11", "--from", "2026-11-01"), 2, "--month and --from/--to");
    fails(admin("usage", "use", "--month", "November"), 2, "'November' is not a month");
    fails(admin("usage", "use", "--format", "xml"), 2, "");
    fails(admin("usage", "use", "--granularity", "week"), 1, "atrium: INVALID_PARAMETER_VALUE: granularity");
    fails(as(editor, "usage", "use"), 1, "atrium: PERMISSION_DENIED: ");
  }

  private static long sum(JsonNode usage, String counter) {
    long n = 0;
    for (JsonNode b : usage.path("buckets")) {
      n += b.path(counter).asLong();
    }
    return n;
  }

  @Test
  void gcOnAnEmptyServerThenAfterADeletedRun() {
    // Its own server: what gc removes must not depend on the other tests.
    try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
      Map<String, String> env = Map.of("ATRIUM_URL", s.url(), "ATRIUM_TOKEN", s.adminToken());
      Result empty = ok(withEnv(env, "gc"));
      assertThat(empty.out()).startsWith("Nothing to remove (").contains("tenants checked, retention ");
      JsonNode none = ok(withEnv(env, "gc", "--retention-days", "0", "--format", "json")).json();
      assertThat(none.path("retention_days").asInt()).isZero();
      assertThat(none.path("directories_removed").asInt()).isZero();
      assertThat(none.path("files_removed").asLong()).isZero();
      assertThat(none.path("bytes_freed").asLong()).isZero();

      s.createTenant("gc");
      String editor = s.createUser("gc-editor", "gc", "editor");
      JsonNode info = TestServer.expectOk(s.post(editor, "/t/gc/api/2.0/mlflow/runs/create",
          Map.of("experiment_id", "0", "start_time", System.currentTimeMillis()))).json().path("run").path("info");
      String prefix = info.path("artifact_uri").asText().substring("mlflow-artifacts:/".length());
      TestServer.expectOk(s.send(editor, "PUT", "/t/gc/api/2.0/mlflow-artifacts/artifacts/" + prefix + "/model.pkl",
          "x".repeat(700), "application/octet-stream"));
      TestServer.expectOk(s.post(editor, "/t/gc/api/2.0/mlflow/runs/delete", Map.of("run_id", info.path("run_id").asText())));

      assertThat(ok(withEnv(env, "gc", "--retention-days", "1")).out())
          .as("deleted less than a day ago: kept").isEqualTo("Nothing to remove (1 tenant checked, retention 1 days).\n");
      Result removed = ok(withEnv(env, "gc", "--retention-days", "0"));
      assertThat(removed.out()).isEqualTo(
          "Removed 1 artifact directory, 1 file, freeing 700 bytes (1 tenant checked, retention 0 days).\n");

      Result denied = withEnv(Map.of("ATRIUM_URL", s.url(), "ATRIUM_TOKEN", editor), "gc");
      fails(denied, 1, "atrium: PERMISSION_DENIED: ");
      fails(withEnv(env, "gc", "--retention-days", "-1"), 1, "atrium: INVALID_PARAMETER_VALUE: retention_days");
    }
  }

  @Test
  void shareGrantListRevoke() {
    ok(admin("tenant", "create", "acme"));
    ok(admin("tenant", "create", "beta"));
    String editor = server.createUser("acme-editor", "acme", "editor");
    TestServer.expectOk(server.post(editor, "/t/acme/api/2.0/mlflow/registered-models/create", Map.of("name", "churn")));

    Result granted = ok(admin("share", "grant", "acme/churn", "--to", "beta"));
    assertThat(granted.out()).startsWith("Shared acme/churn (all versions) with 'beta', who sees it as shared.acme.churn; share id ");
    String id = granted.out().strip().replaceAll(".*share id ([^ ]+)\\.$", "$1");

    Result list = ok(admin("share", "list", "acme"));
    assertThat(list.out()).startsWith("ID");
    assertThat(row(list.out(), id)).containsSubsequence(id, "given", "acme/churn", "beta", "all", "shared.acme.churn", "admin");
    Result received = ok(admin("share", "list", "beta"));
    assertThat(row(received.out(), id)).containsSubsequence(id, "received", "acme/churn", "beta");
    JsonNode json = ok(admin("share", "list", "beta", "--format", "json")).json();
    assertThat(json.path("shares")).isEmpty();
    assertThat(json.path("received").get(0).path("model").asText()).isEqualTo("churn");
    assertThat(ok(as(editor, "share", "list", "acme")).out()).as("members list their tenant's shares").contains(id);

    fails(admin("share", "grant", "acme/churn", "--to", "beta", "--versions", "1,7"), 1,
        "atrium: RESOURCE_DOES_NOT_EXIST: Model Version (name=churn, version=1) not found");
    fails(admin("share", "grant", "acme/churn", "--to", "beta", "--versions", "one"), 2, "");
    fails(admin("share", "grant", "acme/nope", "--to", "beta"), 1, "atrium: RESOURCE_DOES_NOT_EXIST: ");
    fails(admin("share", "grant", "churn", "--to", "beta"), 2, "'churn' is not OWNER/MODEL");
    fails(admin("share", "grant", "acme/churn"), 2, "Missing required option: '--to=<tenant>'");
    fails(as(editor, "share", "grant", "acme/churn", "--to", "beta"), 1, "atrium: PERMISSION_DENIED: ");
    fails(as(editor, "share", "revoke", "acme/churn", "--to", "beta"), 1, "atrium: PERMISSION_DENIED: ");

    Result revoked = ok(admin("share", "revoke", "acme/churn", "--to", "beta"));
    assertThat(revoked.out()).isEqualTo("Revoked share " + id + ": acme/churn is no longer shared with 'beta'.\n");
    assertThat(ok(admin("share", "list", "acme")).out()).isEqualTo("No shares.\n");
    Result again = fails(admin("share", "revoke", "acme/churn", "--to", "beta"), 1,
        "atrium: acme/churn is not shared with 'beta'\n");
    assertThat(again.err()).contains("atrium share list acme");

    // By id, and the id form's usage errors.
    JsonNode share = ok(admin("share", "grant", "acme/churn", "--to", "beta", "--format", "json")).json().path("share");
    String second = share.path("share_id").asText();
    assertThat(share.path("shared_name").asText()).isEqualTo("shared.acme.churn");
    fails(admin("share", "revoke", "acme/churn", "--id", second), 2, "--id names the share on its own");
    fails(admin("share", "revoke", "acme"), 2, "name the share");
    assertThat(ok(admin("share", "revoke", "acme", "--id", second)).out()).isEqualTo("Revoked share " + second + " of 'acme'.\n");
    assertThat(ok(admin("share", "list", "beta", "--format", "json")).json().path("received")).isEmpty();
    fails(admin("share", "revoke", "acme", "--id", second), 1, "atrium: RESOURCE_DOES_NOT_EXIST: ");
  }

  @Test
  void helpIsUseful() {
    Result top = ok(withEnv(Map.of(), "--help"));
    assertThat(top.out()).contains("limits", "usage", "share", "gc");
    List<String[]> commands = List.of(
        new String[] {"limits", "get"}, new String[] {"limits", "set"}, new String[] {"usage"}, new String[] {"gc"},
        new String[] {"share", "grant"}, new String[] {"share", "list"}, new String[] {"share", "revoke"});
    for (String[] c : commands) {
      List<String> args = new ArrayList<>(List.of(c));
      args.add("--help");
      Result r = ok(withEnv(Map.of(), args.toArray(String[]::new)));
      assertThat(r.out()).as(String.join(" ", c)).contains("Usage: atrium " + c[0], "Example: atrium", "ATRIUM_TOKEN", "--url");
    }
    assertThat(ok(withEnv(Map.of(), "usage", "--help")).out()).contains("--month", "csv", "--granularity");
    assertThat(ok(withEnv(Map.of(), "limits", "set", "--help")).out()).contains("10GiB", "--storage-bytes");
    Result group = withEnv(Map.of(), "share");
    assertThat(group.code()).as("a group without a subcommand is a usage error").isEqualTo(2);
    assertThat(group.err()).contains("grant", "revoke");
  }
}
