package io.atrium.tracking;

import io.atrium.db.Database;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantId;
import io.atrium.tenancy.TenantStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Realistic tracking data for store and isolation tests: tenants made the way the server makes
 * them (control-plane row plus Default experiment in one transaction), and runs shaped like a
 * real training job.
 */
public final class TrackingFixtures {
  public static final long T0 = 1_700_000_000_000L;

  private TrackingFixtures() {}

  /** A tenant created exactly as {@code TenantService} does: tenants row and Default experiment together. */
  public static TenantId tenant(Database db, String name) {
    TrackingStore tracking = new TrackingStore(db);
    TenantStore tenants = new TenantStore(db);
    return db.createTenant(h -> tenants.insert(h, name, name, T0), Tenant::id, tracking::initializeTenant).id();
  }

  public static String newRunId() {
    return UUID.randomUUID().toString().replace("-", "");
  }

  /** A new experiment (next per-tenant id) with one running run; returns the run id. */
  public static String experimentWithRun(Database db, TenantId tenant, String experimentName) {
    TrackingStore store = new TrackingStore(db);
    return db.inTenant(
        tenant,
        h -> {
          long exp = store.nextExperimentId(h, tenant);
          store.insertExperiment(h, tenant, exp, experimentName, TrackingStore.artifactLocation(exp), T0);
          String run = newRunId();
          store.insertRun(h, tenant, runInfo(run, exp, experimentName + "-run"));
          return run;
        });
  }

  public static RunInfo runInfo(String runId, long experimentId, String name) {
    return new RunInfo(runId, experimentId, name, "ann", "RUNNING", T0, null,
        "mlflow-artifacts:/" + experimentId + "/" + runId + "/artifacts", Lifecycle.ACTIVE);
  }

  /** Hyper-parameters of a training job: {@code n} of them, deterministic. */
  public static Map<String, String> params(int n) {
    Map<String, String> p = new LinkedHashMap<>();
    String[] optimizers = {"adamw", "sgd", "lion"};
    for (int i = 0; i < n; i++) {
      p.put(switch (i % 5) {
            case 0 -> "learning_rate_" + i;
            case 1 -> "optimizer_" + i;
            case 2 -> "batch_size_" + i;
            case 3 -> "dropout_" + i;
            default -> "layer_" + i + ".hidden_units";
          },
          switch (i % 5) {
            case 0 -> Double.toString(1e-3 / (i + 1));
            case 1 -> optimizers[i % 3];
            case 2 -> Integer.toString(32 << (i % 4));
            case 3 -> Double.toString(0.1 * (i % 5));
            default -> Integer.toString(128 + i);
          });
    }
    return p;
  }

  /** {@code keys} metrics, each logged at steps 0..steps-1, a second apart: a loss-curve-like history. */
  public static List<Metric> metricHistory(int keys, int steps) {
    List<Metric> out = new ArrayList<>(keys * steps);
    for (int k = 0; k < keys; k++) {
      String key = metricKey(k);
      for (int s = 0; s < steps; s++) {
        out.add(new Metric(key, (k + 1) * Math.exp(-s / 250.0) + 0.001 * (s % 7), T0 + s * 1000L, s));
      }
    }
    return out;
  }

  public static String metricKey(int k) {
    return switch (k % 4) {
      case 0 -> "train/loss_" + k;
      case 1 -> "val/loss_" + k;
      case 2 -> "val/accuracy_" + k;
      default -> "system/gpu_utilization_" + k;
    };
  }
}
