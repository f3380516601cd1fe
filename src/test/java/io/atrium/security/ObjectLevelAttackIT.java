package io.atrium.security;

import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.ServerPool;
import io.atrium.security.World.Caller;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Broken object-level authorization (OWASP API1), on the routes the tracking-focused
 * {@code isolation.ObjectIsolationIT} does not reach: artifacts, logged models, the registry, shared
 * models, and the admin API. Acme's members call every id-, name- and path-bearing route with
 * globex's identifiers (globex is fully populated and shares one model version with acme); each
 * answer must be exactly the answer for an identifier that never existed (status, and body once the
 * identifier is substituted), globex must be unchanged afterwards, and response times for the two
 * must not separate (a generous median bound; the figures are printed).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ObjectLevelAttackIT {
  private final ServerPool<World> pool = new ServerPool<>(World::build);

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  /** A request with {@code ID} standing for the identifier under test (URL-encoded where in a URL). */
  record Probe(String caller, String method, String path, String body) {
    TestServer.Response send(World w, String id) {
      String token = w.tokens.get(Caller.valueOf(caller));
      Call c = Call.of(w.s, method, path.replace("ID", path.contains("?") && path.indexOf("ID") > path.indexOf('?')
          ? URLEncoder.encode(id, StandardCharsets.UTF_8) : id)).bearer(token);
      if (body != null) {
        c.json(body.replace("ID", id));
      }
      Requests.SENT.incrementAndGet();
      return c.send();
    }
  }

  private static Probe p(String caller, String method, String path, String body) {
    return new Probe(caller, method, path, body);
  }

  /** Probes by kind of identifier: each pair is (globex's identifier, one that never existed). */
  private static Map<String[], List<Probe>> probes(World w) {
    World.Data g = w.globex;
    World.Data a = w.acme;
    String rm = api("acme", "registered-models/");
    String mv = api("acme", "model-versions/");
    String lm = api("acme", "logged-models/");
    String art = "/t/acme/api/2.0/mlflow-artifacts/artifacts";
    Map<String[], List<Probe>> m = new LinkedHashMap<>();
    List<Probe> models = new ArrayList<>();
    for (String caller : List.of("EDITOR", "OWNER")) {
      models.addAll(List.of(
          p(caller, "GET", rm + "get?name=ID", null),
          p(caller, "PATCH", rm + "update", "{\"name\":\"ID\",\"description\":\"pwned\"}"),
          p(caller, "POST", rm + "rename", "{\"name\":\"ID\",\"new_name\":\"stolen-" + caller + "\"}"),
          p(caller, "POST", rm + "get-latest-versions", "{\"name\":\"ID\"}"),
          p(caller, "GET", rm + "get-latest-versions?name=ID", null),
          p(caller, "POST", rm + "set-tag", "{\"name\":\"ID\",\"key\":\"owner\",\"value\":\"mallory\"}"),
          p(caller, "DELETE", rm + "delete-tag?name=ID&key=team", null),
          p(caller, "POST", rm + "alias", "{\"name\":\"ID\",\"alias\":\"mine\",\"version\":\"1\"}"),
          p(caller, "GET", rm + "alias?name=ID&alias=champion", null),
          p(caller, "DELETE", rm + "alias?name=ID&alias=champion", null),
          p(caller, "GET", rm + "search?filter=" + URLEncoder.encode("name = '", StandardCharsets.UTF_8) + "ID%27", null),
          p(caller, "GET", mv + "get?name=ID&version=1", null),
          p(caller, "PATCH", mv + "update", "{\"name\":\"ID\",\"version\":\"1\",\"description\":\"pwned\"}"),
          p(caller, "POST", mv + "transition-stage", "{\"name\":\"ID\",\"version\":\"1\",\"stage\":\"Archived\"}"),
          p(caller, "GET", mv + "get-download-uri?name=ID&version=1", null),
          p(caller, "POST", mv + "set-tag", "{\"name\":\"ID\",\"version\":\"1\",\"key\":\"k\",\"value\":\"v\"}"),
          p(caller, "DELETE", mv + "delete-tag?name=ID&version=1&key=validated", null),
          p(caller, "GET", mv + "search?filter=" + URLEncoder.encode("name = '", StandardCharsets.UTF_8) + "ID%27", null),
          p(caller, "POST", mv + "create", "{\"name\":\"ID\",\"source\":\"runs:/" + a.run() + "/model\"}"),
          p(caller, "DELETE", mv + "delete?name=ID&version=2", null),
          p(caller, "DELETE", rm + "delete?name=ID", null)));
    }
    m.put(new String[] {g.model(), "globex-never-registered-model"}, models);
    // A version of a shared model outside the grant (globex shares only version 1 of its model with acme).
    m.put(new String[] {"2", "99"}, List.of(
        p("EDITOR", "GET", mv + "get?name=shared.globex." + g.model() + "&version=ID", null),
        p("EDITOR", "GET", mv + "get-download-uri?name=shared.globex." + g.model() + "&version=ID", null)));
    List<Probe> logged = new ArrayList<>();
    for (String caller : List.of("EDITOR", "OWNER")) {
      logged.addAll(List.of(
          p(caller, "GET", lm + "ID", null),
          p(caller, "PATCH", lm + "ID", "{\"status\":\"LOGGED_MODEL_UPLOAD_FAILED\"}"),
          p(caller, "PATCH", lm + "ID/tags", "{\"tags\":[{\"key\":\"owner\",\"value\":\"mallory\"}]}"),
          p(caller, "DELETE", lm + "ID/tags/flavor", null),
          p(caller, "POST", lm + "ID/params", "{\"params\":[{\"key\":\"evil\",\"value\":\"1\"}]}"),
          p(caller, "POST", api("acme", "runs/outputs"), "{\"run_id\":\"" + a.run() + "\",\"models\":[{\"model_id\":\"ID\",\"step\":0}]}"),
          p(caller, "GET", lm + "ID/artifacts/directories", null),
          p(caller, "GET", lm + "ID/artifacts/directories?artifact_directory_path=model", null),
          p(caller, "POST", api("acme", "runs/log-metric"), "{\"run_id\":\"" + a.run() + "\",\"key\":\"acc\",\"value\":0.9,"
              + "\"timestamp\":1,\"step\":0,\"model_id\":\"ID\"}"),
          p(caller, "POST", api("acme", "runs/log-batch"), "{\"run_id\":\"" + a.run() + "\",\"metrics\":[{\"key\":\"acc\","
              + "\"value\":0.9,\"timestamp\":1,\"step\":0,\"model_id\":\"ID\"}]}"),
          p(caller, "POST", api("acme", "runs/log-inputs"), "{\"run_id\":\"" + a.run() + "\",\"models\":[{\"model_id\":\"ID\"}]}"),
          p(caller, "POST", api("acme", "model-versions/create"), "{\"name\":\"" + a.model() + "\",\"source\":\"models:/ID\",\"model_id\":\"ID\"}"),
          p(caller, "DELETE", lm + "ID", null)));
    }
    m.put(new String[] {g.loggedModel(), "m-0123456789abcdef0123456789abcdef"}, logged);
    // Runs as artifact owners and as model sources.
    m.put(new String[] {g.run(), "0123456789abcdef0123456789abcdef"}, List.of(
        p("EDITOR", "GET", api("acme", "artifacts/list") + "?run_id=ID", null),
        p("EDITOR", "GET", api("acme", "artifacts/list") + "?run_id=ID&path=model", null),
        p("EDITOR", "POST", api("acme", "model-versions/create"), "{\"name\":\"" + a.model() + "\",\"source\":\"runs:/ID/model\"}"),
        p("EDITOR", "POST", api("acme", "logged-models"), "{\"experiment_id\":\"" + a.experiment() + "\",\"source_run_id\":\"ID\"}"),
        p("EDITOR", "GET", art + "/" + a.experiment() + "/ID/artifacts/model/MLmodel", null),
        p("EDITOR", "GET", art + "?path=" + a.experiment() + "/ID/artifacts", null),
        p("EDITOR", "DELETE", art + "/" + a.experiment() + "/ID/artifacts/model/MLmodel", null)));
    // Artifact paths: globex's file, through the tenant root and through the shared/ prefix outside the grant.
    m.put(new String[] {g.artifact(), "424242/" + "fedcba9876543210fedcba9876543210" + "/artifacts/model/MLmodel"}, List.of(
        p("EDITOR", "GET", art + "/ID", null),
        p("EDITOR", "GET", art + "?path=ID", null),
        p("EDITOR", "GET", art + "/shared/globex/ID", null),
        p("EDITOR", "GET", art + "?path=shared/globex/ID", null),
        p("EDITOR", "DELETE", art + "/ID", null),
        p("EDITOR", "DELETE", art + "/shared/globex/ID", null)));
    // The admin API, by tenant name: an acme admin naming globex.
    List<Probe> tenants = new ArrayList<>();
    for (String caller : List.of("ADMIN", "OWNER")) {
      tenants.addAll(List.of(
          p(caller, "GET", "/api/atrium/v1/tenants/ID", null),
          p(caller, "GET", "/api/atrium/v1/tenants/ID/members", null),
          p(caller, "GET", "/api/atrium/v1/tenants/ID/audit?limit=50", null),
          p(caller, "GET", "/api/atrium/v1/tenants/ID/usage", null),
          p(caller, "GET", "/api/atrium/v1/tenants/ID/shares", null),
          p(caller, "PUT", "/api/atrium/v1/tenants/ID/limits", "{\"rps\":1}"),
          p(caller, "GET", "/api/3.0/mlflow/workspaces/ID", null),
          p(caller, "POST", "/api/atrium/v1/tenants/ID/service-accounts", "{\"name\":\"implant\"}"),
          p(caller, "PUT", "/api/atrium/v1/tenants/ID/members/ada", "{\"role\":\"owner\"}"),
          p(caller, "DELETE", "/api/atrium/v1/tenants/ID/members/gina", null),
          p(caller, "POST", "/api/atrium/v1/tenants/ID/shares", "{\"model\":\"" + g.model() + "\",\"to_tenant\":\"acme\"}"),
          p(caller, "DELETE", "/api/atrium/v1/tenants/ID/shares", "{\"model\":\"" + g.model() + "\",\"to_tenant\":\"acme\"}"),
          p(caller, "DELETE", "/api/atrium/v1/tenants/ID/shares/" + g.shareId(), null),
          p(caller, "POST", "/api/atrium/v1/tenants/ID/suspend", "{}"),
          p(caller, "DELETE", "/api/atrium/v1/tenants/ID", null)));
      // Not probed, by design: granting a share names the grantee tenant, so an acme admin learns
      // whether a tenant name exists (docs/SECURITY.md, "Deliberate oracles").
    }
    m.put(new String[] {"globex", "nosuchco"}, tenants);
    // By principal: globex's service account and analyst.
    List<Probe> principals = new ArrayList<>();
    for (String caller : List.of("ADMIN", "OWNER", "EDITOR")) {
      principals.addAll(List.of(
          p(caller, "GET", "/api/atrium/v1/principals/ID/tokens", null),
          p(caller, "POST", "/api/atrium/v1/principals/ID/tokens", "{\"name\":\"implant\"}")));
    }
    m.put(new String[] {g.serviceAccount(), "nosuchco-ci"}, principals);
    // Not probed, by design: principals are platform-wide and a tenant admin adds an existing one by
    // name (PUT .../members/{principal}), so principal names are discoverable by tenant admins
    // (docs/SECURITY.md, "Deliberate oracles").
    // By token id and share id.
    m.put(new String[] {String.valueOf(g.tokenId()), "987654321"}, List.of(
        p("ADMIN", "DELETE", "/api/atrium/v1/tokens/ID", null),
        p("OWNER", "DELETE", "/api/atrium/v1/tokens/ID", null),
        p("EDITOR", "DELETE", "/api/atrium/v1/tokens/ID", null)));
    m.put(new String[] {g.shareId(), neverLike(g.shareId())}, List.of(
        p("ADMIN", "DELETE", "/api/atrium/v1/tenants/acme/shares/ID", null),
        p("OWNER", "DELETE", "/api/atrium/v1/tenants/acme/shares/ID", null)));
    return m;
  }

  /** An identifier of the same shape as {@code id} that no tenant has. */
  private static String neverLike(String id) {
    char[] c = id.toCharArray();
    for (int i = 0; i < c.length; i++) {
      if (Character.isDigit(c[i])) {
        c[i] = (char) ('0' + (9 - (c[i] - '0')));
      } else if (c[i] >= 'a' && c[i] <= 'f') {
        c[i] = (char) ('f' - (c[i] - 'a'));
      }
    }
    return new String(c);
  }

  /** What globex looks like to its own owner; compared before and after the attacks. */
  private static String globexState(World w) {
    World.Data g = w.globex;
    String t = w.gina;
    List<String> parts = new ArrayList<>();
    for (String path : List.of(
        api("globex", "registered-models/search?max_results=100"),
        api("globex", "model-versions/search?max_results=100"),
        api("globex", "logged-models/" + g.loggedModel()),
        api("globex", "runs/get?run_id=" + g.run()),
        api("globex", "artifacts/list?run_id=" + g.run() + "&path=model"),
        "/t/globex/api/2.0/mlflow-artifacts/artifacts/" + g.artifact(),
        "/api/atrium/v1/principals/" + g.serviceAccount() + "/tokens",
        "/api/atrium/v1/tenants/globex",
        "/api/atrium/v1/tenants/globex/members",
        "/api/atrium/v1/tenants/globex/shares",
        "/api/atrium/v1/tenants/globex/limits")) {
      TestServer.Response r = w.s.get(t, path);
      parts.add(path + " " + r.status() + " " + r.body().replaceAll("\"last_used_at\":\\d+,?", ""));
    }
    return String.join("\n", parts);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void foreignIdentifiersAnswerExactlyLikeMissingOnesAndChangeNothing(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String before = globexState(w);
    List<String> leaks = new ArrayList<>();
    int compared = 0;
    for (var e : probes(w).entrySet()) {
      String foreign = e.getKey()[0];
      String never = e.getKey()[1];
      for (Probe probe : e.getValue()) {
        TestServer.Response f = probe.send(w, foreign);
        TestServer.Response n = probe.send(w, never);
        compared++;
        String what = probe.caller() + " " + probe.method() + " " + probe.path() + " with " + foreign;
        if (f.status() < 400 && f.status() != n.status()) {
          leaks.add(what + ": succeeded with " + f.status() + " " + f.body());
        }
        String fb = normalize(f.body(), foreign);
        String nb = normalize(n.body(), never);
        if (f.status() != n.status() || !fb.equals(nb)) {
          leaks.add(what + ": " + f.status() + " " + fb + "  vs never-existing: " + n.status() + " " + nb);
        }
        for (String secret : List.of(w.globex.run(), "the globex model", "globex-ml", w.globex.loggedModel())) {
          if (!foreign.contains(secret) && f.body().contains(secret)) {
            leaks.add(what + ": body names globex's " + secret);
          }
        }
      }
    }
    System.out.printf("object-level attacks on %s: %d probe pairs, %d requests%n", kind, compared, 2 * compared);
    assertThat(leaks).as("foreign identifiers answered differently from missing ones").isEmpty();
    assertThat(globexState(w)).as("globex unchanged").isEqualTo(before);
  }

  /** The body with the identifier (raw or URL-encoded) replaced, and the per-request id dropped. */
  private static String normalize(String body, String id) {
    return body.replace(id, "<ID>").replace(URLEncoder.encode(id, StandardCharsets.UTF_8), "<ID>")
        .replaceAll("request id [0-9a-f-]{36}", "request id <rid>");
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void responseTimesDoNotTellForeignFromMissing(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String editor = w.tokens.get(Caller.EDITOR);
    Map<String, String[]> cases = new LinkedHashMap<>();
    cases.put("registered model", new String[] {api("acme", "registered-models/get?name="),
        w.globex.model(), "globex-never-registered-model"});
    cases.put("logged model", new String[] {api("acme", "logged-models/"), w.globex.loggedModel(),
        "m-0123456789abcdef0123456789abcdef"});
    cases.put("artifact", new String[] {"/t/acme/api/2.0/mlflow-artifacts/artifacts/", w.globex.artifact(),
        "424242/fedcba9876543210fedcba9876543210/artifacts/model/MLmodel"});
    int samples = 200;
    for (var c : cases.entrySet()) {
      String[] v = c.getValue();
      for (int i = 0; i < 20; i++) { // warm-up
        w.s.get(editor, v[0] + v[1]);
        w.s.get(editor, v[0] + v[2]);
      }
      long[] foreign = new long[samples];
      long[] never = new long[samples];
      for (int i = 0; i < samples; i++) {
        // Alternate, so drift of the machine (GC, other builds) hits both samples alike.
        boolean foreignFirst = i % 2 == 0;
        long t1 = timed(w, editor, v[0] + (foreignFirst ? v[1] : v[2]));
        long t2 = timed(w, editor, v[0] + (foreignFirst ? v[2] : v[1]));
        foreign[i] = foreignFirst ? t1 : t2;
        never[i] = foreignFirst ? t2 : t1;
      }
      Requests.SENT.addAndGet(2L * samples + 40);
      double mf = median(foreign) / 1000.0;
      double mn = median(never) / 1000.0;
      double z = mannWhitneyZ(foreign, never);
      System.out.printf("timing %s on %s: median foreign %.0f us, never-existing %.0f us, ratio %.2f, Mann-Whitney z %.2f%n",
          c.getKey(), kind, mf, mn, mf / mn, z);
      // A generous bound: a real oracle (a query that finds the row, then a check that rejects it)
      // shows as a consistent gap; machine noise on a shared 2-core box does not move medians 2x.
      assertThat(mf / mn).as("%s: median time ratio foreign/never", c.getKey()).isBetween(0.5, 2.0);
    }
  }

  private static long timed(World w, String token, String path) {
    long t0 = System.nanoTime();
    TestServer.Response r = w.s.get(token, path);
    long t = System.nanoTime() - t0;
    assertThat(r.status()).isEqualTo(404);
    return t;
  }

  private static double median(long[] xs) {
    long[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }

  /** The normal approximation of the Mann-Whitney U statistic (no tie correction: times in ns rarely tie). */
  static double mannWhitneyZ(long[] a, long[] b) {
    double u = 0;
    for (long x : a) {
      for (long y : b) {
        u += x > y ? 1 : x == y ? 0.5 : 0;
      }
    }
    double n1 = a.length;
    double n2 = b.length;
    double mean = n1 * n2 / 2;
    double sd = Math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12);
    return (u - mean) / sd;
  }
}
