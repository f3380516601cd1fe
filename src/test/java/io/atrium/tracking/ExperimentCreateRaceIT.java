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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Creates of one experiment name at once: both pass the name check, the unique index refuses all
 * but one, and the others must read as MLflow's RESOURCE_ALREADY_EXISTS rather than a 500 (the
 * benchmark's warm-up hit exactly that).
 */
class ExperimentCreateRaceIT {
  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void concurrentCreatesOfOneNameGiveOneExperimentAndAlreadyExistsForTheRest(TestDatabases.Kind kind) throws Exception {
    try (TestServer s = TestServer.start(kind)) {
      s.createTenant("acme");
      String alice = s.createUser("alice", "acme", "editor");
      int clients = 12;
      for (int round = 0; round < 5; round++) {
        String name = "race-" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TestServer.Response>> answers = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(clients)) {
          for (int c = 0; c < clients; c++) {
            answers.add(pool.submit(() -> {
              go.await();
              return s.post(alice, Tracking.api("acme", "experiments/create"), Map.of("name", name));
            }));
          }
          go.countDown();
          int created = 0;
          for (Future<TestServer.Response> f : answers) {
            TestServer.Response r = f.get();
            if (r.status() == 200) {
              created++;
            } else {
              assertThat(r.status()).as(r.body()).isEqualTo(400);
              assertThat(r.json().path("error_code").asText()).as(r.body()).isEqualTo("RESOURCE_ALREADY_EXISTS");
            }
          }
          assertThat(created).as("round %d", round).isEqualTo(1);
        }
      }
    }
  }
}
