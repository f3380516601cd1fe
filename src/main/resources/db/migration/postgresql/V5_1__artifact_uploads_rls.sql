-- Multipart upload tables are tenant-owned: same policy as every other data-plane table. The
-- signing key table is the platform's and has no policy (like tenants).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['artifact_uploads', 'artifact_upload_parts']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''atrium.tenant_id'', true), '''')::bigint) WITH CHECK (tenant_id = NULLIF(current_setting(''atrium.tenant_id'', true), '''')::bigint)', t);
  END LOOP;
END $$;
