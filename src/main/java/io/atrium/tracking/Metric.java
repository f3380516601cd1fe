package io.atrium.tracking;

/** One metric point. {@code value} may be NaN or infinite, as in MLflow. */
public record Metric(String key, double value, long timestamp, long step) {}
