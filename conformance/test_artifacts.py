"""Artifacts through the stock mlflow client: log_artifact(s), log_text, log_dict, list, download.

Every byte goes through Atrium's artifact proxy (`mlflow-artifacts:` locations); the client never
holds a storage credential. The backend (local directory or S3) is whatever the server was started
with, so the same tests cover both.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import mlflow
import mlflow.artifacts
import pytest
from mlflow.exceptions import MlflowException

UNICODE_TREE = {
    "README.md": b"# model card\n",
    "données/模型.txt": "モデル v1".encode(),
    "données/sub dir/ünï cödé.json": b'{"a": 1}',
    "a/b/c/deep.bin": bytes(range(256)) * 16,
    "empty.txt": b"",
}


def _sha(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_tree(root: Path) -> dict[str, str]:
    digests = {}
    for rel, data in UNICODE_TREE.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        digests[rel] = hashlib.sha256(data).hexdigest()
    return digests


def test_log_and_download_artifacts_byte_exact(use, unique, tmp_path):
    client = use("alice", "acme")
    mlflow.set_experiment(unique("artifacts"))
    src = tmp_path / "src"
    digests = _write_tree(src)
    big = tmp_path / "weights.bin"
    with open(big, "wb") as f:  # 12 MiB of varied bytes
        for i in range(12):
            f.write(hashlib.sha256(str(i).encode()).digest() * (1 << 15))
    with mlflow.start_run() as run:
        assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
        mlflow.log_artifact(str(big))
        mlflow.log_artifact(str(big), artifact_path="model")
        mlflow.log_artifacts(str(src), artifact_path="tree")
        mlflow.log_text("hello ünïcode\n", "notes/hello.txt")
        mlflow.log_dict({"lr": 0.1, "layers": [1, 2]}, "config/params.json")

    run_id = run.info.run_id
    top = {f.path: f for f in client.list_artifacts(run_id)}
    assert set(top) == {"weights.bin", "model", "tree", "notes", "config"}
    assert not top["weights.bin"].is_dir and top["weights.bin"].file_size == big.stat().st_size
    assert top["tree"].is_dir and top["tree"].file_size is None
    sub = {f.path: f.is_dir for f in client.list_artifacts(run_id, "tree/données")}
    assert sub == {"tree/données/模型.txt": False, "tree/données/sub dir": True}

    dst = Path(mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "dl")))
    assert _sha(dst / "weights.bin") == _sha(big)
    assert _sha(dst / "model" / "weights.bin") == _sha(big)
    for rel, digest in digests.items():
        assert _sha(dst / "tree" / rel) == digest, rel
    assert (dst / "notes" / "hello.txt").read_text() == "hello ünïcode\n"
    assert json.loads((dst / "config" / "params.json").read_text()) == {"lr": 0.1, "layers": [1, 2]}

    # one file by its runs:/ URI and by artifact_uri
    one = mlflow.artifacts.download_artifacts(f"runs:/{run_id}/tree/données/模型.txt", dst_path=str(tmp_path / "one"))
    assert Path(one).read_bytes() == UNICODE_TREE["données/模型.txt"]
    assert mlflow.artifacts.load_text(f"{run.info.artifact_uri}/notes/hello.txt") == "hello ünïcode\n"
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config/params.json") == {"lr": 0.1, "layers": [1, 2]}


def test_another_tenant_cannot_see_or_fetch_artifacts(use, unique, tmp_path):
    use("alice", "acme")
    mlflow.set_experiment(unique("private"))
    with mlflow.start_run() as run:
        mlflow.log_text("acme secret", "secret.txt")
    artifact_uri = run.info.artifact_uri

    bob = use("bob", "globex")
    with pytest.raises(MlflowException):
        bob.list_artifacts(run.info.run_id)
    # The same mlflow-artifacts: path, resolved in globex's own space, is just missing.
    with pytest.raises(Exception):
        mlflow.artifacts.download_artifacts(f"{artifact_uri}/secret.txt", dst_path=str(tmp_path / "x"))
    assert bob.list_artifacts  # the client itself still works for bob
    use("alice", "acme")
    assert mlflow.artifacts.load_text(f"{artifact_uri}/secret.txt") == "acme secret"


def test_viewer_reads_but_cannot_write(use, unique, tmp_path):
    alice = use("alice", "acme")
    mlflow.set_experiment(unique("viewer"))
    with mlflow.start_run() as run:
        mlflow.log_text("shared", "r.txt")
    use("vic", "acme")
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/r.txt") == "shared"
    f = tmp_path / "w.txt"
    f.write_text("nope")
    with pytest.raises(Exception):
        mlflow.MlflowClient().log_artifact(run.info.run_id, str(f))
    assert [a.path for a in alice.list_artifacts(run.info.run_id)] == ["r.txt"]


def test_traversal_paths_are_refused(use, unique, atrium):
    import requests

    use("alice", "acme")
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = f"{atrium.url}/t/acme/api/2.0/mlflow-artifacts/artifacts"
    for bad in ["%2e%2e/%2e%2e/etc/passwd", "..%2f..%2fetc%2fpasswd", "%252e%252e/x", "a%5c..%5cb", "%2fetc%2fpasswd"]:
        r = requests.get(f"{base}/{bad}", headers=headers, timeout=30)
        assert r.status_code == 400, (bad, r.status_code, r.text)
        r = requests.get(base, params={"path": bad.replace("%2f", "/").replace("%2e", ".")}, headers=headers, timeout=30)
        assert r.status_code in (200, 400)
    r = requests.get(base, params={"path": "../../etc"}, headers=headers, timeout=30)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
