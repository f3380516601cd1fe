package io.atrium.tracking;

/**
 * A metric point logged on a run for an MLflow 3 logged model ({@code model_id} on log-metric or on
 * a log-batch metric), optionally for a dataset; stored on the run as usual and linked to the model.
 */
public record ModelMetric(String modelId, Metric metric, String datasetName, String datasetDigest) {}
