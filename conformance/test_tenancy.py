"""Tenant selection (URI path, workspace, home tenant), both auth styles, and isolation."""

import uuid

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType

from helpers import raises_mlflow

P = "/api/2.0/mlflow"


@pytest.mark.parametrize("auth", ["bearer", "basic"])
@pytest.mark.parametrize("via", ["path", "workspace", "home"])
def test_three_ways_to_choose_tenant_and_both_auth_styles(use, unique, via, auth):
    tenant = None if via == "home" else "acme"
    client = use("alice", tenant, via=via, auth=auth)
    name = unique(f"choose-{via}-{auth}")
    exp_id = mlflow.set_experiment(name).experiment_id
    with mlflow.start_run(run_name="r1") as run:
        mlflow.log_param("via", via)
        mlflow.log_metric("m", 1.5)
    got = client.get_run(run.info.run_id)
    assert got.info.experiment_id == exp_id
    assert got.data.params == {"via": via}
    assert got.data.metrics == {"m": 1.5}
    assert got.info.status == "FINISHED"
    if auth == "basic":  # the client names the run's user after MLFLOW_TRACKING_USERNAME
        assert got.data.tags["mlflow.user"] == "alice" and got.info.user_id == "alice"

    # Every way of naming acme lands in the same tenant.
    for other in ("path", "workspace", "home"):
        c = use("alice", None if other == "home" else "acme", via=other, auth=auth)
        exp = c.get_experiment_by_name(name)
        assert exp is not None and exp.experiment_id == exp_id
        assert [r.info.run_id for r in c.search_runs([exp_id])] == [run.info.run_id]

    # globex knows nothing of it.
    bob = use("bob", "globex", auth=auth)
    assert bob.get_experiment_by_name(name) is None


def test_overlapping_experiment_names_hold_separate_data(use):
    runs = {}
    for user, tenant, lr, acc in (("alice", "acme", "0.1", 0.9), ("bob", "globex", "0.5", 0.4)):
        use(user, tenant)
        exp = mlflow.set_experiment("churn")
        with mlflow.start_run() as run:
            mlflow.log_param("lr", lr)
            mlflow.log_metric("acc", acc)
        runs[tenant] = (exp.experiment_id, run.info.run_id, lr, acc)

    for user, tenant in (("alice", "acme"), ("bob", "globex")):
        client = use(user, tenant)
        exp_id, run_id, lr, acc = runs[tenant]
        exp = client.get_experiment_by_name("churn")
        assert exp.experiment_id == exp_id
        found = client.search_runs([exp.experiment_id])
        assert [r.info.run_id for r in found] == [run_id]
        assert found[0].data.params == {"lr": lr}
        assert found[0].data.metrics == {"acc": acc}
        df = mlflow.search_runs(experiment_names=["churn"])
        assert list(df["run_id"]) == [run_id]


def test_carol_sees_each_tenant_through_its_path(use, unique):
    name = unique("carol")
    ids = {}
    for tenant in ("acme", "globex"):
        use("carol", tenant)
        mlflow.set_experiment(name)
        with mlflow.start_run() as run:
            mlflow.set_tag("tenant", tenant)
        ids[tenant] = run.info.run_id

    for tenant, other in (("acme", "globex"), ("globex", "acme")):
        client = use("carol", tenant)
        exp = client.get_experiment_by_name(name)
        runs = client.search_runs([exp.experiment_id])
        assert [r.info.run_id for r in runs] == [ids[tenant]]
        assert runs[0].data.tags["tenant"] == tenant
        with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
            client.get_run(ids[other])

    # Through the workspace header too; and with no tenant named, carol lands in her home tenant (acme).
    client = use("carol", "globex", via="workspace")
    assert client.get_run(ids["globex"]).data.tags["tenant"] == "globex"
    client = use("carol", None, via="home")
    assert client.get_run(ids["acme"]).data.tags["tenant"] == "acme"


def _same_error(resp_hidden, resp_missing, hidden_id, missing_id):
    assert resp_hidden.status_code == resp_missing.status_code == 404
    assert resp_hidden.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert resp_hidden.content.replace(hidden_id.encode(), b"<ID>") == \
        resp_missing.content.replace(missing_id.encode(), b"<ID>")


def test_other_tenant_cannot_see_runs_or_experiments(use, unique):
    alice = use("alice", "acme")
    name = unique("secret")
    exp_id = alice.create_experiment(name)
    run = alice.create_run(exp_id)
    alice.log_metric(run.info.run_id, "secret", 42.0)
    # Experiment ids are per tenant: make sure this id is above every id globex has used.
    bob = use("bob", "globex")
    globex_max = max(int(e.experiment_id) for e in bob.search_experiments(view_type=ViewType.ALL))
    alice = use("alice", "acme")
    while int(exp_id) <= globex_max + 1:
        exp_id = alice.create_experiment(unique("secret"))
    hidden_exp = exp_id
    missing_exp = str(int(exp_id) + 1000)

    bob = use("bob", "globex")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        bob.get_run(run.info.run_id)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        bob.get_experiment(hidden_exp)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        bob.log_metric(run.info.run_id, "x", 1.0)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        bob.get_metric_history(run.info.run_id, "secret")
    assert bob.get_experiment_by_name(name) is None
    assert all(e.name != name for e in bob.search_experiments(view_type=ViewType.ALL))
    assert bob.search_runs([hidden_exp]) == []

    # Byte for byte: a hidden id answers exactly like an id that never existed.
    missing_run = uuid.uuid4().hex
    for tenant in ("globex", None):  # via the path, and via bob's home tenant
        r1 = use.raw("GET", f"{P}/runs/get", "bob", tenant, params={"run_id": run.info.run_id})
        r2 = use.raw("GET", f"{P}/runs/get", "bob", tenant, params={"run_id": missing_run})
        _same_error(r1, r2, run.info.run_id, missing_run)
        r1 = use.raw("GET", f"{P}/experiments/get", "bob", tenant, params={"experiment_id": hidden_exp})
        r2 = use.raw("GET", f"{P}/experiments/get", "bob", tenant, params={"experiment_id": missing_exp})
        _same_error(r1, r2, hidden_exp, missing_exp)
        r1 = use.raw("POST", f"{P}/runs/log-batch", "bob", tenant,
                     json={"run_id": run.info.run_id, "params": [{"key": "k", "value": "v"}]})
        r2 = use.raw("POST", f"{P}/runs/log-batch", "bob", tenant,
                     json={"run_id": missing_run, "params": [{"key": "k", "value": "v"}]})
        _same_error(r1, r2, run.info.run_id, missing_run)

    # Naming a tenant you are not in answers like a tenant that does not exist.
    r1 = use.raw("GET", f"{P}/experiments/get", "bob", "acme", params={"experiment_id": "0"})
    r2 = use.raw("GET", f"{P}/experiments/get", "bob", "no-such-tenant", params={"experiment_id": "0"})
    assert r1.status_code == r2.status_code == 404
    assert r1.content.replace(b"acme", b"<T>") == r2.content.replace(b"no-such-tenant", b"<T>")
    bob = use("bob", "acme", via="workspace")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        bob.get_run(run.info.run_id)

    # And acme still has it, untouched.
    alice = use("alice", "acme")
    assert alice.get_run(run.info.run_id).data.metrics == {"secret": 42.0}
    assert "x" not in alice.get_run(run.info.run_id).data.metrics


def test_search_returns_only_own_tenant_runs(use, unique):
    tag = unique("mark")
    for user, tenant, n in (("alice", "acme", 3), ("bob", "globex", 2)):
        use(user, tenant)
        mlflow.set_experiment("shared-name-" + tag)
        for i in range(n):
            with mlflow.start_run():
                mlflow.set_tag("mark", tag)
                mlflow.set_tag("owner", tenant)

    bob = use("bob", "globex")
    exp_ids = [e.experiment_id for e in bob.search_experiments(view_type=ViewType.ALL)]
    runs = bob.search_runs(exp_ids, filter_string=f"tags.mark = '{tag}'", run_view_type=ViewType.ALL)
    assert len(runs) == 2 and {r.data.tags["owner"] for r in runs} == {"globex"}
    df = mlflow.search_runs(search_all_experiments=True, filter_string=f"tags.mark = '{tag}'")
    assert len(df) == 2 and set(df["tags.owner"]) == {"globex"}

    alice = use("alice", "acme")
    exp_ids = [e.experiment_id for e in alice.search_experiments(view_type=ViewType.ALL)]
    runs = alice.search_runs(exp_ids, filter_string=f"tags.mark = '{tag}'")
    assert len(runs) == 3 and {r.data.tags["owner"] for r in runs} == {"acme"}


def test_viewer_can_read_but_not_write(use, unique):
    alice = use("alice", "acme")
    name = unique("viewed")
    exp_id = alice.create_experiment(name)
    run = alice.create_run(exp_id)
    alice.log_param(run.info.run_id, "p", "1")

    vic = use("vic", "acme")
    assert vic.get_run(run.info.run_id).data.params == {"p": "1"}
    assert [r.info.run_id for r in vic.search_runs([exp_id])] == [run.info.run_id]
    assert mlflow.set_experiment(name).experiment_id == exp_id  # exists: a read
    with raises_mlflow("PERMISSION_DENIED"):
        mlflow.start_run()
    with raises_mlflow("PERMISSION_DENIED"):
        vic.log_param(run.info.run_id, "q", "2")
    with raises_mlflow("PERMISSION_DENIED"):
        vic.log_batch(run.info.run_id, metrics=[], params=[], tags=[mlflow.entities.RunTag("t", "v")])
    with raises_mlflow("PERMISSION_DENIED"):
        vic.create_experiment(unique("nope"))
    with raises_mlflow("PERMISSION_DENIED"):
        vic.delete_run(run.info.run_id)
    with raises_mlflow("PERMISSION_DENIED"):
        vic.rename_experiment(exp_id, unique("nope"))
    with raises_mlflow("PERMISSION_DENIED"):
        mlflow.set_experiment(unique("nope"))  # get-by-name misses, then the create is refused

    alice = use("alice", "acme")
    got = alice.get_run(run.info.run_id)
    assert got.data.params == {"p": "1"} and got.info.lifecycle_stage == "active"
    assert alice.get_experiment(exp_id).name == name


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_bad_credentials_are_unauthenticated(use, auth):
    good = use.ids.tokens["alice"]
    bogus = "atr_" + "x" * len(good)
    for token in (bogus, good[:-2] + ("aa" if not good.endswith("aa") else "bb")):
        client = use("alice", "acme", auth=auth, token=token)
        with raises_mlflow("UNAUTHENTICATED"):
            client.search_experiments()
        with raises_mlflow("UNAUTHENTICATED"):
            mlflow.start_run()
    if auth == "basic":
        # A real token presented under another user's name is refused too.
        client = use("bob", "acme", auth="basic", token=good)
        with raises_mlflow("UNAUTHENTICATED"):
            client.search_experiments()
    # No credentials at all.
    client = use(None, "acme")
    with raises_mlflow("UNAUTHENTICATED"):
        client.get_experiment("0")


def test_workspace_listing_shows_only_own_tenants(use):
    use("carol", "acme", via="workspace")
    assert sorted(w.name for w in mlflow.list_workspaces()) == ["acme", "globex"]
    use("bob", "globex", via="workspace")
    assert [w.name for w in mlflow.list_workspaces()] == ["globex"]


def test_client_object_follows_env_per_test(use):
    # MlflowClient() with no argument resolves the URI set by the fixture.
    use("alice", "acme")
    assert MlflowClient().get_experiment("0") is not None


def test_other_tenant_run_ids_yield_nothing_in_bulk_history(use, unique):
    alice = use("alice", "acme")
    run = alice.create_run(alice.create_experiment(unique("bulk")))
    alice.log_metric(run.info.run_id, "secret", 7.0, step=1)
    params = {"run_ids": run.info.run_id, "metric_key": "secret"}
    mine = use.raw("GET", f"{P}/metrics/get-history-bulk-interval", "alice", "acme", params=params)
    assert mine.status_code == 200 and len(mine.json()["metrics"]) == 1
    theirs = use.raw("GET", f"{P}/metrics/get-history-bulk-interval", "bob", "globex", params=params)
    assert theirs.status_code == 200 and theirs.json().get("metrics", []) == []


def test_revoked_token_is_unauthenticated(use, atrium):
    tok = atrium.admin("POST", "/principals/alice/tokens", json={"name": "short-lived"})["token"]
    client = use("alice", "acme", token=tok["token"])
    client.search_experiments()
    atrium.admin("DELETE", f"/tokens/{tok['id']}")
    with raises_mlflow("UNAUTHENTICATED"):
        client.search_experiments()


def test_suspended_tenant_refuses_members_and_keeps_data(use, atrium, unique):
    atrium.admin("POST", "/tenants", json={"name": "initech"})
    atrium.admin("POST", "/users", json={"name": "peter", "tenant": "initech", "role": "editor"})
    token = atrium.admin("POST", "/principals/peter/tokens", json={"name": "t"})["token"]["token"]
    client = use("peter", "initech", token=token)
    exp_id = client.create_experiment(unique("kept"))
    atrium.admin("POST", "/tenants/initech/suspend")
    try:
        with raises_mlflow("PERMISSION_DENIED"):
            client.get_experiment(exp_id)
        client = use("peter", None, via="home", token=token)
        with raises_mlflow("PERMISSION_DENIED"):
            client.create_experiment(unique("nope"))
    finally:
        atrium.admin("POST", "/tenants/initech/reactivate")
    client = use("peter", "initech", via="workspace", token=token)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
