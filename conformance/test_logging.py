"""Logging through the fluent API and MlflowClient: metrics, params, tags, batches, nesting, datasets."""

import math
import time

import mlflow
import mlflow.data
import pandas as pd
from mlflow.entities import Metric, Param, RunTag

from helpers import raises_mlflow

MAX_DOUBLE = 1.7976931348623157e308


def test_fluent_logging_round_trip(use, unique):
    client = use("alice", "acme")
    name = unique("fluent")
    exp = mlflow.set_experiment(name)
    assert exp.name == name and exp.lifecycle_stage == "active"
    assert mlflow.set_experiment(name).experiment_id == exp.experiment_id  # second time: found by name

    with mlflow.start_run(run_name="first", tags={"team": "ml"}, description="hello") as run:
        assert run.info.experiment_id == exp.experiment_id
        assert run.info.run_name == "first"
        assert run.info.status == "RUNNING"
        mlflow.log_metric("loss", 0.5)
        mlflow.log_metric("loss", 0.25, step=1)
        mlflow.log_metrics({"acc": 0.75, "f1": 0.5}, step=2)
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"layers": 3, "opt": "adam", "empty": ""})
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"a": "1", "b": "2"})

    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time
    assert got.info.run_name == "first"
    assert got.info.lifecycle_stage == "active"
    assert got.data.metrics == {"loss": 0.25, "acc": 0.75, "f1": 0.5}
    assert got.data.params == {"lr": "0.1", "layers": "3", "opt": "adam", "empty": ""}
    tags = got.data.tags
    assert tags["team"] == "ml" and tags["stage"] == "dev" and tags["a"] == "1" and tags["b"] == "2"
    assert tags["mlflow.runName"] == "first"
    assert tags["mlflow.note.content"] == "hello"
    assert "mlflow.user" in tags
    assert "mlflow.source.name" in tags and tags["mlflow.source.type"] == "LOCAL"
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.value, m.step) for m in history] == [(0.5, 0), (0.25, 1)]

    # set_tag of mlflow.runName renames the run; update_run too.
    client.set_tag(run.info.run_id, "mlflow.runName", "renamed")
    assert client.get_run(run.info.run_id).info.run_name == "renamed"
    client.update_run(run.info.run_id, name="again")
    got = client.get_run(run.info.run_id)
    assert got.info.run_name == "again" and got.data.tags["mlflow.runName"] == "again"
    client.delete_tag(run.info.run_id, "stage")
    assert "stage" not in client.get_run(run.info.run_id).data.tags

    # A failing `with` block marks the run FAILED.
    try:
        with mlflow.start_run() as failed:
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert client.get_run(failed.info.run_id).info.status == "FAILED"

    # Resume a run by id.
    with mlflow.start_run(run_id=run.info.run_id):
        mlflow.log_metric("late", 1.0)
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.data.metrics["late"] == 1.0


def test_client_create_run_and_terminate(use, unique):
    client = use("bob", "globex")
    exp_id = client.create_experiment(unique("client"), tags={"k": "v"})
    run = client.create_run(exp_id, run_name="cr", tags={"x": "y"})
    assert run.info.run_name == "cr" and run.data.tags["x"] == "y"
    assert run.data.tags["mlflow.runName"] == "cr"
    client.log_metric(run.info.run_id, "m", 3.0, step=5, timestamp=1234)
    client.log_param(run.info.run_id, "p", "v")
    client.set_terminated(run.info.run_id, status="KILLED")
    got = client.get_run(run.info.run_id)
    assert got.info.status == "KILLED"
    assert [(m.value, m.step, m.timestamp) for m in client.get_metric_history(run.info.run_id, "m")] == [(3.0, 5, 1234)]
    # Without run_name the server picks one, as MLflow does.
    other = client.create_run(exp_id)
    assert other.info.run_name and other.data.tags["mlflow.runName"] == other.info.run_name


def test_log_batch_thousand_points_in_one_call(use, unique):
    client = use("alice", "acme")
    exp_id = client.create_experiment(unique("batch"))
    run_id = client.create_run(exp_id).info.run_id
    now = int(time.time() * 1000)
    metrics = [Metric("curve", float(i) / 10, now + i, i) for i in range(1000)]
    client.log_batch(run_id, metrics=metrics, params=[], tags=[])
    history = client.get_metric_history(run_id, "curve")
    assert len(history) == 1000
    assert [m.step for m in history] == list(range(1000))
    assert history[-1].value == 99.9
    assert client.get_run(run_id).data.metrics == {"curve": 99.9}


def test_log_batch_over_limits_is_split_by_client(use, unique):
    client = use("alice", "acme")
    exp_id = client.create_experiment(unique("split"))
    run_id = client.create_run(exp_id).info.run_id
    now = int(time.time() * 1000)
    metrics = [Metric(f"m{i % 1500}", float(i), now, i // 1500) for i in range(2500)]
    params = [Param(f"p{i}", str(i)) for i in range(150)]
    tags = [RunTag(f"t{i}", str(i)) for i in range(120)]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    run = client.get_run(run_id)
    assert len(run.data.metrics) == 1500
    assert run.data.metrics["m0"] == 1500.0 and run.data.metrics["m1499"] == 1499.0
    assert len(run.data.params) == 150 and run.data.params["p149"] == "149"
    assert sum(1 for k in run.data.tags if k.startswith("t")) == 120
    assert len(client.get_metric_history(run_id, "m3")) == 2


def test_log_batch_with_one_invalid_metric_stores_nothing(use, unique):
    client = use("alice", "acme")
    exp_id = client.create_experiment(unique("atomic"))
    run_id = client.create_run(exp_id).info.run_id
    now = int(time.time() * 1000)
    for bad in (Metric("bad//key", 1.0, now, 0), Metric("neg-ts", 1.0, -1, 0)):
        metrics = [Metric(f"ok{i}", float(i), now, 0) for i in range(10)] + [bad]
        with raises_mlflow("INVALID_PARAMETER_VALUE"):
            client.log_batch(run_id, metrics=metrics, params=[Param("p", "1")], tags=[RunTag("t", "1")])
        run = client.get_run(run_id)
        assert run.data.metrics == {}
        assert run.data.params == {}
        assert "t" not in run.data.tags
        assert client.get_metric_history(run_id, "ok1") == []


def test_param_immutability(use, unique):
    client = use("alice", "acme")
    mlflow.set_experiment(unique("params"))
    with mlflow.start_run() as run:
        mlflow.log_param("lr", "0.1")
        mlflow.log_param("lr", "0.1")  # same value: fine
        with raises_mlflow("INVALID_PARAMETER_VALUE", match="Changing param values is not allowed"):
            mlflow.log_param("lr", "0.2")
        with raises_mlflow("INVALID_PARAMETER_VALUE", match="Changing param values is not allowed"):
            mlflow.log_params({"lr": "0.3", "other": "x"})
        with raises_mlflow("INVALID_PARAMETER_VALUE"):
            client.log_param(run.info.run_id, "lr", "0.4")
    got = client.get_run(run.info.run_id).data.params
    assert got == {"lr": "0.1"}


def test_nested_runs(use, unique):
    client = use("alice", "acme")
    exp_id = mlflow.set_experiment(unique("nested")).experiment_id
    with mlflow.start_run(run_name="parent") as parent:
        for i in range(3):
            with mlflow.start_run(run_name=f"child-{i}", nested=True) as child:
                mlflow.log_metric("i", i)
                assert child.data.tags.get("mlflow.parentRunId") == parent.info.run_id
                assert mlflow.active_run().info.run_id == child.info.run_id
        assert mlflow.active_run().info.run_id == parent.info.run_id
    with mlflow.start_run(run_name="unrelated"):
        pass
    children = client.search_runs([exp_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
                                   order_by=["metrics.i ASC"])
    assert [r.info.run_name for r in children] == ["child-0", "child-1", "child-2"]
    df = mlflow.search_runs([exp_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(df["tags.mlflow.runName"]) == ["child-0", "child-1", "child-2"]
    # Explicit parent_run_id.
    with mlflow.start_run(parent_run_id=parent.info.run_id, nested=False, run_name="adopted") as adopted:
        pass
    assert client.get_run(adopted.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_nan_and_infinite_metric_values(use, unique):
    client = use("bob", "globex")
    exp_id = client.create_experiment(unique("nan"))
    run_id = client.create_run(exp_id).info.run_id
    now = int(time.time() * 1000)
    client.log_metric(run_id, "nan", float("nan"), timestamp=now)
    client.log_metric(run_id, "pinf", float("inf"), timestamp=now)
    client.log_metric(run_id, "ninf", float("-inf"), timestamp=now)
    client.log_batch(run_id, metrics=[Metric("bnan", float("nan"), now, 0), Metric("binf", float("inf"), now, 0)])
    run = client.get_run(run_id)
    m = run.data.metrics
    assert math.isnan(m["nan"]) and math.isnan(m["bnan"])
    # MLflow's SQL store keeps +-inf as +-max double; either spelling must reach the client as a float.
    for key, sign in (("pinf", 1), ("ninf", -1), ("binf", 1)):
        assert m[key] * sign == math.inf or m[key] * sign == MAX_DOUBLE, (key, m[key])
    history = client.get_metric_history(run_id, "nan")
    assert len(history) == 1 and math.isnan(history[0].value)
    # Searching: NaN never matches a numeric comparison, only !=.
    runs = client.search_runs([exp_id], filter_string="metrics.nan > 0")
    assert runs == []
    runs = client.search_runs([exp_id], filter_string="metrics.pinf > 1e300")
    assert [r.info.run_id for r in runs] == [run_id]


def test_metric_history_beyond_one_page(use, unique):
    client = use("alice", "acme")
    exp_id = client.create_experiment(unique("history"))
    run_id = client.create_run(exp_id).info.run_id
    n = 30_000
    base = 1_700_000_000_000
    client.log_batch(run_id, metrics=[Metric("long", float(i), base + i, i) for i in range(n)])
    history = client.get_metric_history(run_id, "long")  # the client pages by 25,000
    assert len(history) == n
    assert [m.step for m in history[:3]] == [0, 1, 2] and history[-1].step == n - 1
    assert len({m.step for m in history}) == n
    assert client.get_run(run_id).data.metrics["long"] == float(n - 1)


def test_log_input_dataset_and_filter(use, unique):
    client = use("alice", "acme")
    exp_id = mlflow.set_experiment(unique("data")).experiment_id
    df = pd.DataFrame({"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]})
    train = mlflow.data.from_pandas(df, source="s3://bucket/train.csv", name="train-set", targets="y")
    evals = mlflow.data.from_pandas(df.head(2), name="eval-set")
    with mlflow.start_run() as r1:
        mlflow.log_input(train, context="training", tags={"split": "a"})
    with mlflow.start_run() as r2:
        mlflow.log_inputs([evals], contexts=["evaluation"], tags_list=[None])
    with mlflow.start_run() as r3:
        pass

    got = client.get_run(r1.info.run_id)
    (inp,) = got.inputs.dataset_inputs
    assert inp.dataset.name == "train-set"
    assert inp.dataset.digest == train.digest
    assert inp.dataset.source_type == train.source._get_source_type()
    assert "num_rows" in inp.dataset.profile
    tags = {t.key: t.value for t in inp.tags}
    assert tags["mlflow.data.context"] == "training" and tags["split"] == "a"

    ids = lambda runs: sorted(r.info.run_id for r in runs)  # noqa: E731
    assert ids(client.search_runs([exp_id], "datasets.name = 'train-set'")) == [r1.info.run_id]
    assert ids(client.search_runs([exp_id], "datasets.name LIKE '%-set'")) == sorted([r1.info.run_id, r2.info.run_id])
    assert ids(client.search_runs([exp_id], "datasets.context = 'evaluation'")) == [r2.info.run_id]
    assert ids(client.search_runs([exp_id], f"datasets.digest = '{train.digest}'")) == [r1.info.run_id]
    assert r3.info.run_id not in ids(client.search_runs([exp_id], "datasets.name IN ('train-set', 'eval-set')"))
    frame = mlflow.search_runs([exp_id], filter_string="datasets.name = 'eval-set'")
    assert list(frame["run_id"]) == [r2.info.run_id]


def test_async_logging(use, unique):
    client = use("carol", "globex", via="workspace")
    mlflow.set_experiment(unique("async"))
    with mlflow.start_run() as run:
        for i in range(20):
            mlflow.log_metric("a", float(i), step=i, synchronous=False)
        mlflow.log_param("p", "1", synchronous=False)
        mlflow.set_tag("t", "1", synchronous=False).wait()
    mlflow.flush_async_logging()
    got = client.get_run(run.info.run_id)
    assert got.data.metrics == {"a": 19.0} and got.data.params == {"p": "1"} and got.data.tags["t"] == "1"
    assert len(client.get_metric_history(run.info.run_id, "a")) == 20


def test_value_limits_and_batch_rules(use, unique):
    client = use("alice", "acme")
    exp_id = client.create_experiment(unique("limits"))
    run_id = client.create_run(exp_id).info.run_id
    # MLflow truncates long param (6000) and tag (8000) values instead of failing.
    client.log_param(run_id, "long", "p" * 7000)
    client.set_tag(run_id, "long", "t" * 9000)
    run = client.get_run(run_id)
    assert run.data.params["long"] == "p" * 6000
    assert run.data.tags["long"] == "t" * 8000
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.log_param(run_id, "k" * 251, "v")
    with raises_mlflow("INVALID_PARAMETER_VALUE", match="Duplicate parameter keys"):
        client.log_batch(run_id, params=[Param("d", "1"), Param("d", "1")])
    assert "d" not in client.get_run(run_id).data.params
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.create_run(exp_id, run_name="a", tags={"mlflow.runName": "b"})
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.log_metric("0123456789abcdef0123456789abcdef", "m", 1.0)


def test_concurrent_logging_to_one_run(use, unique):
    """Parallel workers logging the same new keys to one run (e.g. distributed training) all succeed."""
    from concurrent.futures import ThreadPoolExecutor

    client = use("alice", "acme")
    exp_id = client.create_experiment(unique("concurrent"))
    run_id = client.create_run(exp_id).info.run_id
    now = int(time.time() * 1000)

    def work(w):
        for rnd in range(5):
            client.log_batch(run_id, metrics=[Metric(f"k{j}", float(w * 100 + rnd), now + rnd, w) for j in range(20)])
            client.log_metric(run_id, "single", float(w), timestamp=now + rnd, step=rnd)
            client.set_tag(run_id, f"w{w}", str(rnd))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    run = client.get_run(run_id)
    assert len([k for k in run.data.metrics if k.startswith("k")]) == 20
    assert run.data.metrics["k0"] == 704.0  # step 7 wins, then the newest timestamp
    assert len(client.get_metric_history(run_id, "k5")) == 40
    assert len(client.get_metric_history(run_id, "single")) == 40
    assert sum(1 for k in run.data.tags if k.startswith("w")) == 8
