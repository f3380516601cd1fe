-- Indexes for run search and for loading a page of runs (issue 5).

-- A run's dataset inputs, looked up by run: the primary key starts with the dataset
-- (source_type, source_id), so without this every lookup by destination read all of a tenant's
-- inputs (loading a page of runs, and the datasets.* filters of runs/search).
CREATE INDEX inputs_destination_ix ON inputs (tenant_id, destination_type, destination_id);

-- runs/search filters and sorts on a metric's latest value (metrics.m > x, order_by metrics.m):
-- with (key, value) indexed the database reads only the runs in range, in value order, instead
-- of every latest value of the tenant (100,000 rows for 10,000 runs with 10 metrics each).
CREATE INDEX latest_metrics_key_value_ix ON latest_metrics (tenant_id, metric_key, metric_value);
