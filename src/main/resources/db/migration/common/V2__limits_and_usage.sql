-- Per-tenant limit overrides (control plane). NULL = the platform default from configuration.
CREATE TABLE tenant_limits (
  tenant_id        BIGINT NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
  rps              DOUBLE PRECISION,
  burst            INT,
  concurrency      INT,
  runs_per_minute  DOUBLE PRECISION,
  storage_bytes    BIGINT,
  updated_at       BIGINT NOT NULL
);

-- Usage counters per tenant and hour (control plane: operators read them across tenants).
-- Rows are added to (value = value + delta) by the meter's periodic flush, never rewritten.
CREATE TABLE usage_counters (
  tenant_id    BIGINT      NOT NULL,
  hour_start   BIGINT      NOT NULL,                -- epoch millis, truncated to the hour (UTC)
  counter      VARCHAR(64) NOT NULL,
  counter_value BIGINT     NOT NULL,
  PRIMARY KEY (tenant_id, hour_start, counter)
);
