-- Row-level security (numbered 1.1 so that it runs right after V1 and before every later
-- migration, on fresh and on upgraded databases alike): the database's own enforcement of tenant isolation, independent of the
-- application's WHERE clauses. Database.inTenant() sets atrium.tenant_id for the transaction; with
-- the setting absent (Database.platform()) the comparison is NULL and no tenant row is visible.
-- FORCE makes the policies apply to the table owner too; the server refuses to start as a role with
-- BYPASSRLS or SUPERUSER.

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenant_sequences', 'experiments', 'experiment_tags', 'runs', 'params',
                           'tags', 'metrics', 'latest_metrics', 'datasets', 'inputs', 'input_tags']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''atrium.tenant_id'', true), '''')::bigint) WITH CHECK (tenant_id = NULLIF(current_setting(''atrium.tenant_id'', true), '''')::bigint)', t);
  END LOOP;
END $$;

-- The application role (may be the owner itself in a one-role set-up; granting to oneself is harmless).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "${app_role}";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "${app_role}";
-- The audit log is append-only for the application.
REVOKE UPDATE, DELETE ON audit_log FROM "${app_role}";

-- Tables created by later migrations get the same grants without each migration repeating them.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "${app_role}";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "${app_role}";
