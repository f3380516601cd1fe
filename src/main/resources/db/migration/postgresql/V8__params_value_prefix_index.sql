-- runs/search's params.<key> = '<value>' (issue 5, W3 on PostgreSQL): without an index on the value
-- every filter read all of a tenant's params (200,000 rows for 10,000 runs with 20 params each).
-- A value may be up to 6,000 characters, more than a B-tree entry holds, so the index is on its
-- first 200 characters; RunSearch compiles the equality as LEFT(param_value, 200) = value (plus the
-- full comparison for values of 200 characters or more), which this index serves.
-- PostgreSQL only: H2 has no expression indexes, and there the search already starts from the runs.
-- CREATE INDEX (not CONCURRENTLY: Flyway runs each migration in a transaction) blocks writes to
-- params while it builds; on a large installation, run it in a maintenance window.
CREATE INDEX params_key_value_prefix_ix ON params (tenant_id, param_key, LEFT(param_value, 200));

-- The value depends on the key (p0 = 'a' is common, other keys never hold 'a'): without these
-- statistics the planner multiplied the two selectivities, expected a few dozen rows for 5,000
-- and chose nested loops of index probes.
CREATE STATISTICS params_key_value_prefix_stats (dependencies, mcv)
  ON param_key, (LEFT(param_value, 200)) FROM params;
