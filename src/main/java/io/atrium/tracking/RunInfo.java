package io.atrium.tracking;

/** A run's info block. {@code endTime} and {@code startTime} are null when unset. */
public record RunInfo(
    String runUuid, long experimentId, String runName, String userId, String status, Long startTime, Long endTime,
    String artifactUri, String lifecycleStage) {

  public boolean active() {
    return Lifecycle.ACTIVE.equals(lifecycleStage);
  }
}
