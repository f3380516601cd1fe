package io.atrium.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writes that give an experiment one name at once (creates, renames): all pass the name check, the
 * unique index refuses all but one, and the others must read as MLflow's RESOURCE_ALREADY_EXISTS
 * rather than a 500 (the benchmark's warm-up hit exactly that on create).
 */
class ExperimentNameRaceIT {
  private static final int CLIENTS = 12;

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  /** Runs {@code call(c)} for every client at once; returns how many got a 200, checking the rest. */
  private static int race(IntFunction<TestServer.Response> call) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<TestServer.Response>> answers = new ArrayList<>();
    try (var pool = Executors.newFixedThreadPool(CLIENTS)) {
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        answers.add(pool.submit(() -> {
          go.await();
          return call.apply(client);
        }));
      }
      go.countDown();
      int ok = 0;
      for (Future<TestServer.Response> f : answers) {
        TestServer.Response r = f.get();
        if (r.status() == 200) {
          ok++;
        } else {
          assertThat(r.status()).as(r.body()).isEqualTo(400);
          assertThat(r.json().path("error_code").asText()).as(r.body()).isEqualTo("RESOURCE_ALREADY_EXISTS");
        }
      }
      return ok;
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void concurrentCreatesOfOneNameGiveOneExperimentAndAlreadyExistsForTheRest(TestDatabases.Kind kind) throws Exception {
    try (TestServer s = TestServer.start(kind)) {
      s.createTenant("acme");
      String alice = s.createUser("alice", "acme", "editor");
      for (int round = 0; round < 5; round++) {
        String name = "race-" + round;
        int created = race(c -> s.post(alice, Tracking.api("acme", "experiments/create"), Map.of("name", name)));
        assertThat(created).as("round %d", round).isEqualTo(1);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void concurrentRenamesToOneNameLeaveOneExperimentWithIt(TestDatabases.Kind kind) throws Exception {
    try (TestServer s = TestServer.start(kind)) {
      s.createTenant("acme");
      String alice = s.createUser("alice", "acme", "editor");
      for (int round = 0; round < 5; round++) {
        List<String> ids = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
          ids.add(TestServer.expectOk(s.post(alice, Tracking.api("acme", "experiments/create"),
              Map.of("name", "before-" + round + "-" + c))).json().path("experiment_id").asText());
        }
        String name = "renamed-" + round;
        int renamed = race(c -> s.post(alice, Tracking.api("acme", "experiments/update"),
            Map.of("experiment_id", ids.get(c), "new_name", name)));
        assertThat(renamed).as("round %d", round).isEqualTo(1);
        TestServer.Response byName = TestServer.expectOk(
            s.get(alice, Tracking.api("acme", "experiments/get-by-name") + "?experiment_name=" + name));
        assertThat(ids).contains(byName.json().path("experiment").path("experiment_id").asText());
      }
    }
  }
}
