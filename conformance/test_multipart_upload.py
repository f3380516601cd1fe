"""Multipart upload through Atrium's artifact proxy with the stock mlflow client.

With MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD the client asks the server for an upload (mpu/create),
PUTs each part to the URL it was given (without its token: the URL is signed), and completes it;
any failure of a part makes it abort and raise, so a passing upload really went in parts. The
thresholds are lowered so a 12 MiB file goes in 3 parts of at most 5 MiB (S3's smallest part).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import mlflow
import mlflow.artifacts
import pytest
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

CHUNK = 5 * 1024 * 1024


def _sha(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_stock_client_uploads_in_parts_byte_exact(use, unique, tmp_path, monkeypatch):
    client = use("alice", "acme")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(1024 * 1024))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(CHUNK))

    # Count the part PUTs the client really makes (and check none carried a bearer token).
    parts = []
    original = HttpArtifactRepository._upload_part

    def counting(credential, local_file, size, start_byte):
        assert "Authorization" not in (credential.headers or {})
        assert "/mlflow-artifacts/mpu/part/" in credential.url
        parts.append(credential.part_number)
        return original(credential, local_file, size, start_byte)

    monkeypatch.setattr(HttpArtifactRepository, "_upload_part", staticmethod(counting))

    big = tmp_path / "checkpoint.bin"
    with open(big, "wb") as f:  # 12 MiB of varied bytes
        for i in range(12 * 32):
            f.write(hashlib.sha256(str(i).encode()).digest() * 1024)
    mlflow.set_experiment(unique("multipart"))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(big), artifact_path="ckpt")

    assert sorted(parts) == [1, 2, 3]
    listed = {f.path: f for f in client.list_artifacts(run.info.run_id, "ckpt")}
    assert set(listed) == {"ckpt/checkpoint.bin"}
    assert listed["ckpt/checkpoint.bin"].file_size == big.stat().st_size
    dst = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="ckpt/checkpoint.bin",
                                                   dst_path=str(tmp_path / "dl")))
    assert _sha(dst) == _sha(big)


def test_viewer_cannot_start_a_multipart_upload(use, unique, tmp_path, monkeypatch):
    use("alice", "acme")
    mlflow.set_experiment(unique("multipart-viewer"))
    with mlflow.start_run() as run:
        mlflow.log_text("x", "x.txt")
    use("vic", "acme")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1")
    f = tmp_path / "w.bin"
    f.write_bytes(b"nope" * 1000)
    with pytest.raises(Exception) as e:  # requests' HTTPError carrying the 403
        mlflow.MlflowClient().log_artifact(run.info.run_id, str(f))
    assert "403" in str(e.value) or "PERMISSION_DENIED" in str(e.value), e.value
