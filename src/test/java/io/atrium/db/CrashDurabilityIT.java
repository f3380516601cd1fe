package io.atrium.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.testing.ProcessServer;
import io.atrium.testing.TestDatabases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A kill -9 never loses an acknowledged write. The server runs as its own process; four clients
 * log metrics as fast as it answers, the process is killed right after the last answer, and a new
 * process on the same data must hold every point that was answered 200 (and the run's params and
 * tags written by log-batch). On H2 this is what H2GroupCommit buys (the default URL lets H2 delay
 * its own writes by 10 minutes; without the group commit this test loses nearly everything); with H2's
 * own default (a background write every 500 ms) this test loses about the last half second.
 */
class CrashDurabilityIT {
  @TempDir Path dir;

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aKilledServerKeepsEveryAcknowledgedWrite(TestDatabases.Kind kind) throws Exception {
    var config = TestDatabases.config(kind, dir.resolve("data"));
    String runId;
    ConcurrentSkipListSet<Long> acked = new ConcurrentSkipListSet<>();
    try (ProcessServer server = new ProcessServer(config, dir.resolve("server.log"), List.of("-Xmx512m"))) {
      String url = server.start();
      String admin = server.adminToken();
      ProcessServer.ok(url, admin, "POST", "/api/atrium/v1/tenants", "{\"name\":\"durable\"}");
      String api = "/t/durable/api/2.0/mlflow";
      runId = ProcessServer.ok(url, admin, "POST", api + "/runs/create", "{\"experiment_id\":\"0\"}")
          .path("run").path("info").path("run_id").asText();
      ProcessServer.ok(url, admin, "POST", api + "/runs/log-batch", "{\"run_id\":\"" + runId + "\",\"params\":[{\"key\":\"lr\","
          + "\"value\":\"0.1\"}],\"tags\":[{\"key\":\"team\",\"value\":\"ml\"}]}");
      try (var pool = Executors.newFixedThreadPool(4)) {
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
          int client = c;
          fs.add(pool.submit(() -> {
            for (long step = client; step < 800; step += 4) {
              ProcessServer.ok(url, admin, "POST", api + "/runs/log-metric", "{\"run_id\":\"" + runId + "\",\"key\":\"loss\","
                  + "\"value\":" + step + ",\"timestamp\":1700000000000,\"step\":" + step + "}");
              acked.add(step);
            }
            return null;
          }));
        }
        for (Future<?> f : fs) {
          f.get();
        }
      }
      server.kill();
    }
    assertThat(acked).hasSize(800);

    try (ProcessServer again = new ProcessServer(config, dir.resolve("server.log"), List.of("-Xmx512m"))) {
      String url = again.start();
      String admin = again.adminToken();
      String api = "/t/durable/api/2.0/mlflow";
      JsonNode history = ProcessServer.ok(url, admin, "GET",
          api + "/metrics/get-history?run_id=" + runId + "&metric_key=loss&max_results=25000", null);
      TreeSet<Long> stored = new TreeSet<>();
      history.path("metrics").forEach(m -> stored.add(m.path("step").asLong()));
      assertThat(stored).as("acknowledged points missing after kill -9").containsAll(acked);
      JsonNode run = ProcessServer.ok(url, admin, "GET", api + "/runs/get?run_id=" + runId, null).path("run").path("data");
      assertThat(run.path("params").toString()).contains("\"lr\"");
      assertThat(run.path("tags").toString()).contains("\"team\"");
      // Each acknowledged change's audit entry committed with the change, and the new process chained it.
      long audited = 0;
      long before = 0;
      while (true) {
        JsonNode page = ProcessServer.ok(url, admin, "GET",
            "/api/atrium/v1/audit?limit=1000" + (before > 0 ? "&before=" + before : ""), null);
        for (JsonNode e : page.path("entries")) {
          if (e.path("action").asText().endsWith("/runs/log-metric") && e.path("outcome").asText().equals("ok")) {
            audited++;
          }
        }
        if (!page.has("next_before")) {
          break;
        }
        before = page.path("next_before").asLong();
      }
      assertThat(audited).as("audit entries of acknowledged log-metric calls").isEqualTo(acked.size());
      assertThat(ProcessServer.ok(url, admin, "GET", "/api/atrium/v1/audit/verify", null).path("intact").asBoolean())
          .isTrue();
    }
  }
}
