-- Logged-model metrics are tenant-owned: same policy as every other data-plane table (V1_1).
ALTER TABLE logged_model_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE logged_model_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON logged_model_metrics
  USING (tenant_id = NULLIF(current_setting('atrium.tenant_id', true), '')::bigint)
  WITH CHECK (tenant_id = NULLIF(current_setting('atrium.tenant_id', true), '')::bigint);
