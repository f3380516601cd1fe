#!/usr/bin/env python3
# Writes src/main/resources/openapi/atrium.json, the OpenAPI 3.0 document of Atrium's API:
#   python3 fuzz/gen_openapi.py src/main/resources/openapi/atrium.json
# One op(...) line per route of the server's route table; OpenApiIT fails when the two differ.
import json, re, sys
S = lambda **k: dict(type="string", **k)
I = lambda **k: dict(type="integer", format="int64", **k)
N = lambda **k: dict(type="number", **k)
B = dict(type="boolean")
A = lambda it, **k: dict(type="array", items=it, **k)
def O(props=None, req=None, **k):
    o = dict(type="object")
    if props: o["properties"] = props
    if req: o["required"] = req
    o.update(k); return o
R = lambda n: {"$ref": "#/components/schemas/" + n}
KV = O({"key": S(), "value": S()}, ["key"])
comp = {
 "Error": O({"error_code": S(), "message": S()}, ["error_code", "message"]),
 "KeyValue": KV,
 "Experiment": O({"experiment_id": S(), "name": S(), "artifact_location": S(), "lifecycle_stage": S(),
                  "creation_time": I(), "last_update_time": I(), "tags": A(R("KeyValue"))}),
 "Run": O({"info": O({"run_id": S(), "run_uuid": S(), "experiment_id": S(), "status": S(), "lifecycle_stage": S(),
                      "artifact_uri": S(), "start_time": I(), "end_time": I(), "run_name": S(), "user_id": S()}),
           "data": O({"metrics": A(O()), "params": A(R("KeyValue")), "tags": A(R("KeyValue"))}),
           "inputs": O(), "outputs": O()}),
 "Metric": O({"key": S(), "value": N(), "timestamp": I(), "step": I(), "model_id": S(), "dataset_name": S(),
              "dataset_digest": S()}),
 "LoggedModel": O({"info": O({"model_id": S(), "experiment_id": S(), "name": S(), "status": S(), "artifact_uri": S()}),
                   "data": O()}),
 "RegisteredModel": O({"name": S(), "creation_timestamp": I(), "last_updated_timestamp": I(), "description": S(),
                       "latest_versions": A(O()), "tags": A(R("KeyValue")), "aliases": A(O())}),
 "ModelVersion": O({"name": S(), "version": S(), "creation_timestamp": I(), "last_updated_timestamp": I(),
                    "current_stage": S(), "source": S(), "run_id": S(), "status": S(), "description": S(),
                    "tags": A(R("KeyValue")), "aliases": A(S())}),
 "Tenant": O({"name": S(), "status": S(), "created_at": I(), "updated_at": I()}),
 "Principal": O({"name": S(), "kind": S(), "platform_admin": B, "home_tenant": S(), "created_at": I()}),
 "Member": O({"principal": S(), "kind": S(), "role": S(), "since": I()}),
 "TokenInfo": O({"id": I(), "name": S(), "principal": S(), "tenant": S(), "created_at": I(), "expires_at": I(),
                 "last_used_at": I(), "revoked_at": I(), "token": S()}),
 "Share": O({"share_id": S(), "owner": S(), "model": S(), "to_tenant": S(), "shared_name": S(), "versions": {},
             "created_by": S(), "created_at": I()}),
 "AuditEntry": O({"seq": I(), "time": I(), "actor": S(), "tenant": S(), "action": S(), "resource": S(),
                  "outcome": S(), "request_id": S(), "client_address": S(), "hash": S()}),
 "Limits": O({"rps": N(), "burst": I(), "concurrency": I(), "runs_per_minute": N(), "storage_bytes": I()}),
}
ops = []
def op(method, path, scope, summary, query=None, body=None, resp=None, raw=None, ct=None):
    ops.append(dict(method=method, path=path, scope=scope, summary=summary, query=query or {}, body=body, resp=resp, raw=raw, ct=ct))
P = "/api/2.0/mlflow"; RM = P + "/registered-models"; MV = P + "/model-versions"; LM = P + "/logged-models"
V1 = "/api/atrium/v1"; ART = "/api/2.0/mlflow-artifacts"
q = lambda **k: k  # name -> (schema, required)
# health & discovery
op("get", "/health", "PUBLIC", "Liveness", resp=O({"status": S()}))
op("get", "/ready", "PUBLIC", "Readiness: database reachable, migrations applied", resp=O({"status": S()}))
op("get", "/metrics", "PRINCIPAL", "Prometheus metrics (platform admins only)", ct="text/plain")
op("get", V1 + "/openapi.json", "PUBLIC", "This document", resp=O())
op("get", "/api/3.0/mlflow/server-info", "PUBLIC", "MLflow 3 server info", resp=O())
op("get", "/api/3.0/mlflow/workspaces", "PRINCIPAL", "The caller's tenants as MLflow workspaces", resp=O({"workspaces": A(O())}))
op("get", "/api/3.0/mlflow/workspaces/{name}", "PRINCIPAL", "One workspace (tenant) of the caller", resp=O({"workspace": O()}))
# tenants
op("post", V1 + "/tenants", "PRINCIPAL", "Create a tenant (platform admins)", body=O({"name": S(), "display_name": S()}, ["name"]), resp=O({"tenant": R("Tenant")}))
op("get", V1 + "/tenants", "PRINCIPAL", "Tenants the caller may see", resp=O({"tenants": A(R("Tenant"))}))
op("get", V1 + "/tenants/{name}", "PRINCIPAL", "One tenant", resp=O({"tenant": R("Tenant")}))
op("post", V1 + "/tenants/{name}/suspend", "PRINCIPAL", "Suspend (platform admins)", body=O(), resp=O({"tenant": R("Tenant")}))
op("post", V1 + "/tenants/{name}/reactivate", "PRINCIPAL", "Reactivate (platform admins)", body=O(), resp=O({"tenant": R("Tenant")}))
op("delete", V1 + "/tenants/{name}", "PRINCIPAL", "Soft-delete (platform admins)", resp=O({"tenant": R("Tenant")}))
op("get", V1 + "/tenants/{name}/limits", "PRINCIPAL", "Effective limits (tenant admins)", resp=O({"limits": R("Limits")}))
op("put", V1 + "/tenants/{name}/limits", "PRINCIPAL", "Set limit overrides (platform admins)", body=O({"rps": N(minimum=0), "burst": dict(type="integer", minimum=0), "concurrency": dict(type="integer", minimum=0), "runs_per_minute": N(minimum=0), "storage_bytes": I(minimum=0)}), resp=O({"limits": R("Limits")}))
op("get", V1 + "/tenants/{name}/usage", "PRINCIPAL", "Metered usage (tenant admins)", query={"granularity": (S(enum=["hour", "day", "month"]), False), "from": (S(), False), "to": (S(), False)}, resp=O({"tenant": S(), "granularity": S(), "from": S(), "to": S(), "buckets": A(O())}))
# identity
op("get", V1 + "/whoami", "PRINCIPAL", "The caller", resp=O())
op("post", V1 + "/users", "PRINCIPAL", "Create a user", body=O({"name": S(), "tenant": S(), "role": S(enum=["viewer", "editor", "admin", "owner"]), "platform_admin": B}, ["name"]), resp=O({"principal": R("Principal")}))
op("post", V1 + "/tenants/{name}/service-accounts", "PRINCIPAL", "Create a service account", body=O({"name": S(), "role": S(enum=["viewer", "editor", "admin", "owner"])}, ["name"]), resp=O({"principal": R("Principal")}))
op("get", V1 + "/tenants/{name}/members", "PRINCIPAL", "Members", resp=O({"members": A(R("Member"))}))
op("put", V1 + "/tenants/{name}/members/{principal}", "PRINCIPAL", "Add a member or change a role", body=O({"role": S(enum=["viewer", "editor", "admin", "owner"])}, ["role"]), resp=O({"member": R("Member")}))
op("delete", V1 + "/tenants/{name}/members/{principal}", "PRINCIPAL", "Remove a member", resp=O())
op("post", V1 + "/principals/{principal}/tokens", "PRINCIPAL", "Mint a token (shown once)", body=O({"name": S(), "expires_in_days": dict(type="integer", minimum=1, maximum=3650)}, ["name"]), resp=O({"token": R("TokenInfo")}))
op("get", V1 + "/principals/{principal}/tokens", "PRINCIPAL", "A principal's tokens (no secrets)", resp=O({"tokens": A(R("TokenInfo"))}))
op("delete", V1 + "/tokens/{id}", "PRINCIPAL", "Revoke a token", resp=O())
# audit, gc, shares
op("get", V1 + "/audit", "PRINCIPAL", "The whole audit log (platform admins)", query={"limit": (dict(type="integer", minimum=1, maximum=1000), False), "before": (I(), False)}, resp=O({"entries": A(R("AuditEntry")), "next_before": I()}))
op("get", V1 + "/audit/verify", "PRINCIPAL", "Verify the hash chain (platform admins)", resp=O({"intact": B, "entries_checked": I(), "first_bad_seq": I(), "detail": S()}))
op("get", V1 + "/tenants/{name}/audit", "PRINCIPAL", "A tenant's audit log (tenant admins)", query={"limit": (dict(type="integer", minimum=1, maximum=1000), False), "before": (I(), False)}, resp=O({"entries": A(R("AuditEntry")), "next_before": I()}))
op("post", V1 + "/gc", "PRINCIPAL", "Artifact garbage collection (platform admins)", body=O({"retention_days": dict(type="integer", minimum=0)}), resp=O())
op("post", V1 + "/tenants/{tenant}/shares", "PRINCIPAL", "Grant a model to another tenant", body=O({"model": S(), "to_tenant": S(), "versions": A(S())}, ["model", "to_tenant"]), resp=O({"share": R("Share")}))
op("get", V1 + "/tenants/{tenant}/shares", "PRINCIPAL", "Grants given and received", resp=O({"shares": A(R("Share")), "received": A(R("Share"))}))
op("delete", V1 + "/tenants/{tenant}/shares", "PRINCIPAL", "Revoke by model and grantee", body=O({"model": S(), "to_tenant": S()}, ["model", "to_tenant"]), resp=O())
op("delete", V1 + "/tenants/{tenant}/shares/{share_id}", "PRINCIPAL", "Revoke by id", resp=O())
# tracking
EID = S(); RID = S()
op("post", P + "/experiments/create", "TENANT", "Create an experiment", body=O({"name": S(), "artifact_location": S(), "tags": A(R("KeyValue"))}, ["name"]), resp=O({"experiment_id": S()}))
op("get", P + "/experiments/get", "TENANT", "Get an experiment", query={"experiment_id": (S(), True)}, resp=O({"experiment": R("Experiment")}))
op("get", P + "/experiments/get-by-name", "TENANT", "Get an experiment by name", query={"experiment_name": (S(), True)}, resp=O({"experiment": R("Experiment")}))
srch = O({"max_results": dict(type="integer", minimum=1, maximum=50000), "page_token": S(), "filter": S(), "order_by": A(S()), "view_type": S(enum=["ACTIVE_ONLY", "DELETED_ONLY", "ALL"])})
op("post", P + "/experiments/search", "TENANT", "Search experiments", body=srch, resp=O({"experiments": A(R("Experiment")), "next_page_token": S()}))
op("get", P + "/experiments/search", "TENANT", "Search experiments", query={"max_results": (dict(type="integer", minimum=1, maximum=50000), False), "filter": (S(), False), "view_type": (S(enum=["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]), False)}, resp=O({"experiments": A(R("Experiment")), "next_page_token": S()}))
for nm, extra, req in [("delete", {}, []), ("restore", {}, []), ("update", {"new_name": S()}, ["new_name"])]:
    op("post", P + "/experiments/" + nm, "TENANT", nm.capitalize() + " an experiment", body=O(dict(experiment_id=S(), **extra), ["experiment_id"] + req), resp=O())
op("post", P + "/experiments/set-experiment-tag", "TENANT", "Set an experiment tag", body=O({"experiment_id": S(), "key": S(), "value": S()}, ["experiment_id", "key", "value"]), resp=O())
op("post", P + "/experiments/delete-experiment-tag", "TENANT", "Delete an experiment tag", body=O({"experiment_id": S(), "key": S()}, ["experiment_id", "key"]), resp=O())
op("post", P + "/runs/create", "TENANT", "Create a run", body=O({"experiment_id": S(), "user_id": S(), "run_name": S(), "start_time": I(), "tags": A(R("KeyValue"))}), resp=O({"run": R("Run")}))
op("get", P + "/runs/get", "TENANT", "Get a run", query={"run_id": (S(), True)}, resp=O({"run": R("Run")}))
op("post", P + "/runs/update", "TENANT", "Update a run", body=O({"run_id": S(), "run_uuid": S(), "status": S(enum=["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]), "end_time": I(), "run_name": S()}), resp=O({"run_info": O()}))
for nm in ["delete", "restore"]:
    op("post", P + "/runs/" + nm, "TENANT", nm.capitalize() + " a run", body=O({"run_id": S()}, ["run_id"]), resp=O())
op("post", P + "/runs/log-metric", "TENANT", "Log a metric", body=O({"run_id": S(), "run_uuid": S(), "key": S(), "value": N(), "timestamp": I(), "step": I(), "model_id": S(), "dataset_name": S(), "dataset_digest": S()}, ["key", "value", "timestamp"]), resp=O())
op("post", P + "/runs/log-parameter", "TENANT", "Log a parameter", body=O({"run_id": S(), "run_uuid": S(), "key": S(), "value": S()}, ["key", "value"]), resp=O())
op("post", P + "/runs/set-tag", "TENANT", "Set a run tag", body=O({"run_id": S(), "run_uuid": S(), "key": S(), "value": S()}, ["key", "value"]), resp=O())
op("post", P + "/runs/delete-tag", "TENANT", "Delete a run tag", body=O({"run_id": S(), "key": S()}, ["run_id", "key"]), resp=O())
op("post", P + "/runs/log-batch", "TENANT", "Log metrics, params and tags", body=O({"run_id": S(), "metrics": A(R("Metric"), maxItems=1000), "params": A(R("KeyValue"), maxItems=100), "tags": A(R("KeyValue"), maxItems=100)}, ["run_id"]), resp=O())
op("post", P + "/runs/log-inputs", "TENANT", "Log dataset and logged-model inputs", body=O({"run_id": S(), "datasets": A(O()), "models": A(O({"model_id": S()}, ["model_id"]))}, ["run_id"]), resp=O())
op("post", P + "/runs/search", "TENANT", "Search runs", body=O({"experiment_ids": A(S()), "filter": S(), "run_view_type": S(enum=["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]), "max_results": dict(type="integer", minimum=1, maximum=50000), "order_by": A(S()), "page_token": S()}), resp=O({"runs": A(R("Run")), "next_page_token": S()}))
op("get", P + "/metrics/get-history", "TENANT", "A metric's history", query={"run_id": (S(), True), "metric_key": (S(), True), "max_results": (dict(type="integer", minimum=1), False), "page_token": (S(), False)}, resp=O({"metrics": A(R("Metric")), "next_page_token": S()}))
op("get", P + "/metrics/get-history-bulk-interval", "TENANT", "Sampled histories of several runs", query={"run_ids": (A(S(), maxItems=100), True), "metric_key": (S(), True), "start_step": (I(), False), "end_step": (I(), False), "max_results": (dict(type="integer", minimum=1), False)}, resp=O({"metrics": A(O())}))
op("post", P + "/runs/outputs", "TENANT", "Link logged models to a run", body=O({"run_id": S(), "models": A(O({"model_id": S(), "step": I()}))}, ["run_id"]), resp=O())
# logged models
op("post", LM, "TENANT", "Create a logged model", body=O({"experiment_id": S(), "name": S(), "model_type": S(), "source_run_id": S(), "params": A(R("KeyValue")), "tags": A(R("KeyValue"))}, ["experiment_id"]), resp=O({"model": R("LoggedModel")}))
op("post", LM + "/search", "TENANT", "Search logged models", body=O({"experiment_ids": A(S()), "filter": S(), "datasets": A(O({"dataset_name": S(), "dataset_digest": S()}, ["dataset_name"])), "max_results": dict(type="integer", minimum=1), "order_by": A(O()), "page_token": S()}), resp=O({"models": A(R("LoggedModel")), "next_page_token": S()}))
op("get", LM + "/{model_id}", "TENANT", "Get a logged model", query={"allow_deleted": (B, False)}, resp=O({"model": R("LoggedModel")}))
op("get", LM + "/{model_id}/artifacts/directories", "TENANT", "List a logged model's artifacts (MLflow's ListLoggedModelArtifacts)", query={"artifact_directory_path": (S(), False)}, resp=O({"root_uri": S(), "files": A(O({"path": S(), "is_dir": B, "file_size": I()}))}))
op("patch", LM + "/{model_id}", "TENANT", "Finalize a logged model", body=O({"status": S(enum=["LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"])}, ["status"]), resp=O({"model": R("LoggedModel")}))
op("delete", LM + "/{model_id}", "TENANT", "Delete a logged model", resp=O())
op("patch", LM + "/{model_id}/tags", "TENANT", "Set logged model tags", body=O({"tags": A(R("KeyValue"))}), resp=O({"model": R("LoggedModel")}))
op("delete", LM + "/{model_id}/tags/{tag_key}", "TENANT", "Delete a logged model tag", resp=O())
op("post", LM + "/{model_id}/params", "TENANT", "Log logged model params", body=O({"params": A(R("KeyValue"))}), resp=O())
# registry
NM = {"name": (S(), True)}
op("post", RM + "/create", "TENANT", "Create a registered model", body=O({"name": S(), "description": S(), "tags": A(R("KeyValue"))}, ["name"]), resp=O({"registered_model": R("RegisteredModel")}))
op("get", RM + "/get", "TENANT", "Get a registered model", query=NM, resp=O({"registered_model": R("RegisteredModel")}))
op("patch", RM + "/update", "TENANT", "Update a registered model", body=O({"name": S(), "description": S()}, ["name"]), resp=O({"registered_model": R("RegisteredModel")}))
op("post", RM + "/rename", "TENANT", "Rename a registered model", body=O({"name": S(), "new_name": S()}, ["name", "new_name"]), resp=O({"registered_model": R("RegisteredModel")}))
op("delete", RM + "/delete", "TENANT", "Delete a registered model", query=NM, resp=O())
rsq = {"filter": (S(), False), "max_results": (dict(type="integer", minimum=1, maximum=1000), False), "order_by": (A(S()), False), "page_token": (S(), False)}
op("get", RM + "/search", "TENANT", "Search registered models", query=rsq, resp=O({"registered_models": A(R("RegisteredModel")), "next_page_token": S()}))
op("post", RM + "/get-latest-versions", "TENANT", "Latest versions per stage", body=O({"name": S(), "stages": A(S())}, ["name"]), resp=O({"model_versions": A(R("ModelVersion"))}))
op("get", RM + "/get-latest-versions", "TENANT", "Latest versions per stage", query={"name": (S(), True), "stages": (A(S()), False)}, resp=O({"model_versions": A(R("ModelVersion"))}))
op("post", RM + "/set-tag", "TENANT", "Set a registered model tag", body=O({"name": S(), "key": S(), "value": S()}, ["name", "key", "value"]), resp=O())
op("delete", RM + "/delete-tag", "TENANT", "Delete a registered model tag", query={"name": (S(), True), "key": (S(), True)}, resp=O())
op("post", RM + "/alias", "TENANT", "Set an alias", body=O({"name": S(), "alias": S(), "version": S()}, ["name", "alias", "version"]), resp=O())
op("delete", RM + "/alias", "TENANT", "Delete an alias", query={"name": (S(), True), "alias": (S(), True)}, resp=O())
op("get", RM + "/alias", "TENANT", "Version by alias", query={"name": (S(), True), "alias": (S(), True)}, resp=O({"model_version": R("ModelVersion")}))
op("post", MV + "/create", "TENANT", "Create a model version (sources in the caller's tenant only)", body=O({"name": S(), "source": S(), "run_id": S(), "run_link": S(), "description": S(), "model_id": S(), "tags": A(R("KeyValue"))}, ["name", "source"]), resp=O({"model_version": R("ModelVersion")}))
NV = {"name": (S(), True), "version": (S(), True)}
op("get", MV + "/get", "TENANT", "Get a model version", query=NV, resp=O({"model_version": R("ModelVersion")}))
op("patch", MV + "/update", "TENANT", "Update a model version", body=O({"name": S(), "version": S(), "description": S()}, ["name", "version"]), resp=O({"model_version": R("ModelVersion")}))
op("post", MV + "/transition-stage", "TENANT", "Transition a version's stage", body=O({"name": S(), "version": S(), "stage": S(), "archive_existing_versions": B}, ["name", "version", "stage"]), resp=O({"model_version": R("ModelVersion")}))
op("delete", MV + "/delete", "TENANT", "Delete a model version", query=NV, resp=O())
op("get", MV + "/search", "TENANT", "Search model versions", query=rsq, resp=O({"model_versions": A(R("ModelVersion")), "next_page_token": S()}))
op("get", MV + "/get-download-uri", "TENANT", "A version's artifact URI", query=NV, resp=O({"artifact_uri": S()}))
op("post", MV + "/set-tag", "TENANT", "Set a version tag", body=O({"name": S(), "version": S(), "key": S(), "value": S()}, ["name", "version", "key", "value"]), resp=O())
op("delete", MV + "/delete-tag", "TENANT", "Delete a version tag", query={"name": (S(), True), "version": (S(), True), "key": (S(), True)}, resp=O())
# artifacts
op("get", ART + "/artifacts", "TENANT", "List artifacts under a path", query={"path": (S(), False)}, resp=O({"files": A(O({"path": S(), "is_dir": B, "file_size": I()}))}))
op("get", ART + "/artifacts/{path}", "TENANT", "Download an artifact (Range supported)", ct="application/octet-stream")
op("put", ART + "/artifacts/{path}", "TENANT", "Upload an artifact (streamed; bounded by the storage quota)", raw=True, resp=O())
op("delete", ART + "/artifacts/{path}", "TENANT", "Delete an artifact or directory", resp=O())
op("post", ART + "/mpu/create/{path}", "TENANT", "Start a multipart upload into directory {path}; path is the client's file (its base name is used). Answers one signed part URL per part", body=O({"path": S(), "num_parts": dict(type="integer", minimum=1, maximum=10000)}, ["path"]), resp=O({"upload_id": S(), "credentials": A(O({"url": S(), "part_number": I(), "headers": O()}))}))
op("post", ART + "/mpu/complete/{path}", "TENANT", "Complete a multipart upload: the listed parts, in order, become the file", body=O({"path": S(), "upload_id": S(), "parts": A(O({"part_number": I(), "etag": S(), "url": S()}, ["part_number"]))}, ["path", "upload_id", "parts"]), resp=O())
op("post", ART + "/mpu/abort/{path}", "TENANT", "Abort a multipart upload and drop its parts", body=O({"path": S(), "upload_id": S()}, ["path", "upload_id"]), resp=O())
op("put", ART + "/mpu/part/{tenant_id}/{upload_id}/{part_number}", "PUBLIC", "Upload one part to the signed URL from create (no bearer token: the expires and sig query parameters are the credential; any bad one is 404). Answers the part's ETag header", query={"expires": (I(), True), "sig": (S(), True)}, raw=True, resp=O())
op("get", P + "/artifacts/list", "TENANT", "List a run's artifacts", query={"run_id": (S(), True), "path": (S(), False), "page_token": (S(), False)}, resp=O({"root_uri": S(), "files": A(O())}))

paths = {}
for o in ops:
    p = paths.setdefault(o["path"], {})
    opid = (o["method"] + "_" + re.sub(r"[^A-Za-z0-9]+", "_", o["path"]).strip("_"))
    d = {"operationId": opid, "summary": o["summary"], "x-atrium-scope": o["scope"]}
    if o["scope"] == "PUBLIC":
        d["security"] = []
    params = []
    for pn in re.findall(r"\{([a-z_]+)\}", o["path"]):
        params.append({"name": pn, "in": "path", "required": True, "schema": S(minLength=1)})
    for qn, (sch, req) in o["query"].items():
        prm = {"name": qn, "in": "query", "required": req, "schema": sch}
        if sch.get("type") == "array":
            prm["style"] = "form"; prm["explode"] = True
        params.append(prm)
    if o["scope"] == "TENANT":
        params.append({"name": "X-MLFLOW-WORKSPACE", "in": "header", "required": False,
                       "description": "The tenant to act in (default: the caller's home tenant). Also selectable by the /t/{tenant}/ path prefix, under which every TENANT operation is served too (and under /ajax-api/).",
                       "schema": S(pattern="^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")})
    if params:
        d["parameters"] = params
    if o["body"] is not None:
        d["requestBody"] = {"required": True, "content": {"application/json": {"schema": o["body"]}}}
    if o["raw"]:
        d["requestBody"] = {"required": True, "content": {"application/octet-stream": {"schema": S(format="binary")}}}
    ok = {"description": "OK"}
    if o["ct"]:
        ok["content"] = {o["ct"]: {"schema": S() if o["ct"].startswith("text") else S(format="binary")}}
    elif o["resp"] is not None:
        ok["content"] = {"application/json": {"schema": o["resp"]}}
    d["responses"] = {"200": ok, "206": {"description": "Partial content (artifact downloads with Range)"} if "artifacts/{path}" in o["path"] and o["method"] == "get" else None,
                      "default": {"description": "An error, MLflow's shape", "content": {"application/json": {"schema": R("Error")}}}}
    d["responses"] = {k: v for k, v in d["responses"].items() if v}
    p[o["method"]] = d
doc = {
 "openapi": "3.0.3",
 "info": {"title": "Atrium API", "version": "0.1.0",
          "description": "Atrium's admin API (/api/atrium/v1) and the MLflow REST API it serves. Operations with x-atrium-scope TENANT act in one tenant, chosen by the /t/{tenant}/ path prefix, the X-MLFLOW-WORKSPACE header, or the caller's home tenant. Authenticate with Authorization: Bearer <token> (or Basic with the token as password). Errors are {error_code, message}. Written with fuzz/gen_openapi.py (edit it and regenerate); io.atrium.security.OpenApiIT fails when this document and the route table differ."},
 "servers": [{"url": "/"}],
 "security": [{"bearer": []}],
 "paths": paths,
 "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": comp},
}
json.dump(doc, open(sys.argv[1], "w"), indent=1)
print(len(ops), "operations")
