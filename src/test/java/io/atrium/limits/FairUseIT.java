package io.atrium.limits;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.Atrium;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Limits, 429s, usage metering and metrics over real HTTP, on both databases. */
class FairUseIT {
  static Iterable<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  private static TestServer.Response putLimits(TestServer s, String token, String tenant, Map<String, Object> limits) {
    return s.put(token, "/api/atrium/v1/tenants/" + tenant + "/limits", limits);
  }

  private static String experiment(TestServer s, String token, String tenant) {
    return TestServer.expectOk(s.post(token, "/t/" + tenant + "/api/2.0/mlflow/experiments/create",
        Map.of("name", "lr-sweep"))).json().path("experiment_id").asText();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void rateLimitGives429WithRetryAfterForThatTenantOnlyAndChangesApplyAtOnce(TestDatabases.Kind kind) {
    try (TestServer s = TestServer.start(kind)) {
      s.createTenant("noisy");
      s.createTenant("quiet");
      String n = s.createUser("nora", "noisy", "editor");
      String q = s.createUser("quinn", "quiet", "editor");
      String exp = experiment(s, n, "noisy");

      // A tenant admin may read its limits but only platform admins change them.
      assertThat(putLimits(s, n, "noisy", Map.of("rps", 1)).status()).isIn(403, 404);
      JsonNode set = TestServer.expectOk(putLimits(s, s.adminToken(), "noisy", Map.of("rps", 1, "burst", 3))).json();
      assertThat(set.path("limits").path("rps").asDouble()).isEqualTo(1.0);
      assertThat(set.path("limits").path("burst").asInt()).isEqualTo(3);

      List<Integer> statuses = new ArrayList<>();
      TestServer.Response throttled = null;
      for (int i = 0; i < 10; i++) {
        TestServer.Response r = s.get(n, "/t/noisy/api/2.0/mlflow/experiments/get?experiment_id=" + exp);
        statuses.add(r.status());
        if (r.status() == 429 && throttled == null) {
          throttled = r;
        }
      }
      assertThat(statuses.subList(0, 3)).containsOnly(200);
      assertThat(statuses).contains(429);
      assertThat(throttled.json().path("error_code").asText()).isEqualTo("RESOURCE_EXHAUSTED");
      assertThat(throttled.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());

      // The other tenant is untouched by the noisy tenant's limit.
      for (int i = 0; i < 20; i++) {
        assertThat(s.get(q, "/t/quiet/api/2.0/mlflow/experiments/get?experiment_id=0").status()).isEqualTo(200);
      }

      // Raising the limit takes effect on the very next request.
      TestServer.expectOk(putLimits(s, s.adminToken(), "noisy", Map.of("rps", 10000, "burst", 10000)));
      assertThat(s.get(n, "/t/noisy/api/2.0/mlflow/experiments/get?experiment_id=" + exp).status()).isEqualTo(200);

      // Invalid limits are refused and change nothing.
      assertThat(putLimits(s, s.adminToken(), "noisy", Map.of("rps", -5)).status()).isEqualTo(400);
      JsonNode now = TestServer.expectOk(s.get(s.adminToken(), "/api/atrium/v1/tenants/noisy/limits")).json();
      assertThat(now.path("limits").path("rps").asDouble()).isEqualTo(10000.0);
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void runCreationRateIsEnforcedSeparately(TestDatabases.Kind kind) {
    try (TestServer s = TestServer.start(kind)) {
      s.createTenant("acme");
      String a = s.createUser("alice", "acme", "editor");
      String exp = experiment(s, a, "acme");
      TestServer.expectOk(putLimits(s, s.adminToken(), "acme", Map.of("runs_per_minute", 2)));
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        statuses.add(s.post(a, "/t/acme/api/2.0/mlflow/runs/create", Map.of("experiment_id", exp)).status());
      }
      assertThat(statuses).containsExactly(200, 200, 429, 429);
      // Other requests are not limited by the run-creation rate.
      assertThat(s.get(a, "/t/acme/api/2.0/mlflow/experiments/get?experiment_id=" + exp).status()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void usageIsMeteredPerTenantAndSurvivesARestart(TestDatabases.Kind kind) {
    TestServer s = TestServer.start(kind);
    try {
      s.createTenant("acme");
      s.createTenant("globex");
      String a = s.createUser("alice", "acme", "admin");
      s.createUser("bob", "globex", "admin");
      String exp = experiment(s, a, "acme");
      String run = TestServer.expectOk(s.post(a, "/t/acme/api/2.0/mlflow/runs/create", Map.of("experiment_id", exp)))
          .json().path("run").path("info").path("run_id").asText();
      List<Map<String, Object>> metrics = new ArrayList<>();
      for (int step = 0; step < 250; step++) {
        metrics.add(Map.of("key", "loss", "value", 1.0 / (step + 1), "timestamp", 1_700_000_000_000L + step, "step", step));
      }
      TestServer.expectOk(s.post(a, "/t/acme/api/2.0/mlflow/runs/log-batch", Map.of("run_id", run, "metrics", metrics,
          "params", List.of(Map.of("key", "lr", "value", "0.01"), Map.of("key", "depth", "value", "6")))));
      TestServer.expectOk(s.post(a, "/t/acme/api/2.0/mlflow/runs/search", Map.of("experiment_ids", List.of(exp))));

      JsonNode usage = TestServer.expectOk(s.get(a, "/api/atrium/v1/tenants/acme/usage?granularity=month")).json();
      JsonNode bucket = usage.path("buckets").get(0);
      assertThat(bucket.path("metric_points").asLong()).isEqualTo(250);
      assertThat(bucket.path("params").asLong()).isEqualTo(2);
      assertThat(bucket.path("runs_created").asLong()).isEqualTo(1);
      assertThat(bucket.path("requests_write").asLong()).isEqualTo(3);
      assertThat(bucket.path("requests_search").asLong()).isEqualTo(1);
      // The other tenant used nothing; its admin cannot read acme's usage.
      String bob = s.token("bob");
      assertThat(TestServer.expectOk(s.get(bob, "/api/atrium/v1/tenants/globex/usage")).json().path("buckets")).isEmpty();
      assertThat(s.get(bob, "/api/atrium/v1/tenants/acme/usage").status()).isEqualTo(404);

      // Restart on the same database: the counts are still there. (Only the server stops here:
      // closing the TestServer would also remove its data dir.)
      s.atrium().close();
      try (Atrium again = Atrium.start(s.config())) {
        TestServer.Response r = TestServer.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + again.port() + "/api/atrium/v1/tenants/acme/usage?granularity=day"))
            .header("Authorization", "Bearer " + a).build());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("buckets").get(0).path("metric_points").asLong()).isEqualTo(250);
      }
    } finally {
      s.close();
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void prometheusMetricsAreForPlatformAdminsAndCarryTenantLabels(TestDatabases.Kind kind) {
    try (TestServer s = TestServer.start(kind)) {
      s.createTenant("acme");
      String a = s.createUser("alice", "acme", "owner");
      experiment(s, a, "acme");
      TestServer.expectOk(putLimits(s, s.adminToken(), "acme", Map.of("rps", 1, "burst", 1)));
      for (int i = 0; i < 3; i++) {
        s.get(a, "/t/acme/api/2.0/mlflow/experiments/get?experiment_id=0");
      }
      assertThat(s.get(a, "/metrics").status()).isEqualTo(403);
      TestServer.Response m = TestServer.expectOk(s.get(s.adminToken(), "/metrics"));
      assertThat(m.body())
          .contains("atrium_http_requests_seconds_bucket{")
          .contains("tenant=\"acme\"")
          .contains("atrium_throttled_requests_total{reason=\"rate\",tenant=\"acme\"}")
          .contains("atrium_tenant_limit_rps{tenant=\"acme\"} 1.0")
          .contains("atrium_db_pool_active")
          .contains("jvm_memory_used_bytes");
    }
  }
  /**
   * Two requests on one keep-alive connection: a 429 whose 200 KB body the server never needed,
   * then another request. The connection must still answer the second request, or the first answer
   * must have said {@code Connection: close}; a connection silently dropped after a 429 made clients
   * that reuse connections fail their next request with no bytes at all.
   */
  @ParameterizedTest
  @MethodSource("kinds")
  void aRefusedRequestsUnreadBodyDoesNotBreakTheConnection(TestDatabases.Kind kind) throws Exception {
    try (TestServer s = TestServer.start(kind)) {
      s.createTenant("noisy");
      String n = s.createUser("nora", "noisy", "editor");
      TestServer.expectOk(putLimits(s, s.adminToken(), "noisy", Map.of("rps", 1, "burst", 1)));
      StringBuilder big = new StringBuilder("{\"run_id\":\"x\",\"metrics\":[");
      for (int i = 0; i < 3000; i++) {
        big.append(i == 0 ? "" : ",").append("{\"key\":\"loss\",\"value\":0.5,\"timestamp\":1,\"step\":").append(i).append('}');
      }
      byte[] body = big.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      assertThat(body.length).isGreaterThan(100_000);
      int port = Integer.parseInt(s.url().substring(s.url().lastIndexOf(':') + 1));
      try (java.net.Socket sock = new java.net.Socket("127.0.0.1", port)) {
        sock.setSoTimeout(30_000);
        var in = new java.io.BufferedInputStream(sock.getInputStream());
        var out = sock.getOutputStream();
        String head = "POST /t/noisy/api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer " + n + "\r\nContent-Type: application/json\r\nContent-Length: ";
        int refused = 0;
        String closing = null;
        // The burst of 1 is spent by the first (a 404 for the made-up run); the next ones are refused.
        for (int k = 0; k < 3 && closing == null; k++) {
          out.write((head + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
          out.write(body);
          out.flush();
          String[] answer = readResponse(in);
          if (answer[0].contains(" 429 ")) {
            refused++;
          }
          if (answer[1].toLowerCase(java.util.Locale.ROOT).contains("connection: close")) {
            closing = answer[0];
          }
        }
        assertThat(refused).as("requests refused with 429").isGreaterThan(0);
        assertThat(closing).as("a small JSON body is drained, so the connection stays open").isNull();
        out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        out.flush();
        assertThat(readResponse(in)[0]).as("the same connection answers after the 429s").contains(" 200 ");
      }
    }
  }

  /** One HTTP/1.1 response from {@code in}: status line and headers; the body (Content-Length or chunked) is read past. */
  private static String[] readResponse(java.io.InputStream in) throws java.io.IOException {
    String status = line(in);
    if (status == null) {
      throw new java.io.EOFException("the connection was closed before an answer");
    }
    StringBuilder headers = new StringBuilder();
    long length = 0;
    boolean chunked = false;
    for (String h; (h = line(in)) != null && !h.isEmpty(); ) {
      headers.append(h).append('\n');
      String lower = h.toLowerCase(java.util.Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(h.substring(15).trim());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    if (chunked) {
      for (long size; (size = Long.parseLong(line(in).split(";")[0].trim(), 16)) > 0; ) {
        in.readNBytes((int) size);
        line(in);
      }
      line(in);
    } else {
      in.readNBytes((int) length);
    }
    return new String[] {status, headers.toString()};
  }

  private static String line(java.io.InputStream in) throws java.io.IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) != -1; ) {
      if (c == '\n') {
        return b.toString().stripTrailing();
      }
      b.append((char) c);
    }
    return b.isEmpty() ? null : b.toString();
  }
}
