"""Delete/restore of runs and experiments, view types, rename, experiment tags."""

import mlflow
from mlflow.entities import ViewType

from helpers import raises_mlflow


def test_delete_and_restore_run(use, unique):
    client = use("alice", "acme")
    exp_id = client.create_experiment(unique("del-run"))
    keep = client.create_run(exp_id).info.run_id
    gone = client.create_run(exp_id).info.run_id
    client.delete_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "deleted"  # still readable
    assert [r.info.run_id for r in client.search_runs([exp_id])] == [keep]
    assert [r.info.run_id for r in client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)] == [gone]
    assert {r.info.run_id for r in client.search_runs([exp_id], run_view_type=ViewType.ALL)} == {keep, gone}
    with raises_mlflow("INVALID_PARAMETER_VALUE", match="must be in the 'active' state"):
        client.log_metric(gone, "m", 1.0)
    with raises_mlflow("INTERNAL_ERROR", match="deleted state"):
        mlflow.start_run(run_id=gone)  # the client itself refuses to resume a deleted run
    client.restore_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "active"
    client.log_metric(gone, "m", 1.0)
    assert {r.info.run_id for r in client.search_runs([exp_id])} == {keep, gone}
    df = mlflow.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)
    assert df.empty


def test_delete_and_restore_experiment(use, unique):
    client = use("bob", "globex")
    name = unique("del-exp")
    exp_id = client.create_experiment(name)
    run_id = client.create_run(exp_id).info.run_id
    client.delete_experiment(exp_id)
    exp = client.get_experiment(exp_id)
    assert exp.lifecycle_stage == "deleted"
    assert client.get_experiment_by_name(name).lifecycle_stage == "deleted"
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    active = [e.experiment_id for e in client.search_experiments()]
    deleted = [e.experiment_id for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
    assert exp_id not in active and exp_id in deleted
    assert exp_id in [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    with raises_mlflow("INVALID_PARAMETER_VALUE", match="Cannot set a deleted experiment"):
        mlflow.set_experiment(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.create_experiment(name)  # a deleted name still blocks
    with raises_mlflow("INVALID_PARAMETER_VALUE"):
        client.create_run(exp_id)
    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert mlflow.set_experiment(name).experiment_id == exp_id
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.restore_experiment(exp_id)  # not deleted any more
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST"):
        client.get_experiment("987654321")


def test_rename_experiment_and_tags(use, unique):
    client = use("alice", "acme")
    old, new = unique("old"), unique("new")
    exp_id = mlflow.set_experiment(old).experiment_id
    mlflow.set_experiment_tag("owner", "alice")
    mlflow.set_experiment_tags({"team": "ml", "empty": ""})
    client.set_experiment_tag(exp_id, "owner", "alice2")
    exp = client.get_experiment(exp_id)
    assert exp.tags["owner"] == "alice2" and exp.tags["team"] == "ml" and exp.tags["empty"] == ""
    client.delete_experiment_tag(exp_id, "team")
    assert "team" not in client.get_experiment(exp_id).tags

    client.rename_experiment(exp_id, new)
    assert client.get_experiment(exp_id).name == new
    assert client.get_experiment_by_name(old) is None
    assert client.get_experiment_by_name(new).experiment_id == exp_id
    other = client.create_experiment(unique("other"))
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.rename_experiment(other, new)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS"):
        client.create_experiment(new)
    found = client.search_experiments(filter_string="tags.owner = 'alice2'")
    assert exp_id in [e.experiment_id for e in found]


def test_default_experiment(use):
    client = use("carol", "globex")
    default = client.get_experiment("0")
    assert default.name == "Default"
    with mlflow.start_run() as run:  # no experiment chosen: "0"
        pass
    assert client.get_run(run.info.run_id).info.experiment_id == "0"
