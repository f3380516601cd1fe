"""Conformance suite: the stock `mlflow` Python client against a live Atrium server.

A session fixture starts one Atrium (`java -cp "$ATRIUM_JAR:$ATRIUM_LIB/*" io.atrium.Atrium serve`)
on a free port with a fresh data directory (embedded H2, or a fresh PostgreSQL database when
ATRIUM_CONFORMANCE_DB=postgres), creates two tenants and four users through the admin REST API,
and every test then talks to it with the real `mlflow` client, choosing tenant and credentials
through the client's own environment variables.

Run (from the repository root, after building the jar):
  JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -q -B -DskipTests package
  .venv/bin/python -m pytest conformance -q            # venv: scripts/python-env.sh .venv
  ATRIUM_CONFORMANCE_DB=postgres .venv/bin/python -m pytest conformance -q

Environment:
  ATRIUM_JAR / ATRIUM_LIB   server jar and its dependency folder (default <repo>/target/atrium.jar,
                            <repo>/target/lib)
  JAVA_HOME                 JDK to run it with (default /usr/lib/jvm/temurin-25-jdk-amd64, then PATH)
  ATRIUM_CONFORMANCE_ARTIFACTS  "local" (default) or "s3"; s3 needs ATRIUM_TEST_S3_* (scripts/s3-server.sh)
  ATRIUM_CONFORMANCE_DB     "h2" (default) or "postgres"; postgres needs ATRIUM_TEST_PG_HOST, _PORT,
                            _SUPERUSER, _SUPERPASSWORD, _OWNER, _OWNER_PASSWORD, _APP_USER, _APP_PASSWORD
  ATRIUM_CONFORMANCE_KEEP   "1": keep the data directory (and PostgreSQL database) after the run
"""

from __future__ import annotations

import os
import re

# Before mlflow is imported anywhere: no telemetry thread, no URL printing, no slow retries.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import dataclasses
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
ADMIN_API = "/api/atrium/v1"
TENANTS = ("acme", "globex")
# name -> list of (tenant, role); the first tenant is the user's home tenant.
USERS = {
    "alice": [("acme", "editor")],
    "bob": [("globex", "editor")],
    "vic": [("acme", "viewer")],
    "carol": [("acme", "editor"), ("globex", "editor")],
}

_failed = False
_server_reports: list[tuple[str, str]] = []


def pytest_runtest_logreport(report):
    global _failed
    if report.failed:
        _failed = True


def pytest_terminal_summary(terminalreporter):
    for title, text in _server_reports:
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _java() -> str:
    home = os.environ.get("JAVA_HOME") or "/usr/lib/jvm/temurin-25-jdk-amd64"
    candidate = Path(home) / "bin" / "java"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("java")
    if not found:
        pytest.exit("no java: set JAVA_HOME", returncode=2)
    return found


def _psql(db: str, sql: str) -> None:
    env = dict(os.environ, PGPASSWORD=os.environ["ATRIUM_TEST_PG_SUPERPASSWORD"])
    cmd = [
        "psql", "-v", "ON_ERROR_STOP=1", "-q",
        "-h", os.environ["ATRIUM_TEST_PG_HOST"], "-p", os.environ["ATRIUM_TEST_PG_PORT"],
        "-U", os.environ["ATRIUM_TEST_PG_SUPERUSER"], "-d", db, "-c", sql,
    ]
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=60)


@dataclasses.dataclass
class Server:
    url: str
    admin_token: str
    log_path: Path
    proc: subprocess.Popen

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as e:
            return f"(no server log: {e})"

    def log_trouble(self, limit: int = 400) -> str:
        """The log's WARN/ERROR lines, 5xx answers and stack traces: what a failure needs, wherever it was."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError as e:
            return f"(no server log: {e})"
        picked = [ln for ln in lines
                  if " WARN " in ln or " ERROR " in ln or re.search(r"\bstatus=5\d\d\b", ln)
                  or ln.startswith(("\tat ", "Caused by:", "\t... ")) or re.match(r"^[\w.$]+(Exception|Error)\b", ln)]
        if len(picked) > limit:
            picked = picked[:limit // 2] + [f"... {len(picked) - limit} lines left out ..."] + picked[-limit // 2:]
        return "\n".join(picked) or "(none)"

    def admin(self, method: str, path: str, **kw) -> dict:
        r = requests.request(
            method, self.url + ADMIN_API + path,
            headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=30, **kw)
        assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()


@pytest.fixture(scope="session")
def atrium():
    jar = Path(os.environ.get("ATRIUM_JAR") or REPO / "target" / "atrium.jar").resolve()
    lib = Path(os.environ.get("ATRIUM_LIB") or REPO / "target" / "lib").resolve()
    if not jar.is_file():
        pytest.exit(f"server jar not found: {jar} (build it, or set ATRIUM_JAR/ATRIUM_LIB)", returncode=2)
    keep = os.environ.get("ATRIUM_CONFORMANCE_KEEP") == "1"
    data_dir = Path(tempfile.mkdtemp(prefix="atrium-conformance-"))
    port = _free_port()
    cmd = [_java(), "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", f"{jar}:{lib}/*",
           "io.atrium.Atrium", "serve", "--port", str(port), "--data-dir", str(data_dir)]

    db_name = None
    if os.environ.get("ATRIUM_CONFORMANCE_DB", "h2") == "postgres":
        e = os.environ
        db_name = f"atrium_conf_{secrets.token_hex(6)}"
        owner, app = e["ATRIUM_TEST_PG_OWNER"], e["ATRIUM_TEST_PG_APP_USER"]
        _psql("postgres", f"CREATE DATABASE {db_name} OWNER {owner}")
        _psql(db_name, f"ALTER SCHEMA public OWNER TO {owner}; GRANT USAGE ON SCHEMA public TO {app}")
        cmd += ["--db-url", f"jdbc:postgresql://{e['ATRIUM_TEST_PG_HOST']}:{e['ATRIUM_TEST_PG_PORT']}/{db_name}",
                "--db-user", app, "--db-password", e["ATRIUM_TEST_PG_APP_PASSWORD"],
                "--db-migration-user", owner, "--db-migration-password", e["ATRIUM_TEST_PG_OWNER_PASSWORD"]]

    if os.environ.get("ATRIUM_CONFORMANCE_ARTIFACTS", "local") == "s3":
        # A real S3-compatible server started by scripts/s3-server.sh; each run under its own prefix.
        e = os.environ
        cmd += ["--artifact-backend", "s3", "--s3-endpoint", e["ATRIUM_TEST_S3_ENDPOINT"],
                "--s3-bucket", e["ATRIUM_TEST_S3_BUCKET"], "--s3-prefix", f"conformance-{secrets.token_hex(6)}",
                "--s3-region", e.get("ATRIUM_TEST_S3_REGION", "us-east-1"),
                "--s3-access-key", e["ATRIUM_TEST_S3_ACCESS_KEY"], "--s3-secret-key", e["ATRIUM_TEST_S3_SECRET_KEY"]]

    # Only ATRIUM_* variables we mean: the server rejects unknown ATRIUM_* environment variables.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATRIUM_")}
    log_path = data_dir / "server.log"
    log_file = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=data_dir)
    url = f"http://127.0.0.1:{port}"
    server = Server(url, "", log_path, proc)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                if requests.get(url + "/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready after 120 s")
            time.sleep(0.2)
        server.admin_token = (data_dir / "admin.token").read_text().strip()
    except Exception as e:
        proc.kill()
        proc.wait()
        log_file.close()
        tail = server.log_tail()
        if not keep:
            _cleanup(data_dir, db_name)
        pytest.exit(f"could not start Atrium ({e}); server log tail:\n{tail}", returncode=3)

    yield server

    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log_file.close()
    if _failed:  # shown by pytest_terminal_summary: output of a session fixture's teardown is captured
        _server_reports.append((f"Atrium server log: warnings, errors and 5xx answers ({log_path})", server.log_trouble()))
        _server_reports.append((f"Atrium server log: the last 120 lines ({log_path})", server.log_tail(120)))
    if not keep:
        _cleanup(data_dir, db_name)


def _cleanup(data_dir: Path, db_name: str | None) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)
    if db_name:
        try:
            _psql("postgres", f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        except subprocess.CalledProcessError as e:
            print(f"could not drop database {db_name}: {e.stderr}")


@dataclasses.dataclass
class Identities:
    tokens: dict[str, str]  # user name -> API token


@pytest.fixture(scope="session")
def identities(atrium) -> Identities:
    for t in TENANTS:
        atrium.admin("POST", "/tenants", json={"name": t, "display_name": t.title()})
    tokens = {}
    for user, memberships in USERS.items():
        home, role = memberships[0]
        atrium.admin("POST", "/users", json={"name": user, "tenant": home, "role": role})
        for tenant, role in memberships[1:]:
            atrium.admin("PUT", f"/tenants/{tenant}/members/{user}", json={"role": role})
        tokens[user] = atrium.admin("POST", f"/principals/{user}/tokens", json={"name": "t"})["token"]["token"]
    return Identities(tokens)


class Session:
    """Points the mlflow client at Atrium as one user; one per test (see the `use` fixture)."""

    def __init__(self, atrium: Server, ids: Identities, monkeypatch):
        self.atrium = atrium
        self.ids = ids
        self.mp = monkeypatch

    def __call__(self, user: str | None, tenant: str | None = None, via: str = "path", auth: str = "bearer",
                 token: str | None = None):
        """Configure the client. via: "path" (URI .../t/<tenant>), "workspace" (mlflow.set_workspace) or
        "home" (plain URI, no workspace: the principal's home tenant). auth: "bearer" or "basic"."""
        import mlflow
        from mlflow import MlflowClient

        _end_all_runs()
        for k in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                  "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_WORKSPACE"):
            self.mp.delenv(k, raising=False)
        _reset_fluent_experiment()
        mlflow.set_workspace(None)

        secret = token if token is not None else (self.ids.tokens[user] if user else None)
        if secret is not None:
            if auth == "basic":
                self.mp.setenv("MLFLOW_TRACKING_USERNAME", user or "nobody")
                self.mp.setenv("MLFLOW_TRACKING_PASSWORD", secret)
            else:
                self.mp.setenv("MLFLOW_TRACKING_TOKEN", secret)

        uri = self.atrium.url
        if via == "path":
            assert tenant
            uri = f"{self.atrium.url}/t/{tenant}"
        elif via == "workspace":
            assert tenant
            mlflow.set_workspace(tenant)
        else:
            assert via == "home" and tenant is None
        self.mp.setenv("MLFLOW_TRACKING_URI", uri)
        mlflow.set_tracking_uri(uri)
        self.uri = uri
        return MlflowClient(tracking_uri=uri)

    def raw(self, method: str, path: str, user: str, tenant: str | None = None, **kw) -> requests.Response:
        """A plain HTTP call (for byte-level isolation checks), as `user`, under /t/<tenant> if given."""
        base = self.atrium.url + (f"/t/{tenant}" if tenant else "")
        return requests.request(method, base + path, headers={"Authorization": f"Bearer {self.ids.tokens[user]}"},
                                timeout=30, **kw)


def _end_all_runs():
    """Ends every active fluent run; a run the server refuses to end is dropped from the stack."""
    import mlflow
    import mlflow.tracking.fluent as fluent

    while mlflow.active_run():
        try:
            mlflow.end_run()
        except Exception:
            fluent._active_run_stack.get().clear()


def _reset_fluent_experiment():
    import mlflow.tracking.fluent as fluent

    fluent._active_experiment_id = None


@pytest.fixture
def use(atrium, identities, monkeypatch):
    import mlflow

    s = Session(atrium, identities, monkeypatch)
    yield s
    try:
        _end_all_runs()
    finally:
        _reset_fluent_experiment()
        mlflow.set_workspace(None)
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


@pytest.fixture
def unique():
    """A fresh name per call, so tests sharing one server never collide."""
    return lambda prefix="exp": f"{prefix}-{uuid.uuid4().hex[:10]}"
