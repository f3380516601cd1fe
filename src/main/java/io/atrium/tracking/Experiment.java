package io.atrium.tracking;

import java.util.Map;

/** An experiment of one tenant. Ids are per tenant; "0" is each tenant's Default experiment. */
public record Experiment(
    long id, String name, String artifactLocation, String lifecycleStage, long creationTime, long lastUpdateTime,
    Map<String, String> tags) {

  public boolean active() {
    return Lifecycle.ACTIVE.equals(lifecycleStage);
  }
}
