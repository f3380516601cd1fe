package io.atrium.javaclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mlflow.api.proto.Service.Experiment;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.Run;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;
import org.mlflow.api.proto.Service.ViewType;
import org.mlflow.tracking.ExperimentsPage;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.RunsPage;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * Smoke test with the official MLflow Java client ({@code org.mlflow:mlflow-client}): it talks to a tenant by using
 * {@code <server>/t/<tenant>} as its tracking URI, and must see nothing of any other tenant.
 */
class MlflowJavaClientIT {
  static Iterable<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void officialJavaClientTracksRunsInsideItsOwnTenant(TestDatabases.Kind kind) {
    try (TestServer s = TestServer.start(kind)) {
      s.createTenant("acme");
      s.createTenant("globex");
      String aliceToken = s.createUser("alice", "acme", "editor");
      String bobToken = s.createUser("bob", "globex", "editor");

      try (MlflowClient alice = new MlflowClient(new BasicMlflowHostCreds(s.url() + "/t/acme", aliceToken));
          MlflowClient bob = new MlflowClient(new BasicMlflowHostCreds(s.url() + "/t/globex", bobToken));
          MlflowClient aliceBasic =
              new MlflowClient(new BasicMlflowHostCreds(s.url() + "/t/acme", "alice", aliceToken))) {

        // Experiments: names are unique per tenant only.
        String churn = alice.createExperiment("churn");
        String bobChurn = bob.createExperiment("churn");
        Optional<Experiment> byName = alice.getExperimentByName("churn");
        assertThat(byName).isPresent();
        assertThat(byName.get().getExperimentId()).isEqualTo(churn);
        assertThat(byName.get().getName()).isEqualTo("churn");
        assertThat(alice.getExperiment(churn).getLifecycleStage()).isEqualTo("active");
        assertThat(alice.getExperimentByName("no-such-experiment")).isEmpty();
        MlflowHttpException duplicate =
            catchThrowableOfType(MlflowHttpException.class, () -> alice.createExperiment("churn"));
        assertThat(duplicate).as("creating churn twice in acme").isNotNull();
        assertThat(duplicate.getStatusCode()).isEqualTo(400);
        assertThat(duplicate.getBodyMessage()).contains("RESOURCE_ALREADY_EXISTS");

        // A run, logged to field by field.
        RunInfo info = alice.createRun(churn);
        String runId = info.getRunId();
        assertThat(runId).isNotBlank();
        assertThat(info.getExperimentId()).isEqualTo(churn);
        assertThat(info.getStatus()).isEqualTo(RunStatus.RUNNING);
        alice.logParam(runId, "lr", "0.01");
        long t0 = System.currentTimeMillis();
        alice.logMetric(runId, "rmse", 0.9, t0, 0);
        alice.logMetric(runId, "rmse", 0.7, t0 + 1, 1);
        alice.logMetric(runId, "rmse", 0.5, t0 + 2, 2);
        alice.setTag(runId, "team", "growth");
        alice.logBatch(runId,
            List.of(Metric.newBuilder().setKey("auc").setValue(0.81).setTimestamp(t0).setStep(0).build(),
                Metric.newBuilder().setKey("auc").setValue(0.86).setTimestamp(t0 + 1).setStep(1).build()),
            List.of(Param.newBuilder().setKey("depth").setValue("6").build()),
            List.of(RunTag.newBuilder().setKey("stage").setValue("trial").build()));

        Run run = alice.getRun(runId);
        assertThat(run.getInfo().getRunId()).isEqualTo(runId);
        assertThat(params(run)).containsEntry("lr", "0.01").containsEntry("depth", "6");
        assertThat(tags(run)).containsEntry("team", "growth").containsEntry("stage", "trial");
        Map<String, Double> latest = new HashMap<>();
        for (Metric m : run.getData().getMetricsList()) {
          latest.put(m.getKey(), m.getValue());
        }
        assertThat(latest).containsEntry("rmse", 0.5).containsEntry("auc", 0.86);

        List<Metric> history = alice.getMetricHistory(runId, "rmse");
        assertThat(history).extracting(Metric::getStep).containsExactlyInAnyOrder(0L, 1L, 2L);
        assertThat(history).extracting(Metric::getValue).containsExactlyInAnyOrder(0.9, 0.7, 0.5);

        // More runs, to search and to page through.
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          String id = alice.createRun(churn).getRunId();
          alice.logMetric(id, "rmse", 1.5 + i);
          others.add(id);
        }
        RunsPage good = alice.searchRuns(List.of(churn), "metrics.rmse < 1", ViewType.ACTIVE_ONLY, 10);
        assertThat(good.getItems()).extracting(r -> r.getInfo().getRunId()).containsExactly(runId);
        RunsPage tagged = alice.searchRuns(List.of(churn), "tags.team = 'growth' and params.lr = '0.01'",
            ViewType.ACTIVE_ONLY, 10);
        assertThat(tagged.getItems()).extracting(r -> r.getInfo().getRunId()).containsExactly(runId);
        assertThat(runIds(alice, churn, "metrics.rmse > 100", ViewType.ACTIVE_ONLY)).isEmpty();
        MlflowHttpException badFilter = catchThrowableOfType(MlflowHttpException.class,
            () -> alice.searchRuns(List.of(churn), "metrics.rmse <<< 1", ViewType.ACTIVE_ONLY, 10));
        assertThat(badFilter).as("an unparsable filter").isNotNull();
        assertThat(badFilter.getStatusCode()).isEqualTo(400);
        assertThat(badFilter.getBodyMessage()).contains("INVALID_PARAMETER_VALUE");

        List<String> paged = new ArrayList<>();
        RunsPage page = alice.searchRuns(List.of(churn), "", ViewType.ACTIVE_ONLY, 2, List.of("metrics.rmse ASC"));
        int pages = 1;
        page.getItems().forEach(r -> paged.add(r.getInfo().getRunId()));
        while (page.hasNextPage()) {
          assertThat(page.getItems()).hasSize(2);
          page = (RunsPage) page.getNextPage();
          page.getItems().forEach(r -> paged.add(r.getInfo().getRunId()));
          pages++;
        }
        assertThat(pages).isEqualTo(3);
        List<String> expected = new ArrayList<>(List.of(runId));
        expected.addAll(others);
        assertThat(paged).containsExactlyElementsOf(expected);

        // Lifecycle.
        alice.setTerminated(runId, RunStatus.FINISHED, System.currentTimeMillis());
        Run finished = alice.getRun(runId);
        assertThat(finished.getInfo().getStatus()).isEqualTo(RunStatus.FINISHED);
        assertThat(finished.getInfo().getEndTime()).isPositive();
        alice.setTerminated(others.get(0));
        assertThat(alice.getRun(others.get(0)).getInfo().getStatus()).isEqualTo(RunStatus.FINISHED);

        alice.deleteRun(runId);
        assertThat(alice.getRun(runId).getInfo().getLifecycleStage()).isEqualTo("deleted");
        assertThat(runIds(alice, churn, "metrics.rmse < 1", ViewType.ACTIVE_ONLY)).isEmpty();
        assertThat(runIds(alice, churn, "metrics.rmse < 1", ViewType.DELETED_ONLY)).containsExactly(runId);
        alice.restoreRun(runId);
        assertThat(alice.getRun(runId).getInfo().getLifecycleStage()).isEqualTo("active");
        assertThat(runIds(alice, churn, "metrics.rmse < 1", ViewType.ACTIVE_ONLY)).containsExactly(runId);

        // Isolation: globex sees none of acme's runs or experiments.
        MlflowHttpException notFound = catchThrowableOfType(MlflowHttpException.class, () -> bob.getRun(runId));
        assertThat(notFound).as("bob reading alice's run").isNotNull();
        assertThat(notFound.getStatusCode()).isEqualTo(404);
        assertThat(notFound.getBodyMessage()).contains("RESOURCE_DOES_NOT_EXIST");
        MlflowHttpException cannotLog =
            catchThrowableOfType(MlflowHttpException.class, () -> bob.logMetric(runId, "rmse", 0.0));
        assertThat(cannotLog).as("bob logging to alice's run").isNotNull();
        assertThat(cannotLog.getStatusCode()).isEqualTo(404);
        assertThat(alice.getMetricHistory(runId, "rmse")).hasSize(3);
        assertThat(runIds(bob, churn, "", ViewType.ALL)).isEmpty();

        ExperimentsPage bobs = bob.searchExperiments();
        assertThat(bobs.getItems()).extracting(Experiment::getName).containsExactlyInAnyOrder("Default", "churn");
        assertThat(bobs.getItems()).extracting(Experiment::getExperimentId).contains(bobChurn);
        ExperimentsPage bobsChurn = bob.searchExperiments("name = 'churn'");
        assertThat(bobsChurn.getItems()).extracting(Experiment::getExperimentId).containsExactly(bobChurn);
        assertThat(bob.getExperimentByName("churn")).map(Experiment::getExperimentId).contains(bobChurn);
        ExperimentsPage alices = alice.searchExperiments();
        assertThat(alices.getItems()).extracting(Experiment::getName).containsExactlyInAnyOrder("Default", "churn");

        // Basic auth, with the token as password.
        assertThat(aliceBasic.getRun(runId).getInfo().getRunId()).isEqualTo(runId);
        String basicRun = aliceBasic.createRun(churn).getRunId();
        aliceBasic.logParam(basicRun, "via", "basic");
        assertThat(params(alice.getRun(basicRun))).containsEntry("via", "basic");
      }

      // Wrong credentials and the wrong tenant are refused.
      try (MlflowClient nobody = new MlflowClient(new BasicMlflowHostCreds(s.url() + "/t/acme", "not-a-token"));
          MlflowClient bobInAcme = new MlflowClient(new BasicMlflowHostCreds(s.url() + "/t/acme", bobToken))) {
        MlflowHttpException unauth = catchThrowableOfType(MlflowHttpException.class, nobody::searchExperiments);
        assertThat(unauth).isNotNull();
        assertThat(unauth.getStatusCode()).isEqualTo(401);
        MlflowHttpException foreign = catchThrowableOfType(MlflowHttpException.class, bobInAcme::searchExperiments);
        assertThat(foreign).isNotNull();
        assertThat(foreign.getStatusCode()).isEqualTo(404);
      }
    }
  }

  private static List<String> runIds(MlflowClient client, String experimentId, String filter, ViewType view) {
    return client.searchRuns(List.of(experimentId), filter, view, 100).getItems().stream()
        .map(r -> r.getInfo().getRunId())
        .toList();
  }

  private static Map<String, String> params(Run run) {
    Map<String, String> out = new HashMap<>();
    for (Param p : run.getData().getParamsList()) {
      out.put(p.getKey(), p.getValue());
    }
    return out;
  }

  private static Map<String, String> tags(Run run) {
    Map<String, String> out = new HashMap<>();
    for (RunTag t : run.getData().getTagsList()) {
      out.put(t.getKey(), t.getValue());
    }
    return out;
  }
}
