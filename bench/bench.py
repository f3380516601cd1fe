#!/usr/bin/env python3
"""Atrium's benchmark harness: starts the servers, drives them with bench/LoadGen.java, writes results.

Run it through bin/bench (which builds Atrium, prepares the venvs and PostgreSQL):
  bin/bench tracking [--full]   W1-W6 against Atrium, MLflow and FastTrackML, embedded and production class
  bin/bench noisy-neighbour     tenant Q alone and beside a flooding tenant N (Atrium only)
  bin/bench all [--full]        both, one results folder
  bin/bench smoke               one tiny workload against a fresh Atrium on H2 (<= ~10 s; bin/test runs it)

Standard library only, so the smoke needs no venv; plots use matplotlib when it is importable (bench/.venv).
Every server runs on 127.0.0.1 on a free port with fresh data; every wait and loop is bounded.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
JAVA_HOME = Path(os.environ.get("JAVA_HOME") or "/usr/lib/jvm/temurin-25-jdk-amd64")
JAVA = str(JAVA_HOME / "bin" / "java")
BUILD = Path(os.environ.get("ATRIUM_BENCH_BUILD_DIR") or ROOT / "target").resolve()
VENV = Path(os.environ.get("ATRIUM_BENCH_VENV") or BENCH / ".venv")
VENV_FML = Path(os.environ.get("ATRIUM_BENCH_VENV_FML") or BENCH / ".venv-fml")
CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
# bin/atrium's JVM options with the heap fixed at its maximum (docs/OPERATIONS.md, "JVM").
ATRIUM_HEAP = os.environ.get("ATRIUM_JAVA_OPTS", "-Xms1g -Xmx1g -XX:MaxTenuringThreshold=1")
# Extra `atrium serve` options for an A/B probe of a setting (e.g. "--db-pool-size 8"); recorded in results.json.
ATRIUM_SERVE_ARGS = os.environ.get("ATRIUM_BENCH_SERVE_ARGS", "").split()
# Atrium's limits are raised for the tracking workloads (they measure the server, not its throttle).
ATRIUM_OPEN_LIMITS = {
    "ATRIUM_LIMIT_RPS": "1000000",
    "ATRIUM_LIMIT_BURST": "1000000",
    "ATRIUM_LIMIT_CONCURRENCY": "10000",
    "ATRIUM_LIMIT_RUNS_PER_MINUTE": "10000000",
}
# The longest one request of W3's searches and W4's history may take (LoadGen --request-timeout; its
# default is 300 s). At the sizes one MLflow search of 100,000 runs on SQLite took 260-300 s
# by itself on this 2-core machine (a CPU-bound worker; 2026-12-03, with other work running), so
# about twice that with W3's 4 clients; and MLflow answers get-history with all 1,000,000 points in
# one response. Only a hung server gets near it; the subprocess timeouts are sized from it.
SLOW_REQUEST_S = 2400


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, token: str | None = None, body: dict | None = None, timeout: float = 30) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as e:
        return -1, str(e)


# ----------------------------------------------------------------------------- processes


def proc_tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_rss_kb(pid: int) -> int:
    total = 0
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def tree_cpu_s(pid: int) -> float:
    total = 0
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            pass
    return total / CLK_TCK


class Server:
    """A server process (and its children) under test; samples the tree's RSS every 0.25 s."""

    def __init__(self, name: str, cls: str, workdir: Path):
        self.name, self.cls, self.workdir = name, cls, workdir
        self.proc: subprocess.Popen | None = None
        self.peak_rss_kb = 0
        self._stop = threading.Event()
        self.url = ""  # base URL the load generator uses (Atrium: .../t/bench)
        self.token = ""
        self.settings: dict = {}
        self.started_s = None

    def launch(self, cmd: list[str], env: dict, health_url: str, timeout_s: float = 180) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "server.log"
        self.settings["command"] = " ".join(cmd)
        t0 = time.monotonic()
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.workdir, start_new_session=True)
        threading.Thread(target=self._sample, daemon=True).start()
        deadline = t0 + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            code, _ = http("GET", health_url, timeout=5)
            if code == 200:
                self.started_s = round(time.monotonic() - t0, 2)
                log(f"{self.name} ({self.cls}) ready in {self.started_s} s on {health_url.rsplit('/', 1)[0]}")
                return
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} not ready after {timeout_s} s:\n{self.log_tail()}")

    def _sample(self) -> None:
        while not self._stop.is_set() and self.proc and self.proc.poll() is None:
            self.peak_rss_kb = max(self.peak_rss_kb, tree_rss_kb(self.proc.pid))
            self._stop.wait(0.25)

    def cpu_s(self) -> float:
        return tree_cpu_s(self.proc.pid) if self.proc else 0.0

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        self._stop.set()
        if not self.proc or self.proc.poll() is not None:
            return
        # Only the process group this harness started (start_new_session=True): the server and its workers.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def base_env() -> dict:
    """The environment for servers: no ATRIUM_* (Atrium refuses unknown ones), no proxies for loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATRIUM_")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


# ----------------------------------------------------------------------------- PostgreSQL


def pg() -> dict | None:
    e = os.environ
    if not e.get("ATRIUM_TEST_PG_PORT"):
        return None
    return {k: e[f"ATRIUM_TEST_PG_{k.upper()}"] for k in
            ("host", "port", "superuser", "superpassword", "owner", "owner_password", "app_user", "app_password")}


def psql(p: dict, db: str, sql: str, timeout: float = 120) -> None:
    env = dict(os.environ, PGPASSWORD=p["superpassword"])
    subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", p["host"], "-p", p["port"], "-U", p["superuser"],
                    "-d", db, "-c", sql], env=env, check=True, capture_output=True, text=True, timeout=timeout)


def fresh_db(p: dict, name: str) -> str:
    db = f"bench_{name}_{secrets.token_hex(4)}"
    psql(p, "postgres", f"CREATE DATABASE {db} OWNER {p['owner']}")
    psql(p, db, f"ALTER SCHEMA public OWNER TO {p['owner']}; GRANT USAGE ON SCHEMA public TO {p['app_user']}")
    return db


def drop_db(p: dict, db: str) -> None:
    try:
        psql(p, "postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    except Exception as e:  # noqa: BLE001 - cleanup only
        log(f"could not drop {db}: {e}")


# ----------------------------------------------------------------------------- servers


def start_atrium(cls: str, work: Path, p: dict | None, open_limits: bool = True, jfr: bool = False,
                 tenants: tuple[str, ...] = ("bench",), quick: bool = False) -> Server:
    s = Server("atrium", cls, work / "atrium")
    port = free_port()
    data = s.workdir / "data"
    heap = ATRIUM_HEAP.split()
    cmd = [JAVA, *heap]
    if quick:  # the smoke: start fast rather than run fast
        cmd += ["-XX:TieredStopAtLevel=1", "-Xshare:auto"]
    # GC pauses, for the record (a pause stalls every request in flight): cheap, and kept with the server log.
    cmd.append(f"-Xlog:gc:file={s.workdir / 'gc.log'}:time,uptime")
    if jfr:
        cmd.append(f"-XX:StartFlightRecording=filename={s.workdir / 'atrium.jfr'},settings=profile,dumponexit=true")
    cmd += ["-cp", f"{BUILD / 'atrium.jar'}:{BUILD / 'lib'}/*", "io.atrium.Atrium", "serve", "--port", str(port),
            "--data-dir", str(data), *ATRIUM_SERVE_ARGS]
    env = base_env()
    if open_limits:
        env.update(ATRIUM_OPEN_LIMITS)
    s.settings = {"heap": " ".join(heap), "limits": ATRIUM_OPEN_LIMITS if open_limits else "server defaults", "jfr": jfr}
    if cls == "production":
        db = fresh_db(p, "atrium")
        s.db = db
        cmd += ["--db-url", f"jdbc:postgresql://{p['host']}:{p['port']}/{db}", "--db-user", p["app_user"],
                "--db-password", p["app_password"], "--db-migration-user", p["owner"],
                "--db-migration-password", p["owner_password"]]
        s.settings["database"] = f"PostgreSQL {db}: runs as {p['app_user']} (no BYPASSRLS), migrations as {p['owner']}"
    else:
        s.settings["database"] = "H2 (embedded file) in the data dir"
    s.launch(cmd, env, f"http://127.0.0.1:{port}/ready")
    # The pool the server runs with, as its start-up line reports it (its default depends on the database and
    # cores); the line is printed just after the port opens, so it may trail /ready by a moment.
    for _ in range(50):
        pool = re.search(r"\(database: .*, (\d+) connections\)", s.log_path.read_text(errors="replace"))
        if pool:
            break
        time.sleep(0.1)
    s.settings["db_pool_size"] = int(pool.group(1)) if pool else None
    s.settings["command"] = s.settings["command"].replace(p["app_password"], "***").replace(p["owner_password"], "***") if p and cls == "production" else s.settings["command"]
    s.admin_url = f"http://127.0.0.1:{port}"
    s.admin_token = (data / "admin.token").read_text().strip()
    s.token = atrium_tenants(s, tenants)
    s.url = f"{s.admin_url}/t/{tenants[0]}"
    return s


def atrium_tenants(s: Server, tenants: tuple[str, ...], user: str = "bench") -> str:
    """Tenants, one editor user in all of them, and that user's token, through Atrium's admin API."""
    api = s.admin_url + "/api/atrium/v1"

    def call(method: str, path: str, body: dict) -> dict:
        code, text = http(method, api + path, s.admin_token, body)
        if code != 200:
            raise RuntimeError(f"{method} {path} -> {code} {text[:300]}")
        return json.loads(text)

    for i, t in enumerate(tenants):
        call("POST", "/tenants", {"name": t})
        if i == 0:
            call("POST", "/users", {"name": user, "tenant": t, "role": "editor"})
        else:
            call("PUT", f"/tenants/{t}/members/{user}", {"role": "editor"})
    return call("POST", f"/principals/{user}/tokens", {"name": "bench"})["token"]["token"]


def start_mlflow(cls: str, work: Path, p: dict | None) -> Server:
    s = Server("mlflow", cls, work / "mlflow")
    s.workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if cls == "production":
        db = fresh_db(p, "mlflow")
        s.db = db
        store = f"postgresql+psycopg2://{p['owner']}:{p['owner_password']}@{p['host']}:{p['port']}/{db}"
    else:
        store = f"sqlite:///{s.workdir / 'mlflow.db'}"
    cmd = [str(VENV / "bin" / "mlflow"), "server", "--backend-store-uri", store,
           "--default-artifact-root", str(s.workdir / "artifacts"), "--no-serve-artifacts",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(CORES)]
    env = base_env()
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", GIT_PYTHON_REFRESH="quiet")
    s.settings = {"workers": CORES, "server": "uvicorn (mlflow server's default)", "backend": store.replace(p["owner_password"], "***") if p and cls == "production" else store,
                  "artifacts": "--no-serve-artifacts, local default artifact root"}
    s.launch(cmd, env, f"http://127.0.0.1:{port}/health", timeout_s=300)
    s.settings["command"] = s.settings["command"].replace(p["owner_password"], "***") if p and cls == "production" else s.settings["command"]
    s.url = f"http://127.0.0.1:{port}"
    s.store_uri = store  # W3's growth is seeded through it (seed_mlflow_runs)
    return s


def start_fasttrackml(cls: str, work: Path, p: dict | None) -> Server:
    s = Server("fasttrackml", cls, work / "fasttrackml")
    s.workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if cls == "production":
        db = fresh_db(p, "fml")
        s.db = db
        uri = f"postgres://{p['owner']}:{p['owner_password']}@{p['host']}:{p['port']}/{db}"
    else:
        uri = f"sqlite://{s.workdir / 'fasttrackml.db'}"
    cmd = [str(VENV_FML / "bin" / "fml"), "server", "--listen-address", f"127.0.0.1:{port}", "--database-uri", uri,
           "--default-artifact-root", str(s.workdir / "artifacts"), "--log-level", "warn"]
    s.settings = {"database_pool_max": "20 (default)", "database": uri.replace(p["owner_password"], "***") if p and cls == "production" else uri}
    s.launch(cmd, base_env(), f"http://127.0.0.1:{port}/health", timeout_s=180)
    s.settings["command"] = s.settings["command"].replace(p["owner_password"], "***") if p and cls == "production" else s.settings["command"]
    s.url = f"http://127.0.0.1:{port}"
    return s


# ----------------------------------------------------------------------------- load generator

LOADGEN_CP: str | None = None
RESULTS_OUT: Path | None = None  # this run's results folder (profiles are written there)


def compile_loadgen(out: Path) -> None:
    """Compiled once per run (the same single source file `java bench/LoadGen.java` runs directly), so the
    ~100 invocations of a run do not each pay the source launcher's in-memory compile."""
    global LOADGEN_CP
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(JAVA_HOME / "bin" / "javac"), "-nowarn", "-d", str(out), str(BENCH / "LoadGen.java")],
                   check=True, timeout=300)
    LOADGEN_CP = str(out)


def loadgen(op: str, args: list[str], timeout: float = 900, server: Server | None = None) -> dict:
    cmd = [JAVA, "-Xmx2g"] + (["-cp", LOADGEN_CP, "LoadGen"] if LOADGEN_CP else [str(BENCH / "LoadGen.java")]) + [op] + args
    cpu0 = server.cpu_s() if server else 0.0
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=base_env())
    wall = time.monotonic() - t0
    if r.returncode != 0 or not r.stdout.strip():
        raise RuntimeError(f"LoadGen {op} failed ({r.returncode}): {r.stderr[-2000:]}")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    if server:
        # Whole invocation (set-up included): an upper bound of the server's CPU during the workload.
        res["server_cpu_s"] = round(server.cpu_s() - cpu0, 2)
        res["server_cpu_cores"] = round(res["server_cpu_s"] / max(wall, 1e-9), 3)
    return res


def auth(s: Server) -> list[str]:
    return ["--url", s.url] + (["--token", s.token] if s.token else [])


# ----------------------------------------------------------------------------- workloads


def sizes(a: argparse.Namespace) -> dict:
    return {
        "duration_s": a.duration,
        "warmup_s": a.warmup,
        "server_warmup_s": a.server_warmup,
        "w3_runs": a.w3_runs or 10_000,
        # The same experiment grown to this many runs and searched again (0: not grown).
        "w3_large_runs": a.w3_large_runs if a.w3_large_runs is not None else (100_000 if a.full else 0),
        "w3_deep_page": a.deep_page,
        "w4_points": a.w4_points or (1_000_000 if a.full else 100_000),
        "w4_runs": 100,
        "w4_run_points": 1000,
        "w6_tenants": a.w6_tenants or (1000 if a.full else 100),
        "w6_runs_per_tenant": 10,
    }


def guarded(results: dict, key: str, fn) -> None:
    """Runs one workload; a failure is recorded (and the run goes on with the next workload)."""
    try:
        log(f"  {key} ...")
        results[key] = fn()
        r = results[key]
        brief = {k: r.get(k) for k in ("throughput_per_s", "units_per_s", "runs_per_s", "errors", "throttled_429") if k in r}
        if "latency_ms" in r:
            brief["p50"], brief["p99"] = r["latency_ms"]["p50"], r["latency_ms"]["p99"]
        log(f"  {key}: {brief}")
    except Exception as e:  # noqa: BLE001 - recorded in the results
        log(f"  {key} FAILED: {e}")
        results[key] = {"error": str(e)[-1500:]}


def settle(s: Server, res: dict, workload: str) -> None:
    """After a bulk load on PostgreSQL, VACUUM (ANALYZE) the server's database before timing reads.

    A load of 10,000 runs leaves every table past autovacuum's thresholds, so without this the
    timed searches shared the 2 cores with autovacuum and autoanalyze (seen running 25 s into
    Atrium's W3 search window) and ran on statistics from part-way through the load. Every server
    of the production class gets the same statement on its own database; the embedded class has
    no background vacuum to wait for."""
    p = pg()
    db = getattr(s, "db", None)
    if s.cls != "production" or not p or not db:
        return
    t0 = time.monotonic()
    try:
        psql(p, db, "VACUUM (ANALYZE)", timeout=3600)
        res[f"{workload}_settle_s"] = round(time.monotonic() - t0, 2)
    except Exception as e:  # noqa: BLE001 - the timing goes on without it, and the results say so
        res[f"{workload}_settle_s"] = None
        log(f"  {s.name}: VACUUM (ANALYZE) after the {workload} load failed: {e}")


def tracking_workloads(s: Server, z: dict) -> dict:
    res: dict = {}
    D, W = str(z["duration_s"]), str(z["warmup_s"])
    timed = ["--duration", D, "--warmup", W]
    # Server warm-up, untimed and the same for every server: the write paths of W1, W2 and W5 for
    # z["server_warmup_s"] seconds in all. A JVM server on 2 cores is still compiling a minute into
    # its first load (C2 used 0.6 of a core 45 s into W2, and W2 ran 160 req/s in a 10 s window
    # against more than 900 req/s over 110 s); the peers are interpreted (MLflow) or ahead-of-time
    # compiled (FastTrackML) and gain little from it, but get the same warm-up.
    ws = z["server_warmup_s"]
    if ws > 0:
        part = str(round(ws / 3, 1))
        warm: dict = {}
        for op, args in (("ingest", ["--clients", "8", "--experiment-name", "warm-up"]),
                         ("chatty", ["--clients", "8"]), ("runs", ["--clients", "16"])):
            guarded(warm, op, lambda: loadgen(op, auth(s) + args + ["--duration", part], server=s))
        res["server_warmup"] = {k: {"throughput_per_s": v.get("throughput_per_s"), "error": v.get("error")}
                                for k, v in warm.items()}
    guarded(res, "W1_ingest_8", lambda: loadgen("ingest", auth(s) + ["--clients", "8", "--experiment-name", "w1-8"] + timed, server=s))
    guarded(res, "W1_ingest_64", lambda: loadgen("ingest", auth(s) + ["--clients", "64", "--experiment-name", "w1-64"] + timed, server=s))
    guarded(res, "W2_chatty_8", lambda: loadgen("chatty", auth(s) + ["--clients", "8"] + timed, server=s))
    guarded(res, "W5_runs_16", lambda: loadgen("runs", auth(s) + ["--clients", "16"] + timed, server=s))
    # W3: bulk-load (timed too, it is a figure of its own), then first page and the deep page; with
    # w3_large_runs (--full) the same experiment then grows to that many runs and both pages are
    # timed again (W3L_*).
    small, large = z["w3_runs"], z["w3_large_runs"]
    guarded(res, "W3_load", lambda: loadgen("load-runs", auth(s) + ["--runs", str(small), "--clients", "8",
                                                                 "--max-seconds", "5400"], timeout=5600, server=s))
    if "error" not in res["W3_load"]:
        w3_searches(s, res, z, "W3")
        if large:
            if s.name == "mlflow":
                guarded(res, "W3L_load", lambda: seed_mlflow_runs(s, small, large - small))
            else:
                guarded(res, "W3L_load", lambda: w3_grow(s, small, large - small))
            if "error" not in res["W3L_load"]:
                w3_searches(s, res, z, "W3L")
    # W4: one run with w4_points points of one metric, 100 runs with 1,000 points each.
    hist: dict = {}
    guarded(res, "W4_load", lambda: hist.setdefault("r", loadgen(
        "load-history", auth(s) + ["--points", str(z["w4_points"]), "--runs", str(z["w4_runs"]),
                                   "--run-points", str(z["w4_run_points"]), "--max-seconds", "5400"], timeout=5600, server=s)))
    if "r" in hist:
        res["W4_load"] = {k: v for k, v in hist["r"].items() if k != "small_run_ids"}
        settle(s, res, "W4")
        ids = s.workdir / "w4-small-runs.txt"
        ids.write_text("\n".join(hist["r"]["small_run_ids"]) + "\n")
        # One fetch is one sample; MLflow answers the whole metric in one response (1,000,000 points at
        # --full), so a request gets SLOW_REQUEST_S, and the warm-up and the timed loop may each overrun
        # their window by one fetch.
        guarded(res, "W4_history", lambda: loadgen(
            "history", auth(s) + ["--run-id", hist["r"]["big_run_id"], "--expect", str(z["w4_points"]), "--clients", "1",
                                  "--duration", D, "--warmup", W, "--count", "200",
                                  "--request-timeout", str(SLOW_REQUEST_S)],
            timeout=2 * SLOW_REQUEST_S + z["warmup_s"] + z["duration_s"] + 300, server=s))
        guarded(res, "W4_bulk_interval", lambda: loadgen(
            "bulk-interval", auth(s) + ["--run-ids-file", str(ids), "--clients", "1"] + timed, server=s))
    return res


def w3_searches(s: Server, res: dict, z: dict, key: str) -> None:
    """W3's first page and deep page on the experiment as loaded so far (`key`: W3 or W3L).

    W3 (10,000 runs): 4 clients after the usual warm-up. W3L (the grown experiment, 100,000 runs):
    1 client and no warm-up, for every server alike. One MLflow search of 100,000 runs on SQLite took
    260-311 s by itself on this machine (a CPU-bound worker), so 4 clients would have made each of its
    requests take about 10 minutes, and a warm-up request another 10: about 50 minutes for MLflow's two
    pages alone. One client measures each server's search latency without queueing, which can only
    flatter the slower server; the first W3L request of Atrium and FastTrackML is cold only in what the
    100,000-run experiment itself brings (their code paths are warm from W3). A request gets
    SLOW_REQUEST_S; the set-up's one search (the deep page's token) and the timed loop may each take one
    request past their windows, and the subprocess waits for that."""
    settle(s, res, key)
    clients, warmup = ("4", str(z["warmup_s"])) if key == "W3" else ("1", "0")
    args = auth(s) + ["--clients", clients, "--duration", str(z["duration_s"]), "--warmup", warmup,
                      "--request-timeout", str(SLOW_REQUEST_S)]
    timeout = 3 * SLOW_REQUEST_S + z["warmup_s"] + z["duration_s"] + 300
    guarded(res, f"{key}_search_first", lambda: loadgen("search", args + ["--page", "1"], timeout=timeout, server=s))
    guarded(res, f"{key}_search_deep", lambda: loadgen("search", args + ["--page", str(z["w3_deep_page"])],
                                                        timeout=timeout, server=s))


def w3_grow(s: Server, first: int, count: int) -> dict:
    """W3's experiment grown by runs first..first+count-1 through the API, as the first load (8 clients).

    A load cut short by --max-seconds fails the workload: the searches after it would not be at the
    size their rows name."""
    r = loadgen("load-runs", auth(s) + ["--runs", str(count), "--run-from", str(first), "--clients", "8",
                                        "--max-seconds", "7200"], timeout=7400, server=s)
    r["method"] = "API: runs/create + runs/log-batch, 8 clients"
    if r["units_total"] < count:
        r["error"] = f"loaded {r['units_total']} of {count} runs ({r['errors']} errors) within --max-seconds"
    return r


# ----------------------------------------------------------------------------- MLflow's W3 growth, seeded


class JavaRandom:
    """java.util.Random, bit for bit (its 48-bit linear congruential generator), so that a run seeded
    here carries the values LoadGen's load-runs sends for the same run (`new Random(g * 7919L + 17)`)."""

    MULT, MASK = 0x5DEECE66D, (1 << 48) - 1

    def __init__(self, seed: int):
        self.seed = (seed ^ self.MULT) & self.MASK

    def next(self, bits: int) -> int:
        # bits <= 31 here, so Java's int cast keeps the value as it is.
        self.seed = (self.seed * self.MULT + 0xB) & self.MASK
        return self.seed >> (48 - bits)

    def next_int(self, bound: int) -> int:
        r = self.next(31)
        m = bound - 1
        if bound & m == 0:  # a power of two: the high bits
            return (bound * r) >> 31
        u = r
        # Java's `u - r + m < 0`: the int overflows in the last, partial range of multiples of bound, so redraw.
        while u - (r := u % bound) + m >= 1 << 31:
            u = self.next(31)
        return r

    def next_double(self) -> float:
        return ((self.next(26) << 27) + self.next(27)) * 2.0 ** -53


def w3_run(g: int) -> tuple[str, list, list, list]:
    """Run g of W3 as LoadGen's load-runs sends it: its name and its (key, value) tags, params and metrics."""
    r = JavaRandom(g * 7919 + 17)
    tags = [(f"t{k}", f"tag{k}-{g % 10}") for k in range(5)]
    params = [("p0", "a" if g % 2 == 0 else "b")] + [(f"p{k}", f"v{k}-{r.next_int(1000)}") for k in range(1, 20)]
    # LoadGen sends String.format(Locale.ROOT, "%.6f", v) (the same digits as Python's for v in [0, 1)),
    # which the server parses back into a float.
    metrics = [(f"m{k}", float("%.6f" % r.next_double())) for k in range(10)]
    return f"r{g}", tags, params, metrics


def seed_mlflow_runs(s: Server, first: int, count: int, chunk: int = 1000) -> dict:
    """W3's runs first..first+count-1 written straight into the MLflow server's own database: the rows
    its runs/create and runs/log-batch write for those runs, built with MLflow's own SQLAlchemy models
    and constants (imported from bench/.venv at run time; none of MLflow's code is in this repository)
    and inserted with SQLAlchemy Core, `chunk` runs per transaction.

    Why: through its API MLflow loads 25-38 runs/s on this machine, so growing W3's experiment from
    10,000 to 100,000 runs took over an hour per class. Its load speed stays the figure of W3_load
    (the first runs, through the API); its searches at the larger size go through the API like every
    server's. The server idles meanwhile: on SQLite this writer takes the database lock between the
    workers' (idle) sessions, waiting up to 60 s for it; on PostgreSQL it is one more client."""
    import sqlalchemy as sa
    from mlflow.entities import LifecycleStage, RunStatus, SourceType
    from mlflow.store.tracking.dbmodels.models import SqlExperiment, SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME
    from mlflow.utils.uri import append_to_uri_path

    sqlite = s.store_uri.startswith("sqlite")
    engine = sa.create_engine(s.store_uri, connect_args={"timeout": 60} if sqlite else {"options": "-c lock_timeout=60000"})
    out: dict = {"method": "seeded through MLflow's SQLAlchemy models", "runs": count, "run_from": first, "chunk_runs": chunk}
    try:
        with engine.connect() as c:
            exp = c.execute(sa.select(SqlExperiment.__table__).where(SqlExperiment.name == "bench-search")).one()
            if sqlite:
                out["sqlite_journal_mode"] = c.exec_driver_sql("PRAGMA journal_mode").scalar()
        # As SqlAlchemyStore.create_run (no user_id in LoadGen's request: the proto's "") and log_batch.
        run_cols = {"source_type": SourceType.to_string(SourceType.UNKNOWN), "source_name": "", "entry_point_name": "",
                    "user_id": "", "status": RunStatus.to_string(RunStatus.RUNNING), "end_time": None,
                    "deleted_time": None, "source_version": "", "lifecycle_stage": LifecycleStage.ACTIVE,
                    "experiment_id": exp.experiment_id}
        tables = [SqlRun.__table__, SqlTag.__table__, SqlParam.__table__, SqlMetric.__table__, SqlLatestMetric.__table__]
        t0 = last_log = time.monotonic()
        for lo in range(first, first + count, chunk):
            runs, tags, params, metrics = [], [], [], []
            now = int(time.time() * 1000)
            for g in range(lo, min(lo + chunk, first + count)):
                name, g_tags, g_params, g_metrics = w3_run(g)
                run_id = uuid.uuid4().hex
                runs.append(dict(run_cols, run_uuid=run_id, name=name, start_time=now, artifact_uri=append_to_uri_path(
                    exp.artifact_location, run_id, SqlAlchemyStore.ARTIFACTS_FOLDER_NAME)))
                tags += [{"run_uuid": run_id, "key": k, "value": v} for k, v in g_tags + [(MLFLOW_RUN_NAME, name)]]
                params += [{"run_uuid": run_id, "key": k, "value": v} for k, v in g_params]
                metrics += [{"run_uuid": run_id, "key": k, "value": v, "timestamp": now, "step": 0, "is_nan": False}
                            for k, v in g_metrics]
            # Every run's metrics are logged at step 0 once, so its latest_metrics rows are those same rows.
            with engine.begin() as c:
                for table, rows in zip(tables, (runs, tags, params, metrics, metrics)):
                    c.execute(table.insert(), rows)
            if time.monotonic() - last_log > 15:
                last_log = time.monotonic()
                log(f"  mlflow: seeded {lo + len(runs) - first} / {count} runs")
        out["seconds"] = round(time.monotonic() - t0, 2)
        out["runs_per_s"] = round(count / max(out["seconds"], 1e-9), 1)
        with engine.connect() as c:
            out["experiment_runs_after"] = c.execute(sa.select(sa.func.count()).select_from(SqlRun.__table__).where(
                SqlRun.experiment_id == exp.experiment_id)).scalar()
        log(f"  mlflow: seeded {count} runs in {out['seconds']} s ({out['runs_per_s']} runs/s); the experiment has "
            f"{out['experiment_runs_after']}")
        return out
    finally:
        engine.dispose()


def w6_workloads(s: Server, z: dict) -> dict:
    """Many tenants (Atrium only): the same loads spread over T/10 and then T tenants."""
    res: dict = {}
    D, W = str(z["duration_s"]), str(z["warmup_s"])
    T = z["w6_tenants"]
    steps = sorted({max(1, T // 10), T})
    made, token = 0, None
    for n in steps:
        key = f"T{n}"
        r: dict = {"tenants": n}
        try:
            t = loadgen("tenants", ["--url", s.admin_url, "--admin-token", s.admin_token, "--prefix", "w6-",
                                    "--from", str(made), "--to", str(n), "--user", "w6", "--clients", "4",
                                    "--new-token", "true"], timeout=3600)
            token = t["token"]
            r["tenant_setup_ms_per_tenant"] = t["setup_ms_per_tenant"]
            tmpl = ["--url-template", f"{s.admin_url}/t/w6-%04d", "--token", token]
            r["load"] = loadgen("load-runs", tmpl + ["--tenants", str(n), "--tenant-from", str(made), "--runs",
                                                     str(z["w6_runs_per_tenant"]), "--clients", "8",
                                                     "--experiment-name", "w6-search", "--max-seconds", "3300"],
                                timeout=3600, server=s)
            made = n
            r["ingest_8"] = loadgen("ingest", tmpl + ["--tenants", str(n), "--clients", "8", "--experiment-name",
                                                      f"w6-ingest-{n}", "--duration", D, "--warmup", W], server=s)
            r["search_first"] = loadgen("search", tmpl + ["--tenants", str(n), "--clients", "4", "--expect", "-1",
                                                          "--experiment-name", "w6-search", "--duration", D,
                                                          "--warmup", W], server=s)
            log(f"  W6 {key}: ingest {r['ingest_8']['units_per_s']} points/s p99 {r['ingest_8']['latency_ms']['p99']} ms;"
                f" search p99 {r['search_first']['latency_ms']['p99']} ms")
        except Exception as e:  # noqa: BLE001
            log(f"  W6 {key} FAILED: {e}")
            r["error"] = str(e)[-1500:]
        res[key] = r
        if "error" in r:
            break
    return res


def run_server(starter, cls: str, work: Path, p: dict | None, fn, **kw) -> dict:
    out: dict = {}
    s = None
    try:
        s = starter(cls, work, p, **kw) if kw else starter(cls, work, p)
        out["startup_s"] = s.started_s
        out["settings"] = s.settings
        out.update(fn(s))
    except Exception as e:  # noqa: BLE001
        log(f"{starter.__name__} ({cls}) FAILED: {e}")
        out["error"] = str(e)[-3000:]
    finally:
        if s:
            s.stop()
            out["peak_rss_mb"] = round(s.peak_rss_kb / 1024, 1)
            jfr = s.workdir / "atrium.jfr"
            if jfr.exists():
                out["profile"] = jfr_views(jfr, RESULTS_OUT, f"atrium-{cls}") if RESULTS_OUT else None
            if p and getattr(s, "db", None):
                drop_db(p, s.db)
    return out


def jfr_views(jfr: Path, results: Path, name: str) -> str | None:
    """Hot methods of Atrium's JFR recording, kept as text next to the results (the .jfr itself is not)."""
    target = results / f"{name}-hot-methods.txt"
    try:
        r = subprocess.run([str(JAVA_HOME / "bin" / "jfr"), "view", "--width", "160", "hot-methods", str(jfr)],
                           capture_output=True, text=True, timeout=300)
        r2 = subprocess.run([str(JAVA_HOME / "bin" / "jfr"), "view", "--width", "160", "gc", str(jfr)],
                            capture_output=True, text=True, timeout=300)
        target.write_text(r.stdout + "\n" + r2.stdout)
        return target.name
    except Exception as e:  # noqa: BLE001
        log(f"jfr view failed: {e}")
        return None


# ----------------------------------------------------------------------------- noisy neighbour


def noisy(cls: str, work: Path, p: dict | None, a: argparse.Namespace) -> dict:
    def body(s: Server) -> dict:
        burst = a.n_burst if a.n_burst is not None else a.n_limit
        out: dict = {"n_limit": {"rps": a.n_limit, "burst": burst}}
        code, text = http("PUT", f"{s.admin_url}/api/atrium/v1/tenants/n/limits", s.admin_token,
                          {"rps": a.n_limit, "burst": burst})
        out["limits_api"] = {"status": code, "body": text[:300]}
        if code != 200:
            log(f"  PUT /tenants/n/limits -> {code}: per-tenant limits are not wired; N is unthrottled")
        trace = s.workdir / "q-trace.txt"
        r = loadgen("noisy", ["--q-url", f"{s.admin_url}/t/q", "--q-token", s.token, "--n-url", f"{s.admin_url}/t/n",
                              "--n-token", s.token, "--phase", str(a.phase), "--q-rate", str(a.q_rate), "--n-rate",
                              str(a.n_rate), "--n-connections", str(a.n_connections), "--rounds", str(a.rounds),
                              "--q-trace", str(trace)],
                    timeout=a.phase * 2 * a.rounds + 60 + 900, server=s)
        out.update(r)
        out["q_tail"] = tail_vs_pauses(trace, s.workdir / "gc.log")
        out["n_flood"] = n = pooled_flood([rd["n_flood"] for rd in r["rounds"]])
        # Each round's ratio of Q's p99 beside N to Q's p99 alone just before; the verdict is their
        # median (one round's p99 is the 6th-worst of 600 requests, at the mercy of the shared machine).
        ratios = [rd["q_with_n"]["latency_ms"]["p99"] / rd["q_alone"]["latency_ms"]["p99"]
                  for rd in r["rounds"] if rd["q_alone"]["latency_ms"]["p99"]]
        ratio = statistics.median(ratios) if ratios else None
        acc = n["accepted_per_s"]
        out["verdict"] = {
            "q_p99_ratio": round(ratio, 3) if ratio else None,
            "q_p99_ratio_rounds": [round(x, 3) for x in ratios],
            "q_p99_ratio_pooled": round(r["q_with_n"]["latency_ms"]["p99"] / r["q_alone"]["latency_ms"]["p99"], 3)
            if r["q_alone"]["latency_ms"]["p99"] else None,
            "q_p99_target_met": bool(ratio is not None and ratio <= 1.25),
            "n_accepted_vs_limit": round(acc / a.n_limit, 3),
            "n_rate_target_met": abs(acc - a.n_limit) <= 0.10 * a.n_limit,
            "n_offered_vs_limit": round(n["sent_per_s"] / a.n_limit, 2),
        }
        log(f"  noisy ({cls}): Q p99 ratio per round {out['verdict']['q_p99_ratio_rounds']} (median "
            f"x{out['verdict']['q_p99_ratio']}; pooled alone {r['q_alone']['latency_ms']['p99']} ms, with N "
            f"{r['q_with_n']['latency_ms']['p99']} ms); N accepted {acc}/s of limit {a.n_limit}, 429s {n['throttled_429']}")
        return out

    # No JFR recording here: its sampling and allocation events showed up in Q's tail (x7.4 with it,
    # x4.1 without, same build); the GC-pause analysis (q_tail) says where this tail comes from instead.
    return run_server(start_atrium, cls, work, p, body, open_limits=False, tenants=("q", "n"), jfr=False)


def pooled_flood(rounds: list[dict]) -> dict:
    """N's figures over every round: rates averaged over the rounds' phases, counts summed."""
    wall = sum(r["wall_s"] for r in rounds)
    out = {k: sum(r[k] for r in rounds) for k in ("requests", "ok", "errors", "throttled_429")}
    out["sent_per_s"] = round(sum(r["sent_per_s"] for r in rounds) / len(rounds), 3)
    out["accepted_per_s"] = round(sum(r["accepted_per_s"] for r in rounds) / len(rounds), 3)
    out["accepted_per_s_rounds"] = [r["accepted_per_s"] for r in rounds]
    out["loadgen_cpu_cores"] = round(sum(r["loadgen_cpu_s"] for r in rounds) / wall, 3) if wall else None
    out["first_error"] = next((r.get("first_error") for r in rounds if r.get("first_error")), None)
    return out


def gc_pauses(gc_log: Path) -> list[tuple[float, float]]:
    """(start, end) in epoch seconds of every stop-the-world pause in a -Xlog:gc:...:time,uptime log."""
    out = []
    pat = re.compile(r"^\[(\d{4}-\d\d-\d\dT[\d:.]+)([+-]\d{4})\].*\bPause\b.* ([\d.]+)ms$")
    try:
        lines = gc_log.read_text(errors="replace").splitlines()
    except OSError:
        return out
    for line in lines:
        m = pat.match(line)
        if m:
            end = dt.datetime.strptime(m.group(1) + m.group(2), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
            out.append((end - float(m.group(3)) / 1000, end))
    return out


def tail_vs_pauses(trace: Path, gc_log: Path) -> dict:
    """How many of Q's slowest 1 % with N (and alone) overlapped a GC pause of the server: the share of
    the tail that stop-the-world pauses explain, from LoadGen's --q-trace and the server's GC log."""
    pauses = gc_pauses(gc_log)
    res: dict = {"pauses": len(pauses)}
    try:
        rows = [line.split() for line in trace.read_text().splitlines() if line.strip()]
    except OSError:
        return res
    for phase in ("alone", "with_n"):
        # (start s, latency ms) of every round's requests in this phase, and each round's span of them
        reqs = []
        spans = {}
        for r in rows:
            if r[1] == phase:
                st, lat = int(r[2]) / 1000, int(r[3]) / 1000
                reqs.append((st, lat))
                lo, hi = spans.get(r[0], (st, st))
                spans[r[0]] = (min(lo, st), max(hi, st + lat / 1000))
        if not reqs:
            continue
        in_phase = [(a, b) for a, b in pauses if any(b >= lo and a <= hi for lo, hi in spans.values())]
        worst = sorted(reqs, key=lambda r: r[1], reverse=True)[:max(1, len(reqs) // 100)]
        hit = sum(1 for st, lat in worst if any(a <= st + lat / 1000 and b >= st for a, b in in_phase))
        res[phase] = {"slowest_1pct": len(worst), "overlapping_a_pause": hit, "pauses_in_phase": len(in_phase),
                      "pause_ms_in_phase": round(sum((b - a) * 1000 for a, b in in_phase), 1),
                      "slowest_ms": [round(lat, 1) for _, lat in worst]}
    return res


# ----------------------------------------------------------------------------- reporting


def cmd_out(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:  # noqa: BLE001
        return ""


def machine() -> dict:
    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    java_v = subprocess.run([JAVA, "-version"], capture_output=True, text=True).stderr.splitlines()
    versions = {"java": java_v[0] if java_v else "", "python": platform.python_version()}
    if (VENV / "bin" / "python").exists():
        versions["mlflow"] = cmd_out([str(VENV / "bin" / "python"), "-c", "import mlflow; print(mlflow.__version__)"])
    if (VENV_FML / "bin" / "pip").exists():
        versions["fasttrackml"] = cmd_out([str(VENV_FML / "bin" / "pip"), "show", "fasttrackml"]).split("Version: ")[-1].split("\n")[0]
    versions["postgresql"] = cmd_out(["psql", "--version"])
    versions["atrium_commit"] = cmd_out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]) + (
        " (+ uncommitted changes)" if cmd_out(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src", "pom.xml"]) else "")
    return {"cores": CORES, "cpu": cpu, "memory": mem, "kernel": platform.release(), "versions": versions}


def uptime() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def g(d: dict, *path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


# (label, workload key, path in its result, higher is better, goal vs MLflow: None | ("x", 10) | ("inv", 10)).
# A label is formatted with the run's sizes; the W3L rows are shown only where W3's experiment was grown.
FIGURES = [
    ("W1 ingest, 8 clients: points/s", "W1_ingest_8", ("units_per_s",), True, ("x", 10)),
    ("W1 ingest, 8 clients: p50 ms", "W1_ingest_8", ("latency_ms", "p50"), False, None),
    ("W1 ingest, 8 clients: p99 ms", "W1_ingest_8", ("latency_ms", "p99"), False, None),
    ("W1 ingest, 64 clients: points/s", "W1_ingest_64", ("units_per_s",), True, ("x", 10)),
    ("W1 ingest, 64 clients: p50 ms", "W1_ingest_64", ("latency_ms", "p50"), False, None),
    ("W1 ingest, 64 clients: p99 ms", "W1_ingest_64", ("latency_ms", "p99"), False, None),
    ("W2 chatty log-metric, 8 clients: req/s", "W2_chatty_8", ("throughput_per_s",), True, ("x", 10)),
    ("W2 chatty: p50 ms", "W2_chatty_8", ("latency_ms", "p50"), False, None),
    ("W2 chatty: p99 ms", "W2_chatty_8", ("latency_ms", "p99"), False, None),
    ("W3 bulk load of {w3_runs:,} runs via log-batch: runs/s", "W3_load", ("units_per_s",), True, None),
    ("W3 search, {w3_runs:,} runs, first page: p50 ms", "W3_search_first", ("latency_ms", "p50"), False, None),
    ("W3 search, {w3_runs:,} runs, first page: p99 ms", "W3_search_first", ("latency_ms", "p99"), False, ("inv", 10)),
    ("W3 search, {w3_runs:,} runs, deep page: p50 ms", "W3_search_deep", ("latency_ms", "p50"), False, None),
    ("W3 search, {w3_runs:,} runs, deep page: p99 ms", "W3_search_deep", ("latency_ms", "p99"), False, ("inv", 10)),
    ("W3L growth to {w3_large_runs:,} runs via log-batch: runs/s", "W3L_load", ("units_per_s",), True, None),
    ("W3L search, {w3_large_runs:,} runs, first page: p50 ms", "W3L_search_first", ("latency_ms", "p50"), False, None),
    ("W3L search, {w3_large_runs:,} runs, first page: p99 ms", "W3L_search_first", ("latency_ms", "p99"), False, ("inv", 10)),
    ("W3L search, {w3_large_runs:,} runs, deep page: p50 ms", "W3L_search_deep", ("latency_ms", "p50"), False, None),
    ("W3L search, {w3_large_runs:,} runs, deep page: p99 ms", "W3L_search_deep", ("latency_ms", "p99"), False, ("inv", 10)),
    ("W4 get-history (whole metric): p50 ms", "W4_history", ("latency_ms", "p50"), False, None),
    ("W4 get-history (whole metric): p99 ms", "W4_history", ("latency_ms", "p99"), False, ("inv", 10)),
    ("W4 get-history-bulk-interval, 100 runs: p50 ms", "W4_bulk_interval", ("latency_ms", "p50"), False, None),
    ("W4 get-history-bulk-interval, 100 runs: p99 ms", "W4_bulk_interval", ("latency_ms", "p99"), False, ("inv", 10)),
    ("W5 create+finish run, 16 clients: pairs/s", "W5_runs_16", ("throughput_per_s",), True, ("x", 10)),
    ("W5: p50 ms", "W5_runs_16", ("latency_ms", "p50"), False, None),
    ("W5: p99 ms", "W5_runs_16", ("latency_ms", "p99"), False, None),
    ("peak RSS of the server (process tree), MB", None, ("peak_rss_mb",), False, None),
    ("start-up to ready, s", None, ("startup_s",), False, None),
]


def fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def value(srv: dict, key, path):
    """(figure, note): the number, or None with a note ("failed", "n/a ..."); a figure from a workload
    with failed requests carries "(N errors)" as its note. Such a figure counts only the requests
    that succeeded: a lower bound of the errors' cost for a throughput, a flattering latency."""
    if srv is None:
        return None, ""
    if key is None:
        return g(srv, *path), ""
    w = srv.get(key)
    if w is None:
        return None, ""
    if "error" in w:
        return None, "failed"
    if "unsupported" in w:
        return None, "n/a (no such route)"
    if w.get("method", "").startswith("seeded"):
        return None, "seeded, not via its API"
    if w.get("errors"):
        return g(w, *path), f" ({w['errors']} errors)"
    return g(w, *path), ""


def shown(v, note: str) -> str:
    return note if v is None and note else f"{fmt(v)}{note}"


def tracking_md(res: dict, sizes: dict) -> tuple[list[str], list[str]]:
    lines, shortfalls = [], []
    for cls, servers in res.items():
        title = "Atrium on H2, MLflow and FastTrackML on SQLite" if cls == "embedded" else \
            "all three on the same local PostgreSQL, a fresh database each"
        lines += [f"### {cls} class: {title}", "",
                  "| figure | Atrium | MLflow | FastTrackML | Atrium/MLflow | Atrium/FastTrackML | goal | met |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
        a, m, f = servers.get("atrium"), servers.get("mlflow"), servers.get("fasttrackml")
        for label, key, path, higher, goal in FIGURES:
            if key and key.startswith("W3L") and not any("W3L_load" in (srv or {}) for srv in (a, m, f)):
                continue
            label = label.format(**sizes)
            (va, na), (vm, nm), (vf, nf) = value(a, key, path), value(m, key, path), value(f, key, path)
            # A peer's failed requests do not void the ratio (its figure counts what it did serve, which
            # can only flatter it); Atrium's own errors fail the goal whatever the ratio.
            rm = va / vm if va is not None and vm else None
            rf = va / vf if va is not None and vf else None
            goal_txt, met = "", ""
            if key is not None:
                checks = [not na]
                if goal and goal[0] == "x":
                    goal_txt = f"≥ {goal[1]}× MLflow; > FastTrackML"
                    checks.append(rm is not None and rm >= goal[1])
                elif goal and goal[0] == "inv":
                    goal_txt = f"≤ 1/{goal[1]} of MLflow; < FastTrackML"
                    checks.append(rm is not None and rm <= 1 / goal[1])
                else:
                    goal_txt = "ahead of FastTrackML"
                if vf is not None or nf or goal:
                    peer_cannot = nf.startswith("n/a")
                    checks.append(peer_cannot or (rf is not None and (rf > 1 if higher else rf < 1)))
                if goal or vf is not None or nf:
                    ok = all(checks)
                    met = "yes" if ok else "**no**"
                    if not ok:
                        shortfalls.append(f"{cls}: {label}: Atrium {shown(va, na)} vs MLflow {shown(vm, nm)} (×{fmt(rm)}), "
                                          f"FastTrackML {shown(vf, nf)} (×{fmt(rf)}); goal {goal_txt}")
            lines.append(f"| {label} | {shown(va, na)} | {shown(vm, nm)} | {shown(vf, nf)} | "
                         f"{fmt(rm) if rm is None else f'{rm:.2f}×'} | "
                         f"{fmt(rf) if rf is None else f'{rf:.2f}×'} | {goal_txt} | {met} |")
        # The load generator's own CPU, to show it is not the bottleneck.
        lg = []
        for name, srv in (("Atrium", a), ("MLflow", m), ("FastTrackML", f)):
            if not srv:
                continue
            worst = max(((k, w.get("loadgen_cpu_cores", 0), w.get("server_cpu_cores")) for k, w in srv.items()
                         if isinstance(w, dict) and "loadgen_cpu_cores" in w), key=lambda t: t[1], default=None)
            if worst:
                lg.append(f"{name}: load generator at most {worst[1]:.2f} cores (in {worst[0]}; server {fmt(worst[2])} cores then)")
        lines += ["", "Load generator CPU: " + "; ".join(lg) + f" (of {CORES} cores).", ""]
        seeded = (m or {}).get("W3L_load") or {}
        if seeded.get("method", "").startswith("seeded") and "error" not in seeded:
            rate = g(m, "W3_load", "units_per_s")
            lines.append(
                f"- MLflow's W3L experiment was not grown through its API: its runs {seeded['run_from']:,} to "
                f"{seeded['run_from'] + seeded['runs'] - 1:,} were seeded straight into its database through MLflow's own "
                f"SQLAlchemy models ({fmt(seeded['seconds'])} s, {fmt(seeded['runs_per_s'])} runs/s), as the rows its "
                f"runs/create and runs/log-batch write for the same runs and values. Through its API MLflow loads "
                f"25-38 runs/s (W3's load above: {fmt(rate)} runs/s"
                + (f", about {seeded['runs'] / rate / 60:,.0f} min for this growth" if rate else "")
                + "), so its W3 row stays its load speed. Its W3L searches ran through its API like every server's.")
        for name, srv in (("Atrium", a), ("MLflow", m), ("FastTrackML", f)):
            if srv and srv.get("error"):
                lines.append(f"- {name} failed: `{srv['error'].splitlines()[-1][:300]}`")
            for k, w in (srv or {}).items():
                if isinstance(w, dict) and w.get("error"):
                    lines.append(f"- {name} {k} failed: `{w['error'].strip().splitlines()[-1][:300] if w['error'].strip() else ''}`")
                elif isinstance(w, dict) and w.get("first_error"):
                    lines.append(f"- {name} {k}: {w.get('errors')} errors, first: `{w['first_error'][:300]}`")
        if a and a.get("profile"):
            lines.append(f"- Atrium profile (JFR hot methods and GC, whole run): [{a['profile']}]({a['profile']})")
        w6 = (a or {}).get("W6")
        if w6:
            lines += ["", f"#### W6 many tenants (Atrium, {cls})", "",
                      "| tenants | set-up ms/tenant | W1 ingest 8 clients points/s | p50 ms | p99 ms | W3 search first page p50 ms | p99 ms |",
                      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
            base = a.get("W1_ingest_8", {})
            lines.append(f"| 1 (W1 above) | — | {fmt(g(base, 'units_per_s'))} | {fmt(g(base, 'latency_ms', 'p50'))} | "
                         f"{fmt(g(base, 'latency_ms', 'p99'))} | — | — |")
            for k, r in w6.items():
                if "error" in r:
                    lines.append(f"| {r['tenants']} | failed: `{r['error'].strip().splitlines()[-1][:200]}` | | | | | |")
                    continue
                lines.append(f"| {r['tenants']} | {fmt(r.get('tenant_setup_ms_per_tenant'))} | {fmt(g(r, 'ingest_8', 'units_per_s'))} | "
                             f"{fmt(g(r, 'ingest_8', 'latency_ms', 'p50'))} | {fmt(g(r, 'ingest_8', 'latency_ms', 'p99'))} | "
                             f"{fmt(g(r, 'search_first', 'latency_ms', 'p50'))} | {fmt(g(r, 'search_first', 'latency_ms', 'p99'))} |")
        lines.append("")
    return lines, shortfalls


def noisy_md(res: dict) -> list[str]:
    lines = ["## Noisy neighbour (Atrium only)", "",
             "Each class: a 60 s warm-up of Q and N together, then rounds of Q alone for 30 s and Q beside N's flood "
             "for 30 s. The Q p99 ratio is the median of the rounds' ratios (each round's own p99 beside N over its p99 "
             "alone; every round is listed); the p50/p99 columns pool all rounds' requests. "
             "N's flood is its own JVM in its own session at nice 10 (bench/README.md says why); "
             "Atrium's GC log is kept in its work dir with `ATRIUM_BENCH_KEEP_WORK=1`.", "",
             "| class | Q p50 alone ms | Q p99 alone ms | Q p50 with N ms | Q p99 with N ms | Q p99 ratio, median (≤ 1.25) | "
             "ratio per round | N limit rps | N offered req/s | N accepted req/s (±10%) | N 429s | targets met |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |"]
    notes = []
    for cls, r in res.items():
        if "error" in r or "q_alone" not in r:
            lines.append(f"| {cls} | failed: `{str(r.get('error', '')).strip().splitlines()[-1][:200] if r.get('error') else ''}` | | | | | | | | | | |")
            continue
        v = r["verdict"]
        met = "yes" if v["q_p99_target_met"] and v["n_rate_target_met"] else "**no**"
        lines.append(f"| {cls} | {fmt(r['q_alone']['latency_ms']['p50'])} | {fmt(r['q_alone']['latency_ms']['p99'])} | "
                     f"{fmt(r['q_with_n']['latency_ms']['p50'])} | {fmt(r['q_with_n']['latency_ms']['p99'])} | "
                     f"{fmt(v['q_p99_ratio'])} {'' if v['q_p99_target_met'] else '(**no**)'} | "
                     f"{', '.join(fmt(x) for x in v.get('q_p99_ratio_rounds', []))} | {r['n_limit']['rps']} | "
                     f"{fmt(r['n_flood']['sent_per_s'])} | {fmt(r['n_flood']['accepted_per_s'])} "
                     f"{'' if v['n_rate_target_met'] else '(**no**)'} | {r['n_flood']['throttled_429']} | {met} |")
        if r.get("limits_api", {}).get("status") != 200:
            notes.append(f"- {cls}: `PUT /api/atrium/v1/tenants/n/limits` answered {r['limits_api']['status']}: "
                         "per-tenant limits are not wired into this build, so N ran unthrottled.")
        if r["q_alone"].get("errors") or r["q_with_n"].get("errors"):
            notes.append(f"- {cls}: Q errors alone {r['q_alone'].get('errors')}, with N {r['q_with_n'].get('errors')}; first: "
                         f"`{(r['q_with_n'].get('first_error') or r['q_alone'].get('first_error') or '')[:200]}`")
        tail = r.get("q_tail", {}).get("with_n")
        if tail:
            notes.append(f"- {cls}: Q's slowest 1 % beside N ({tail['slowest_1pct']} requests, "
                         f"{', '.join(fmt(x) for x in tail['slowest_ms'])} ms): {tail['overlapping_a_pause']} overlapped one of "
                         f"the server's {tail['pauses_in_phase']} stop-the-world GC pauses in those phases "
                         f"({fmt(tail['pause_ms_in_phase'])} ms of pauses). N's load generator used "
                         f"{fmt(r['n_flood'].get('loadgen_cpu_cores'))} cores.")
        if r["n_flood"].get("first_error"):
            notes.append(f"- {cls}: N errors other than 429: {r['n_flood']['errors']}, first: `{r['n_flood']['first_error'][:200]}`")
    return lines + [""] + notes + [""]


def plots(results: dict, out: Path) -> list[str]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:  # noqa: BLE001
        log("matplotlib not available: no plots")
        return []
    made = []
    tr = results.get("tracking") or {}
    names = ["atrium", "mlflow", "fasttrackml"]
    colors = {"atrium": "#2b7bba", "mlflow": "#d95f02", "fasttrackml": "#7570b3"}
    # W3 at its larger size only where the experiment was grown (--full), not as empty bars.
    grown = [("W3L\nfirst", "W3L_search_first", ("latency_ms", "p99")), ("W3L\ndeep", "W3L_search_deep", ("latency_ms", "p99"))] \
        if any("W3L_load" in srv for servers in tr.values() for srv in servers.values()) else []
    groups = [
        ("throughput.png", "Throughput (higher is better, log scale)", [
            ("W1 8c\npoints/s", "W1_ingest_8", ("units_per_s",)), ("W1 64c\npoints/s", "W1_ingest_64", ("units_per_s",)),
            ("W2\nreq/s", "W2_chatty_8", ("throughput_per_s",)), ("W5\npairs/s", "W5_runs_16", ("throughput_per_s",)),
            ("W3 load\nruns/s", "W3_load", ("units_per_s",))]),
        ("latency_p99.png", "p99 latency in ms (lower is better, log scale)", [
            ("W1 8c", "W1_ingest_8", ("latency_ms", "p99")), ("W1 64c", "W1_ingest_64", ("latency_ms", "p99")),
            ("W2", "W2_chatty_8", ("latency_ms", "p99")), ("W3 first", "W3_search_first", ("latency_ms", "p99")),
            ("W3 deep", "W3_search_deep", ("latency_ms", "p99")), *grown, ("W4 history", "W4_history", ("latency_ms", "p99")),
            ("W4 bulk", "W4_bulk_interval", ("latency_ms", "p99")), ("W5", "W5_runs_16", ("latency_ms", "p99"))]),
    ]
    for fname, title, figs in groups:
        if not tr:
            break
        fig, axes = plt.subplots(1, len(tr), figsize=(7 * len(tr), 4.5), squeeze=False)
        for ax, (cls, servers) in zip(axes[0], tr.items()):
            width = 0.8 / len(names)
            for i, n in enumerate(names):
                vals = []
                for _, key, path in figs:
                    v = value(servers.get(n), key, path)[0]
                    vals.append(v if isinstance(v, (int, float)) and v > 0 else 0)
                ax.bar([x + i * width for x in range(len(figs))], vals, width, label=n, color=colors[n])
            ax.set_xticks([x + width for x in range(len(figs))])
            ax.set_xticklabels([f[0] for f in figs], fontsize=8)
            ax.set_yscale("log")
            ax.set_title(f"{title}\n{cls}", fontsize=10)
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / fname, dpi=100)
        plt.close(fig)
        made.append(fname)
    nn = results.get("noisy_neighbour") or {}
    ok = {c: r for c, r in nn.items() if "q_alone" in r}
    if ok:
        fig, ax = plt.subplots(figsize=(7, 4))
        labels, alone, with_n = [], [], []
        for cls, r in ok.items():
            for p in ("p50", "p99"):
                labels.append(f"{cls}\n{p}")
                alone.append(r["q_alone"]["latency_ms"][p])
                with_n.append(r["q_with_n"]["latency_ms"][p])
        xs = range(len(labels))
        ax.bar([x - 0.2 for x in xs], alone, 0.4, label="Q alone")
        ax.bar([x + 0.2 for x in xs], with_n, 0.4, label="Q with N flooding")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_ylabel("ms")
        ax.set_title("Noisy neighbour: tenant Q's latency")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "noisy_neighbour.png", dpi=100)
        plt.close(fig)
        made.append("noisy_neighbour.png")
    return made


def write_results(results: dict, out: Path, full_run: bool) -> None:
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    pngs = plots(results, out)
    meta = results["meta"]
    mach = meta["machine"]
    md = [f"# Atrium benchmark, {meta['started']}", "",
          f"Command: `{meta['command']}`  ",
          f"Machine: {mach['cores']} cores ({mach['cpu']}), {mach['memory']} memory, Linux {mach['kernel']}; "
          f"load average (1/5/15 min) before {meta['load_before']}, after {meta['load_after']}"
          f"{' (other work was running on this machine: timings are noisy)' if float(meta['load_before'].split()[0]) > 1.0 else ''}.  ",
          "Versions: " + ", ".join(f"{k} {v}" for k, v in mach["versions"].items()) + ".  ",
          f"Sizes: {json.dumps(meta['sizes'])}.  ",
          f"Atrium built in: `{meta.get('atrium_build')}`.  ",
          f"Wall time of the whole run: {meta.get('wall_s')} s.", ""] + [f"Note: {n}" for n in meta.get("notes", [])] + ["",
          "Each figure comes from the same run. Ratios are Atrium/peer: above 1 is better for throughputs, below 1 "
          "is better for latencies. Server settings are in results.json (`settings`); bench/README.md explains "
          "the workloads.", ""]
    shortfalls: list[str] = []
    if results.get("tracking"):
        md += ["## Tracking workloads", ""]
        t_lines, shortfalls = tracking_md(results["tracking"], meta["sizes"])
        md += t_lines
    if results.get("noisy_neighbour"):
        md += noisy_md(results["noisy_neighbour"])
    if shortfalls:
        md += ["## Where Atrium falls short of its goals", "",
               "Goals (issue 5): ≥ 10× MLflow on W1, W2 and W5; ≤ 1/10 of MLflow's p99 on W3 and W4; ahead of "
               "FastTrackML on every workload. Not met in this run:", ""] + [f"- {s}" for s in shortfalls] + [""]
        profs = [f"[{s.get('profile')}]({s.get('profile')})" for c in results.get("tracking", {}).values()
                 for n, s in c.items() if n == "atrium" and s.get("profile")]
        if profs:
            md += ["Where the time goes in Atrium: JFR hot methods and GC over the whole run: " + ", ".join(profs) + ".", ""]
    for p in pngs:
        md += [f"![{p}]({p})", ""]
    text = "\n".join(md)
    (out / "results.md").write_text(text)
    if full_run:
        latest = text.replace("](", f"]({out.name}/").replace(f"]({out.name}/http", "](http")
        (out.parent / "latest.md").write_text(
            f"<!-- copy of {out.name}/results.md, the last `bin/bench all` run -->\n" + latest)
    log(f"results in {out}")


# ----------------------------------------------------------------------------- commands


def cmd_smoke(a: argparse.Namespace) -> int:
    """A fresh Atrium on H2 and one tiny run of each load generator op through the source launcher."""
    t0 = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="atrium-bench-smoke-"))
    s = None
    global LOADGEN_CP
    try:
        # Compile the load generator while Atrium starts (on 2 cores both take seconds).
        javac = subprocess.Popen([str(JAVA_HOME / "bin" / "javac"), "-nowarn", "-d", str(work / "lg"),
                                  str(BENCH / "LoadGen.java")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        s = start_atrium("embedded", work, None, tenants=("bench",), quick=True)
        if s.settings["db_pool_size"] is None:  # results.json records it from the server's start-up line
            raise RuntimeError("the server's start-up line did not report its pool size")
        log(f"smoke: server pool {s.settings['db_pool_size']} connections")
        if javac.wait(timeout=300) != 0:
            raise RuntimeError(f"javac LoadGen.java failed: {javac.stderr.read().decode()[-2000:]}")
        LOADGEN_CP = str(work / "lg")
        r = loadgen("ingest", auth(s) + ["--clients", "2", "--duration", "1", "--points", "100"], timeout=120, server=s)
        bad = r["ok"] == 0 or r["errors"] > 0 or r["units_total"] <= 0
        log(f"smoke: ingest {r['ok']} log-batch calls, {r['units_total']} points, {r['errors']} errors "
            f"({time.monotonic() - t0:.1f} s in all, peak RSS {s.peak_rss_kb // 1024} MB)")
        if bad:
            log(f"smoke FAILED: {json.dumps(r)}")
            return 1
        # The noisy-neighbour op too: it starts its flood as a child JVM, which must not rot either.
        u = f"{s.admin_url}/t/bench"
        r = loadgen("noisy", ["--q-url", u, "--q-token", s.token, "--n-url", u, "--n-token", s.token, "--phase", "1",
                              "--warmup", "0", "--q-rate", "5", "--n-rate", "20", "--n-connections", "2", "--rounds", "1"],
                    timeout=120, server=s)
        n = r["rounds"][0]["n_flood"]
        log(f"smoke: noisy Q {r['q_with_n']['ok']} requests beside N's {n['ok']}")
        if r["q_with_n"]["ok"] == 0 or n["ok"] == 0 or r["q_with_n"]["errors"] or n["errors"]:
            log(f"smoke FAILED: {json.dumps(r)}")
            return 1
        return 0
    except Exception as e:  # noqa: BLE001
        log(f"smoke FAILED: {e}")
        if s:
            log(s.log_tail())
        return 1
    finally:
        if s:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["tracking", "noisy-neighbour", "all", "smoke"])
    ap.add_argument("--full", action="store_true",
                    help="W3 also at 100,000 runs, W4 with 1,000,000 points, W6 with 1,000 tenants")
    ap.add_argument("--servers", default="atrium,mlflow,fasttrackml")
    ap.add_argument("--classes", default="embedded,production")
    ap.add_argument("--duration", type=float, default=10, help="seconds of each timed workload (default 10)")
    ap.add_argument("--warmup", type=float, default=3, help="untimed seconds before each timed workload (default 3)")
    ap.add_argument("--server-warmup", type=float, default=60,
                    help="untimed seconds of W1/W2/W5 writes against each server before its workloads (default 60)")
    ap.add_argument("--w3-runs", type=int, default=0, help="W3's runs (default 10,000)")
    ap.add_argument("--w3-large-runs", type=int, default=None,
                    help="then grow W3's experiment to this many runs and search it again "
                         "(default 100,000 with --full, else 0: not grown)")
    ap.add_argument("--deep-page", type=int, default=20, help="page number of W3's deep page (default 20: offset 1,900)")
    ap.add_argument("--w4-points", type=int, default=0)
    ap.add_argument("--w6-tenants", type=int, default=0)
    ap.add_argument("--no-w6", action="store_true")
    ap.add_argument("--phase", type=float, default=30, help="noisy neighbour: seconds of each phase")
    ap.add_argument("--q-rate", type=float, default=20)
    ap.add_argument("--n-rate", type=float, default=600)
    ap.add_argument("--n-limit", type=float, default=50)
    ap.add_argument("--n-burst", type=float, default=None, help="noisy neighbour: N's burst (default: --n-limit)")
    ap.add_argument("--n-connections", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3,
                    help="noisy neighbour: pairs of phases (Q alone, Q beside N); the verdict is the median round")
    ap.add_argument("--out", default=str(BENCH / "results"))
    ap.add_argument("--no-profile", action="store_true", help="run Atrium without its JFR recording")
    a = ap.parse_args()
    if not (BUILD / "atrium.jar").is_file():
        log(f"no {BUILD / 'atrium.jar'}: build Atrium first (bin/bench does)")
        return 2
    if a.command == "smoke":
        return cmd_smoke(a)
    z = sizes(a)
    if z["w3_large_runs"] and z["w3_large_runs"] <= z["w3_runs"]:
        ap.error(f"--w3-large-runs {z['w3_large_runs']} must exceed W3's {z['w3_runs']} runs (or be 0)")

    started = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(a.out) / started
    out.mkdir(parents=True, exist_ok=True)
    global RESULTS_OUT
    RESULTS_OUT = out
    work = BENCH / ".work" / started
    work.mkdir(parents=True, exist_ok=True)
    compile_loadgen(work / "loadgen-classes")
    p = pg()
    classes = [c for c in a.classes.split(",") if c]
    if "production" in classes and not p:
        log("no PostgreSQL (ATRIUM_TEST_PG_* unset): production class skipped")
        classes.remove("production")
    results: dict = {"meta": {
        "started": started, "command": os.environ.get("ATRIUM_BENCH_COMMAND") or " ".join(sys.argv),
        "load_before": uptime(), "machine": machine(), "sizes": z, "atrium_heap": ATRIUM_HEAP,
        "atrium_serve_args": " ".join(ATRIUM_SERVE_ARGS),
        "atrium_build": str(BUILD),
        "loadgen": "bench/LoadGen.java: its own HTTP/1.1 client (plain sockets, keep-alive pool) on virtual threads, closed loop, one JVM per workload",
    }}
    t0 = time.monotonic()
    try:
        if a.command in ("tracking", "all"):
            results["tracking"] = {}
            starters = {"atrium": start_atrium, "mlflow": start_mlflow, "fasttrackml": start_fasttrackml}
            for cls in classes:
                results["tracking"][cls] = {}
                for name in [n for n in a.servers.split(",") if n]:
                    log(f"== {name} ({cls})")
                    cw = work / cls
                    if name == "atrium":
                        def body(s: Server) -> dict:
                            r = tracking_workloads(s, z)
                            if not a.no_w6:
                                r["W6"] = w6_workloads(s, z)
                            return r
                        results["tracking"][cls][name] = run_server(start_atrium, cls, cw, p, body,
                                                                    jfr=not a.no_profile)
                    else:
                        results["tracking"][cls][name] = run_server(starters[name], cls, cw, p,
                                                                    lambda s: tracking_workloads(s, z))
                    # Partial results survive an interrupted run.
                    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        if a.command in ("noisy-neighbour", "all"):
            results["noisy_neighbour"] = {}
            for cls in classes:
                log(f"== noisy neighbour ({cls})")
                results["noisy_neighbour"][cls] = noisy(cls, work / f"noisy-{cls}", p, a)
    finally:
        results["meta"]["load_after"] = uptime()
        results["meta"]["wall_s"] = round(time.monotonic() - t0)
        write_results(results, out, full_run=a.command == "all")
        if os.environ.get("ATRIUM_BENCH_KEEP_WORK") != "1":  # kept for a look at the servers' logs
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
