"""search_runs: filters, order_by, both result shapes, pagination."""

import mlflow
import pytest
from mlflow.entities import ViewType

# name, lr, x, status, tag x
ROWS = [
    ("alpha", "0.1", 0.9, "FINISHED", "prod-a"),
    ("beta", "0.01", 0.6, "FINISHED", "dev-b"),
    ("gamma", "0.1", 0.3, "FAILED", "prod-c"),
    ("delta", "0.5", 0.55, "RUNNING", "prod-d"),
    ("eps", "0.05", None, "FINISHED", "other"),
]


@pytest.fixture(scope="module")
def search_exp(atrium, identities):
    """One experiment in acme with the five runs above (created once for the module)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"{atrium.url}/t/acme")
    import os

    old = os.environ.get("MLFLOW_TRACKING_TOKEN")
    os.environ["MLFLOW_TRACKING_TOKEN"] = identities.tokens["alice"]
    try:
        import uuid

        exp_id = client.create_experiment(f"search-{uuid.uuid4().hex[:8]}")
        ids = {}
        for i, (name, lr, x, status, tag) in enumerate(ROWS):
            run = client.create_run(exp_id, run_name=name, start_time=1_600_000_000_000 + i * 1000)
            rid = run.info.run_id
            client.log_param(rid, "lr", lr)
            if x is not None:
                client.log_metric(rid, "x", x)
            client.set_tag(rid, "x", tag)
            if status != "RUNNING":
                client.set_terminated(rid, status=status)
            ids[name] = rid
        # A deleted run that must never appear in an ACTIVE_ONLY search.
        gone = client.create_run(exp_id, run_name="gone", start_time=1_600_000_009_000)
        client.log_metric(gone.info.run_id, "x", 0.99)
        client.delete_run(gone.info.run_id)
        ids["gone"] = gone.info.run_id
    finally:
        if old is None:
            os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
        else:
            os.environ["MLFLOW_TRACKING_TOKEN"] = old
    return exp_id, ids


FILTERS = [
    ("metrics.x > 0.5", {"alpha", "beta", "delta"}),
    ("metrics.x >= 0.6 and params.lr = '0.1'", {"alpha"}),
    ("params.lr = '0.1'", {"alpha", "gamma"}),
    ("params.lr != '0.1'", {"beta", "delta", "eps"}),
    ("tags.x LIKE 'prod-%'", {"alpha", "gamma", "delta"}),
    ("tags.x ILIKE 'PROD-_'", {"alpha", "gamma", "delta"}),
    ("attributes.status = 'FINISHED'", {"alpha", "beta", "eps"}),
    ("attributes.status != 'FINISHED' AND metrics.x < 0.5", {"gamma"}),
    ("attributes.run_name = 'beta'", {"beta"}),
    ("run_name LIKE '%a'", {"alpha", "beta", "gamma", "delta"}),
    ("tags.mlflow.runName = 'eps'", {"eps"}),
    ("params.lr IS NOT NULL", {"alpha", "beta", "gamma", "delta", "eps"}),
    ("attributes.run_id IN ('{alpha}', '{gamma}')", {"alpha", "gamma"}),
    ("tags.missing IS NULL and metrics.x <= 0.3", {"gamma"}),
]


def _names(ids, run_ids):
    rev = {v: k for k, v in ids.items()}
    return [rev[r] for r in run_ids]


@pytest.mark.parametrize("filter_string,expected", FILTERS)
def test_filters_list_and_dataframe(use, search_exp, filter_string, expected):
    exp_id, ids = search_exp
    client = use("alice", "acme")
    filter_string = filter_string.format(**ids)
    runs = client.search_runs([exp_id], filter_string=filter_string)
    assert set(_names(ids, [r.info.run_id for r in runs])) == expected
    as_list = mlflow.search_runs([exp_id], filter_string=filter_string, output_format="list")
    assert set(_names(ids, [r.info.run_id for r in as_list])) == expected
    df = mlflow.search_runs([exp_id], filter_string=filter_string)
    assert set(_names(ids, list(df["run_id"]))) == expected


def test_order_by(use, search_exp):
    exp_id, ids = search_exp
    client = use("alice", "acme")
    runs = client.search_runs([exp_id], order_by=["metrics.x DESC"])
    # Runs without the metric come last, in either direction.
    assert _names(ids, [r.info.run_id for r in runs]) == ["alpha", "beta", "delta", "gamma", "eps"]
    runs = client.search_runs([exp_id], order_by=["metrics.x ASC"])
    assert _names(ids, [r.info.run_id for r in runs]) == ["gamma", "delta", "beta", "alpha", "eps"]
    runs = client.search_runs([exp_id], order_by=["params.lr ASC", "metrics.x DESC"])
    assert _names(ids, [r.info.run_id for r in runs]) == ["beta", "eps", "alpha", "gamma", "delta"]
    df = mlflow.search_runs([exp_id], order_by=["params.lr ASC", "metrics.x DESC"])
    assert _names(ids, list(df["run_id"])) == ["beta", "eps", "alpha", "gamma", "delta"]
    assert list(df["params.lr"]) == ["0.01", "0.05", "0.1", "0.1", "0.5"]
    assert df.loc[0, "metrics.x"] == 0.6 and df.loc[0, "tags.x"] == "dev-b" and df.loc[0, "status"] == "FINISHED"
    df = mlflow.search_runs([exp_id], order_by=["attributes.run_name DESC"])
    assert list(df["tags.mlflow.runName"]) == ["gamma", "eps", "delta", "beta", "alpha"]
    # Default order: newest first.
    runs = client.search_runs([exp_id])
    assert _names(ids, [r.info.run_id for r in runs]) == ["eps", "delta", "gamma", "beta", "alpha"]


def test_view_type(use, search_exp):
    exp_id, ids = search_exp
    client = use("alice", "acme")
    deleted = client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)
    assert _names(ids, [r.info.run_id for r in deleted]) == ["gone"]
    assert deleted[0].info.lifecycle_stage == "deleted"
    every = client.search_runs([exp_id], run_view_type=ViewType.ALL, filter_string="metrics.x > 0.95")
    assert _names(ids, [r.info.run_id for r in every]) == ["gone"]
    df = mlflow.search_runs([exp_id], run_view_type=ViewType.ALL)
    assert len(df) == 6


def test_pagination(use, unique):
    client = use("bob", "globex")
    exp_id = client.create_experiment(unique("pages"))
    created = []
    for i in range(23):
        run = client.create_run(exp_id, start_time=1_000_000 + i)
        client.log_metric(run.info.run_id, "i", i)
        created.append(run.info.run_id)
    seen, token, pages = [], None, 0
    while True:
        page = client.search_runs([exp_id], max_results=5, order_by=["metrics.i ASC"], page_token=token)
        seen += [r.info.run_id for r in page]
        pages += 1
        token = page.token
        if not token:
            break
        assert len(page) == 5
    assert pages == 5 and seen == created
    # Same through the default order (start_time DESC).
    page1 = client.search_runs([exp_id], max_results=20)
    page2 = client.search_runs([exp_id], max_results=20, page_token=page1.token)
    assert [r.info.run_id for r in page1] + [r.info.run_id for r in page2] == created[::-1]
    assert not page2.token
    # An exact fit ends without a token.
    full = client.search_runs([exp_id], max_results=23)
    assert len(full) == 23 and not full.token
    # The pandas API pages internally.
    df = mlflow.search_runs([exp_id], max_results=7, order_by=["metrics.i DESC"])
    assert list(df["metrics.i"]) == [22, 21, 20, 19, 18, 17, 16]


def test_search_errors(use, search_exp):
    from helpers import raises_mlflow

    exp_id, _ = search_exp
    client = use("alice", "acme")
    for bad in ("metrics.x > 'a'", "params.lr > 1", "foo.bar = 'x'", "metrics.x > 0.5 OR metrics.x < 0.1"):
        with raises_mlflow("INVALID_PARAMETER_VALUE"):
            client.search_runs([exp_id], filter_string=bad)
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.search_runs([exp_id], page_token="not-a-token")


def test_search_experiments(use, unique):
    client = use("alice", "acme")
    prefix = unique("sx")
    ids = [client.create_experiment(f"{prefix}-{i}", tags={"grp": prefix, "i": str(i)}) for i in range(4)]
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"])
    assert [e.experiment_id for e in found] == ids[::-1]
    found = client.search_experiments(filter_string=f"tags.grp = '{prefix}' AND tags.i = '2'")
    assert [e.experiment_id for e in found] == [ids[2]]
    page = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", max_results=3, order_by=["name ASC"])
    assert len(page) == 3 and page.token
    rest = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", max_results=3, order_by=["name ASC"],
                                     page_token=page.token)
    assert [e.experiment_id for e in rest] == [ids[3]] and not rest.token
    assert [e.experiment_id for e in mlflow.search_experiments(filter_string=f"name = '{prefix}-1'")] == [ids[1]]
