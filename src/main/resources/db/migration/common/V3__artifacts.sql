-- Artifact storage accounting (tenant-owned). One row per stored file with its size, and one row
-- per tenant with the total: both are changed in the same transaction, under a lock on the total's
-- row, so the total is exactly the sum of the files at every commit (uploads, overwrites, deletes,
-- garbage collection) and concurrent uploads cannot both slip under the quota.
CREATE TABLE artifact_objects (
  tenant_id    BIGINT        NOT NULL,
  path         VARCHAR(1024) NOT NULL,              -- normalized, relative to the tenant's artifact root
  size_bytes   BIGINT        NOT NULL,
  updated_at   BIGINT        NOT NULL,
  PRIMARY KEY (tenant_id, path)
);

CREATE TABLE artifact_usage (
  tenant_id    BIGINT NOT NULL PRIMARY KEY,
  bytes_stored BIGINT NOT NULL,
  object_count BIGINT NOT NULL
);
