-- Multipart uploads of MLflow's artifact proxy (tenant-owned). An upload is created, its parts are
-- PUT to signed part URLs, and it is completed (the parts become one artifact) or aborted. Staged
-- parts count against the tenant's artifact_usage.bytes_stored while they exist: each part's size
-- is added under the usage lock when it is stored and taken off again on complete or abort, so the
-- total stays exact at every commit (V3's rule).
CREATE TABLE artifact_uploads (
  tenant_id         BIGINT        NOT NULL,
  upload_id         VARCHAR(64)   NOT NULL,              -- random, given to the client
  path              VARCHAR(1024) NOT NULL,              -- the artifact it will become, like artifact_objects.path
  num_parts         INT           NOT NULL,
  storage_upload_id VARCHAR(1024) NOT NULL,              -- the S3 UploadId; '' for local storage
  created_at        BIGINT        NOT NULL,
  expires_at        BIGINT        NOT NULL,              -- part URLs are refused after this
  PRIMARY KEY (tenant_id, upload_id)
);

CREATE TABLE artifact_upload_parts (
  tenant_id   BIGINT      NOT NULL,
  upload_id   VARCHAR(64) NOT NULL,
  part_number INT         NOT NULL,
  size_bytes  BIGINT      NOT NULL,
  etag        VARCHAR(256) NOT NULL,
  PRIMARY KEY (tenant_id, upload_id, part_number)
);

-- The key that signs part URLs (HMAC-SHA256), one row, made by the first server that starts. Kept
-- here rather than per process so that every replica behind a load balancer accepts the URLs any
-- of them handed out, and a restart does not break uploads in flight. Not tenant-owned.
CREATE TABLE artifact_upload_signing_key (
  id         INT          NOT NULL PRIMARY KEY,
  secret     VARCHAR(128) NOT NULL,
  created_at BIGINT       NOT NULL
);
