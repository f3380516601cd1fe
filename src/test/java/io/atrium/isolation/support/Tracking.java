package io.atrium.isolation.support;

import io.atrium.testing.TestServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Realistic tracking data over the MLflow REST API: a gradient-boosting churn model's runs with a
 * few dozen hyper-parameters, training curves of hundreds of steps and the tags the mlflow client
 * sets. Every call goes through {@code /t/{tenant}/}, as the stock client with a tenant URI does.
 */
public final class Tracking {
  public static final List<String> CURVES = List.of("train_loss", "val_loss", "val_auc", "learning_rate");

  private static final List<String> PARAM_NAMES =
      List.of("learning_rate", "max_depth", "n_estimators", "subsample", "colsample_bytree", "min_child_weight",
          "gamma", "reg_alpha", "reg_lambda", "scale_pos_weight", "max_bin", "tree_method", "grow_policy",
          "objective", "eval_metric", "early_stopping_rounds", "seed", "booster", "max_leaves", "sampling_method",
          "feature_set", "train_window_days", "label_horizon_days", "holdout_fraction", "cv_folds",
          "categorical_encoding", "imputer", "scaler", "class_weight", "calibration", "threshold", "dataset_version",
          "feature_store_snapshot", "code_version", "optimizer.beta1", "optimizer.beta2");

  private Tracking() {}

  public static String api(String tenant, String route) {
    return "/t/" + tenant + "/api/2.0/mlflow/" + route;
  }

  public static String createExperiment(TestServer s, String token, String tenant, String name) {
    return TestServer.expectOk(s.post(token, api(tenant, "experiments/create"),
        Map.of("name", name, "tags", List.of(Map.of("key", "team", "value", tenant + "-ml"),
            Map.of("key", "mlflow.note.content", "value", "Monthly churn model for the " + tenant + " retail book")))))
        .json().path("experiment_id").asText();
  }

  public static String createRun(TestServer s, String token, String tenant, String experimentId, String runName) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("experiment_id", experimentId);
    body.put("run_name", runName);
    body.put("start_time", 1_718_000_000_000L);
    body.put("tags", List.of(
        Map.of("key", "mlflow.source.name", "value", "train_churn.py"),
        Map.of("key", "mlflow.source.type", "value", "LOCAL"),
        Map.of("key", "mlflow.source.git.commit", "value", "9f2c1e7a4b3d2c1b0a9f8e7d6c5b4a3928170605"),
        Map.of("key", "mlflow.user", "value", "ds-" + tenant)));
    return TestServer.expectOk(s.post(token, api(tenant, "runs/create"), body))
        .json().path("run").path("info").path("run_id").asText();
  }

  /** Hyper-parameters for a run, deterministic in {@code seed}. */
  public static Map<String, String> params(int seed) {
    Random rnd = new Random(seed);
    Map<String, String> p = new LinkedHashMap<>();
    for (String name : PARAM_NAMES) {
      p.put(name, switch (name) {
        case "tree_method" -> "hist";
        case "objective" -> "binary:logistic";
        case "eval_metric" -> "auc";
        case "booster" -> "gbtree";
        case "grow_policy" -> rnd.nextBoolean() ? "depthwise" : "lossguide";
        case "feature_set" -> "v" + (3 + rnd.nextInt(3)) + "-tenure-usage-billing";
        case "dataset_version" -> "2024-0" + (1 + rnd.nextInt(9)) + "-01";
        default -> String.format("%.4f", rnd.nextDouble() * 10);
      });
    }
    return p;
  }

  /** Logs {@link #params}, a few tags and {@link #CURVES} over {@code steps} steps with log-batch. */
  public static void logTraining(TestServer s, String token, String tenant, String runId, int seed, int steps) {
    List<Map<String, Object>> params = new ArrayList<>();
    params(seed).forEach((k, v) -> params.add(Map.of("key", k, "value", v)));
    TestServer.expectOk(s.post(token, api(tenant, "runs/log-batch"), Map.of("run_id", runId, "params", params,
        "tags", List.of(Map.of("key", "stage", "value", "candidate"), Map.of("key", "seed", "value", "" + seed)))));
    List<Map<String, Object>> metrics = new ArrayList<>();
    Random rnd = new Random(seed);
    for (int step = 0; step < steps; step++) {
      double progress = step / (double) steps;
      metrics.add(metric("train_loss", 0.69 * Math.exp(-3 * progress) + rnd.nextDouble() * 0.01, step));
      metrics.add(metric("val_loss", 0.70 * Math.exp(-2.5 * progress) + 0.05 + rnd.nextDouble() * 0.02, step));
      metrics.add(metric("val_auc", 0.5 + 0.4 * (1 - Math.exp(-4 * progress)) + rnd.nextDouble() * 0.005, step));
      metrics.add(metric("learning_rate", 0.1 * Math.pow(0.99, step), step));
      if (metrics.size() >= 1000) {
        TestServer.expectOk(s.post(token, api(tenant, "runs/log-batch"), Map.of("run_id", runId, "metrics", metrics)));
        metrics = new ArrayList<>();
      }
    }
    if (!metrics.isEmpty()) {
      TestServer.expectOk(s.post(token, api(tenant, "runs/log-batch"), Map.of("run_id", runId, "metrics", metrics)));
    }
  }

  public static Map<String, Object> metric(String key, double value, long step) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", key);
    m.put("value", value);
    m.put("timestamp", 1_718_000_000_000L + step * 1000);
    m.put("step", step);
    return m;
  }
}
