-- Model registry, MLflow 3 logged models and cross-tenant sharing grants (issue 3).
-- Every table is tenant-owned: tenant_id first in the primary key, read only through
-- Database.inTenant(). Names are unique per tenant, never globally.

-- MLflow 3 logged models. artifact_location is always Atrium's own
-- mlflow-artifacts:/<experiment_id>/models/<model_id>/artifacts; it is never user-chosen.
CREATE TABLE logged_models (
  tenant_id          BIGINT        NOT NULL,
  model_id           VARCHAR(64)   NOT NULL,
  experiment_id      BIGINT        NOT NULL,
  name               VARCHAR(500)  NOT NULL,
  artifact_location  VARCHAR(2048) NOT NULL,
  creation_time      BIGINT        NOT NULL,
  last_updated_time  BIGINT        NOT NULL,
  status             VARCHAR(32)   NOT NULL,       -- LOGGED_MODEL_PENDING | _READY | _UPLOAD_FAILED
  status_message     VARCHAR(1000),
  lifecycle_stage    VARCHAR(32)   NOT NULL,       -- active | deleted
  model_type         VARCHAR(500),
  source_run_id      VARCHAR(32),
  creator            VARCHAR(256),
  deleted_time       BIGINT,
  PRIMARY KEY (tenant_id, model_id)
);
CREATE INDEX logged_models_experiment_ix ON logged_models (tenant_id, experiment_id, creation_time);

CREATE TABLE logged_model_tags (
  tenant_id      BIGINT        NOT NULL,
  model_id       VARCHAR(64)   NOT NULL,
  tag_key        VARCHAR(250)  NOT NULL,
  tag_value      VARCHAR(8000),
  PRIMARY KEY (tenant_id, model_id, tag_key)
);

CREATE TABLE logged_model_params (
  tenant_id      BIGINT        NOT NULL,
  model_id       VARCHAR(64)   NOT NULL,
  param_key      VARCHAR(250)  NOT NULL,
  param_value    VARCHAR(8000) NOT NULL,
  PRIMARY KEY (tenant_id, model_id, param_key)
);

-- runs/outputs: which logged models a run produced, at which step.
CREATE TABLE run_outputs (
  tenant_id      BIGINT        NOT NULL,
  run_uuid       VARCHAR(32)   NOT NULL,
  model_id       VARCHAR(64)   NOT NULL,
  step           BIGINT        NOT NULL,
  PRIMARY KEY (tenant_id, run_uuid, model_id)
);

-- next_version keeps version numbers monotonic per model even after versions are deleted, as
-- MLflow does (a deleted "3" is never handed out again).
CREATE TABLE registered_models (
  tenant_id          BIGINT        NOT NULL,
  name               VARCHAR(256)  NOT NULL,
  creation_time      BIGINT        NOT NULL,
  last_updated_time  BIGINT        NOT NULL,
  description        VARCHAR(5000),
  user_id            VARCHAR(256),
  next_version       INT           NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE registered_model_tags (
  tenant_id      BIGINT        NOT NULL,
  name           VARCHAR(256)  NOT NULL,
  tag_key        VARCHAR(250)  NOT NULL,
  tag_value      VARCHAR(5000),
  PRIMARY KEY (tenant_id, name, tag_key)
);

CREATE TABLE registered_model_aliases (
  tenant_id      BIGINT        NOT NULL,
  name           VARCHAR(256)  NOT NULL,
  alias          VARCHAR(256)  NOT NULL,
  version        INT           NOT NULL,
  PRIMARY KEY (tenant_id, name, alias)
);

-- source is what the client sent (validated: same-tenant runs:/, models:/ or mlflow-artifacts:/);
-- storage_location is where the files are, resolved once at creation (get-download-uri answers it).
CREATE TABLE model_versions (
  tenant_id          BIGINT        NOT NULL,
  name               VARCHAR(256)  NOT NULL,
  version            INT           NOT NULL,
  creation_time      BIGINT        NOT NULL,
  last_updated_time  BIGINT        NOT NULL,
  description        VARCHAR(5000),
  user_id            VARCHAR(256),
  current_stage      VARCHAR(20)   NOT NULL,
  source             VARCHAR(2048) NOT NULL,
  storage_location   VARCHAR(2048) NOT NULL,
  run_id             VARCHAR(32),
  run_link           VARCHAR(2048),
  status             VARCHAR(32)   NOT NULL,
  status_message     VARCHAR(500),
  model_id           VARCHAR(64),
  PRIMARY KEY (tenant_id, name, version)
);

CREATE TABLE model_version_tags (
  tenant_id      BIGINT        NOT NULL,
  name           VARCHAR(256)  NOT NULL,
  version        INT           NOT NULL,
  tag_key        VARCHAR(250)  NOT NULL,
  tag_value      VARCHAR(5000),
  PRIMARY KEY (tenant_id, name, version, tag_key)
);

-- A read grant on one registered model from its owner (tenant_id) to another tenant. versions is
-- NULL for "all versions, present and future", else a comma-separated list of version numbers.
-- Revocation deletes the row; the audit log keeps the history. The row is owned by the granting
-- tenant; on PostgreSQL the grantee may read it too (see V4_1), never write it.
CREATE TABLE model_shares (
  tenant_id          BIGINT        NOT NULL,
  share_id           VARCHAR(32)   NOT NULL,
  model_name         VARCHAR(256)  NOT NULL,
  grantee_tenant_id  BIGINT        NOT NULL,
  versions           VARCHAR(2000),
  created_by         VARCHAR(128)  NOT NULL,
  created_at         BIGINT        NOT NULL,
  PRIMARY KEY (tenant_id, share_id),
  CONSTRAINT model_shares_uq UNIQUE (tenant_id, model_name, grantee_tenant_id)
);
CREATE INDEX model_shares_grantee_ix ON model_shares (grantee_tenant_id, tenant_id);
