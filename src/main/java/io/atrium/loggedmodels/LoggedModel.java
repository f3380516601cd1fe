package io.atrium.loggedmodels;

import java.util.Map;

/** An MLflow 3 logged model: a model's files and metadata, independent of any registry entry. */
public record LoggedModel(
    String modelId,
    long experimentId,
    String name,
    String artifactLocation,
    long creationTime,
    long lastUpdatedTime,
    String status,
    String statusMessage,
    String lifecycleStage,
    String modelType,
    String sourceRunId,
    Map<String, String> tags,
    Map<String, String> params) {

  public static final String PENDING = "LOGGED_MODEL_PENDING";
  public static final String READY = "LOGGED_MODEL_READY";
  public static final String UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED";

  public boolean active() {
    return "active".equals(lifecycleStage);
  }

  LoggedModel with(Map<String, String> newTags, Map<String, String> newParams) {
    return new LoggedModel(modelId, experimentId, name, artifactLocation, creationTime, lastUpdatedTime, status,
        statusMessage, lifecycleStage, modelType, sourceRunId, Map.copyOf(newTags), Map.copyOf(newParams));
  }
}
