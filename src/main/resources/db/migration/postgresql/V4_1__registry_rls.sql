-- Row-level security for the registry, logged-model and sharing tables (same policy shape as V1_1).

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['logged_models', 'logged_model_tags', 'logged_model_params', 'run_outputs',
                           'registered_models', 'registered_model_tags', 'registered_model_aliases',
                           'model_versions', 'model_version_tags']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''atrium.tenant_id'', true), '''')::bigint) WITH CHECK (tenant_id = NULLIF(current_setting(''atrium.tenant_id'', true), '''')::bigint)', t);
  END LOOP;
END $$;

-- A grant row belongs to the granting tenant, which alone may create, change or delete it. The
-- grantee tenant may read the rows naming it (that is how it resolves a shared model's name):
-- policies are permissive (OR-ed), so the second one widens SELECT only; UPDATE and DELETE still
-- see the owner's rows alone, and WITH CHECK admits only the owner's tenant_id.
ALTER TABLE model_shares ENABLE ROW LEVEL SECURITY;
ALTER TABLE model_shares FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON model_shares
  USING (tenant_id = NULLIF(current_setting('atrium.tenant_id', true), '')::bigint)
  WITH CHECK (tenant_id = NULLIF(current_setting('atrium.tenant_id', true), '')::bigint);
CREATE POLICY grantee_read ON model_shares FOR SELECT
  USING (grantee_tenant_id = NULLIF(current_setting('atrium.tenant_id', true), '')::bigint);
