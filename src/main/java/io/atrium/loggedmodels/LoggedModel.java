package io.atrium.loggedmodels;

import java.util.List;
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
    Map<String, String> params,
    List<Metric> metrics) {

  /**
   * A metric point linked to the model: logged on run {@code runId} with this model's id, optionally
   * for a dataset. {@code value} may be NaN or infinite.
   */
  public record Metric(String key, double value, long timestamp, long step, String runId, String datasetName,
      String datasetDigest) {}

  public static final String PENDING = "LOGGED_MODEL_PENDING";
  public static final String READY = "LOGGED_MODEL_READY";
  public static final String UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED";

  public boolean active() {
    return "active".equals(lifecycleStage);
  }

  LoggedModel with(Map<String, String> newTags, Map<String, String> newParams, List<Metric> newMetrics) {
    return new LoggedModel(modelId, experimentId, name, artifactLocation, creationTime, lastUpdatedTime, status,
        statusMessage, lifecycleStage, modelType, sourceRunId, Map.copyOf(newTags), Map.copyOf(newParams),
        List.copyOf(newMetrics));
  }
}
