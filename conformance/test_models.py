"""The model workflow with the stock client: train, log with signature and input example, register,
alias, load in a fresh process by alias and by version, predict. Plus registry isolation between
tenants and a model shared across tenants by explicit grant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import requests

from helpers import raises_mlflow

LOADER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import mlflow.pyfunc
    X = np.array(json.loads(sys.argv[2]))
    out = {}
    for uri in sys.argv[1].split(","):
        model = mlflow.pyfunc.load_model(uri)
        out[uri] = [int(v) for v in model.predict(X)]
    print("PREDICTIONS=" + json.dumps(out))
    """
)


def _dataset():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def _load_in_fresh_process(uris: list[str], X) -> dict[str, list[int]]:
    """Loads and predicts in a separate interpreter with the same environment (URI, token)."""
    proc = subprocess.run(
        [sys.executable, "-c", LOADER, ",".join(uris), json.dumps(X.tolist())],
        env=dict(os.environ), capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"loader failed:\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}"
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("PREDICTIONS=")]
    assert line, proc.stdout
    return json.loads(line[-1][len("PREDICTIONS="):])


@pytest.fixture(scope="module")
def churn_model(atrium, identities):
    """alice logs and registers 'churn' v1 in acme, with alias 'champion'; shared across tests."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    mp = pytest.MonkeyPatch()
    uri = f"{atrium.url}/t/acme"
    mp.setenv("MLFLOW_TRACKING_TOKEN", identities.tokens["alice"])
    mp.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    try:
        X, y = _dataset()
        clf = LogisticRegression().fit(X, y)
        mlflow.set_experiment("churn-models")
        with mlflow.start_run(run_name="logreg") as run:
            mlflow.log_param("C", 1.0)
            info = mlflow.sklearn.log_model(
                clf, name="m", registered_model_name="churn", input_example=X[:2],
                signature=infer_signature(X, clf.predict(X)),
            )
        MlflowClient().set_registered_model_alias("churn", "champion", "1")
        yield {"X": X, "expected": [int(v) for v in clf.predict(X)], "info": info, "run_id": run.info.run_id}
    finally:
        mp.undo()


def test_log_register_alias_and_load_in_fresh_process(use, churn_model):
    client = use("alice", "acme")
    info = churn_model["info"]
    assert str(info.registered_model_version) == "1"
    mv = client.get_model_version("churn", "1")
    assert mv.status == "READY"
    assert mv.run_id == churn_model["run_id"]
    # The stock client drops model_id when reading a ModelVersion proto; the source names the logged model.
    assert mv.source == f"models:/{info.model_id}"
    assert client.get_model_version_by_alias("churn", "champion").version == "1"
    assert client.get_model_version_download_uri("churn", "1").endswith(f"/models/{info.model_id}/artifacts")

    logged = client.get_logged_model(info.model_id)
    assert logged.status.to_proto() == 2 or str(logged.status).endswith("READY")
    assert logged.artifact_location.startswith("mlflow-artifacts:/")
    assert json.loads(logged.tags["mlflow.modelVersions"])[0] == {"name": "churn", "version": "1"}

    X = churn_model["X"]
    got = _load_in_fresh_process(["models:/churn@champion", "models:/churn/1"], X)
    assert got["models:/churn@champion"] == churn_model["expected"]
    assert got["models:/churn/1"] == churn_model["expected"]


def test_search_logged_models_and_registry(use, churn_model):
    import mlflow

    client = use("alice", "acme")
    exp = client.get_experiment_by_name("churn-models")
    found = mlflow.search_logged_models(experiment_ids=[exp.experiment_id], output_format="list")
    assert churn_model["info"].model_id in {m.model_id for m in found}
    assert [m.name for m in client.search_registered_models(filter_string="name = 'churn'")] == ["churn"]
    versions = client.search_model_versions("name = 'churn'")
    assert [v.version for v in versions] == ["1"]
    client.set_model_version_tag("churn", "1", "validated", "true")
    assert client.get_model_version("churn", "1").tags["validated"] == "true"
    client.transition_model_version_stage("churn", "1", "Staging")
    assert [v.version for v in client.get_latest_versions("churn", stages=["Staging"])] == ["1"]


def test_other_tenant_sees_no_models(use, churn_model):
    client = use("bob", "globex")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model("churn")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_model_version_by_alias("churn", "champion")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_logged_model(churn_model["info"].model_id)
    assert "churn" not in {m.name for m in client.search_registered_models()}
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.set_registered_model_alias("churn", "mine", "1")


def test_viewer_cannot_register(use, churn_model):
    client = use("vic", "acme")
    assert client.get_registered_model("churn").name == "churn"
    with raises_mlflow("PERMISSION_DENIED"):
        client.create_registered_model("vic-model")


def test_shared_model_is_readable_and_read_only_then_revoked(atrium, use, churn_model):
    shares = f"{atrium.url}/api/atrium/v1/tenants/acme/shares"
    admin = {"Authorization": f"Bearer {atrium.admin_token}"}
    r = requests.post(shares, json={"model": "churn", "to_tenant": "globex"}, headers=admin, timeout=30)
    assert r.status_code == 200, r.text
    try:
        client = use("bob", "globex")
        rm = client.get_registered_model("shared.acme.churn")
        assert rm.name == "shared.acme.churn"
        mv = client.get_model_version_by_alias("shared.acme.churn", "champion")
        assert mv.version == "1"
        assert client.get_model_version_download_uri("shared.acme.churn", "1").startswith("mlflow-artifacts:/shared/acme/")
        with raises_mlflow("PERMISSION_DENIED"):
            client.set_registered_model_alias("shared.acme.churn", "mine", "1")
        with raises_mlflow("PERMISSION_DENIED"):
            client.delete_registered_model("shared.acme.churn")
    finally:
        r = requests.delete(shares, json={"model": "churn", "to_tenant": "globex"}, headers=admin, timeout=30)
        assert r.status_code == 200, r.text
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model("shared.acme.churn")


def test_shared_model_loads_in_grantee_tenant(atrium, use, churn_model):
    shares = f"{atrium.url}/api/atrium/v1/tenants/acme/shares"
    admin = {"Authorization": f"Bearer {atrium.admin_token}"}
    assert requests.post(shares, json={"model": "churn", "to_tenant": "globex"}, headers=admin, timeout=30).ok
    try:
        use("bob", "globex")
        got = _load_in_fresh_process(["models:/shared.acme.churn@champion"], churn_model["X"])
        assert got["models:/shared.acme.churn@champion"] == churn_model["expected"]
    finally:
        requests.delete(shares, json={"model": "churn", "to_tenant": "globex"}, headers=admin, timeout=30)


def test_run_outputs_model_metrics_and_model_search(use, unique):
    """MLflow 3's model-centric tracking with the stock client: log_model records the run's output,
    metrics logged with a model_id land on the logged model and drive search_logged_models, and a
    model used by another run is that run's input."""
    import mlflow
    from sklearn.linear_model import LogisticRegression

    client = use("alice", "acme")
    X, y = _dataset()
    exp_id = mlflow.set_experiment(unique("model-metrics")).experiment_id
    with mlflow.start_run(run_name="train") as train:
        strong = mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="strong")
        weak = mlflow.sklearn.log_model(LogisticRegression(C=1e-4).fit(X, y), name="weak")
        mlflow.log_metric("acc", 0.9, model_id=strong.model_id)
        mlflow.log_metrics({"acc": 0.4, "loss": 0.7}, step=1, model_id=weak.model_id)

    run = mlflow.get_run(train.info.run_id)
    outputs = {o.model_id: o.step for o in run.outputs.model_outputs}
    assert set(outputs) == {strong.model_id, weak.model_id}
    assert run.data.metrics["acc"] == 0.4  # the run's own latest point, as before

    got = mlflow.get_logged_model(strong.model_id)
    assert [(m.key, m.value, m.run_id, m.model_id) for m in got.metrics] == [
        ("acc", 0.9, train.info.run_id, strong.model_id)]
    assert sorted((m.key, m.value, m.step) for m in mlflow.get_logged_model(weak.model_id).metrics) == [
        ("acc", 0.4, 1), ("loss", 0.7, 1)]

    found = mlflow.search_logged_models(experiment_ids=[exp_id], filter_string="metrics.acc > 0.5",
                                        output_format="list")
    assert [m.model_id for m in found] == [strong.model_id]
    ranked = mlflow.search_logged_models(experiment_ids=[exp_id], output_format="list",
                                         order_by=[{"field_name": "metrics.acc", "ascending": True}])
    assert [m.model_id for m in ranked] == [weak.model_id, strong.model_id]
    frame = mlflow.search_logged_models(experiment_ids=[exp_id], filter_string="metrics.loss < 1")
    assert list(frame["model_id"]) == [weak.model_id]

    # Evaluating the strong model in another run makes it that run's input.
    with mlflow.start_run(run_name="evaluate") as evaluate:
        mlflow.log_metric("holdout_acc", 0.88, model_id=strong.model_id)
    inputs = mlflow.get_run(evaluate.info.run_id).inputs
    assert [m.model_id for m in inputs.model_inputs] == [strong.model_id]
    assert {m.key for m in mlflow.get_logged_model(strong.model_id).metrics} == {"acc", "holdout_acc"}

    # The UI's listing of a model's files, on whichever artifact backend this server uses.
    listing = use.raw("GET", f"/api/2.0/mlflow/logged-models/{strong.model_id}/artifacts/directories", "alice", "acme")
    assert listing.status_code == 200, listing.text
    assert "MLmodel" in {f["path"] for f in listing.json()["files"]}
    escape = use.raw("GET", f"/api/2.0/mlflow/logged-models/{strong.model_id}/artifacts/directories",
                     "alice", "acme", params={"artifact_directory_path": "../.."})
    assert escape.status_code == 400, escape.text

    # globex: acme's model ids are unknown there, for reading and for attaching metrics.
    use("bob", "globex")
    mlflow.set_experiment(unique("globex-eval"))
    with mlflow.start_run():
        with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
            mlflow.log_metric("acc", 1.0, model_id=strong.model_id)
    foreign = use.raw("GET", f"/api/2.0/mlflow/logged-models/{strong.model_id}/artifacts/directories", "bob", "globex")
    assert foreign.status_code == 404
    use("alice", "acme")
    assert {m.value for m in mlflow.get_logged_model(strong.model_id).metrics} == {0.9, 0.88}
