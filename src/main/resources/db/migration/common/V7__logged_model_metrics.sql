-- MLflow 3 logged-model metrics (issue 3): a metric logged on a run with a model_id is also linked
-- to that logged model, so logged-models/get and /search return it in data.metrics and search can
-- filter and order by it. The run's own metrics/latest_metrics rows are written as before; this is
-- the model's view of the same points (MLflow's logged_model_metrics).
-- Same point twice (model, name, timestamp, step, run) is kept once, as MLflow's primary key does.
-- NaN is kept as is_nan = TRUE (value 0), as in metrics.
CREATE TABLE logged_model_metrics (
  tenant_id           BIGINT           NOT NULL,
  model_id            VARCHAR(64)      NOT NULL,
  metric_name         VARCHAR(250)     NOT NULL,
  metric_timestamp_ms BIGINT           NOT NULL,
  metric_step         BIGINT           NOT NULL,
  run_uuid            VARCHAR(32)      NOT NULL,
  metric_value        DOUBLE PRECISION NOT NULL,
  is_nan              BOOLEAN          NOT NULL,
  experiment_id       BIGINT           NOT NULL,
  dataset_name        VARCHAR(500),
  dataset_digest      VARCHAR(36),
  PRIMARY KEY (tenant_id, model_id, metric_name, metric_timestamp_ms, metric_step, run_uuid)
);

-- The audit action is the route ("GET /api/2.0/mlflow/logged-models/{model_id}/artifacts/directories"
-- is 66 characters): 64 was too narrow for MLflow's longest routes, and a denial's audit write then
-- failed with a 500 instead of the 401/403/404 it records. Widening keeps every stored value and hash.
ALTER TABLE audit_log ALTER COLUMN action SET DATA TYPE VARCHAR(256);
