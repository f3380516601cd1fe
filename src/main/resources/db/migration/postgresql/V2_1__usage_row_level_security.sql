-- Usage counters are tenant-owned: the meter flushes each tenant's counters inside that tenant's
-- transaction, and the usage API reads them the same way.
ALTER TABLE usage_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_counters
  USING (tenant_id = NULLIF(current_setting('atrium.tenant_id', true), '')::bigint)
  WITH CHECK (tenant_id = NULLIF(current_setting('atrium.tenant_id', true), '')::bigint);
