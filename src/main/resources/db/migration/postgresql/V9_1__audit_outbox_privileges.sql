-- audit_outbox is control plane, like audit_log (no row-level security: the chainer reads and
-- deletes every tenant's entries). The application role inserts entries and the chainer deletes
-- the ones it has chained; nothing ever edits one, so the role may not.
REVOKE UPDATE, TRUNCATE ON audit_outbox FROM "${app_role}";
