"""Fair use with the stock client: a tenant over its request rate gets 429 + Retry-After, the client
retries, and a throttled log_batch loop still ends with every point stored exactly once."""

import secrets

import requests
from mlflow.entities import Metric


def _throttled(atrium, tenant: str) -> float:
    text = requests.get(atrium.url + "/metrics", headers={"Authorization": f"Bearer {atrium.admin_token}"},
                        timeout=30).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("atrium_throttled_requests") and f'tenant="{tenant}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_throttled_log_batch_loop_stores_every_point_exactly_once(use, atrium, monkeypatch):
    # A tenant of its own with a tight rate, so no other test is throttled.
    tenant = f"tight-{secrets.token_hex(4)}"
    atrium.admin("POST", "/tenants", json={"name": tenant})
    atrium.admin("PUT", f"/tenants/{tenant}/members/alice", json={"role": "editor"})
    atrium.admin("PUT", f"/tenants/{tenant}/limits", json={"rps": 4, "burst": 4})

    client = use("alice", tenant)
    # The client's own retry policy, as users run it (the suite turns retries off elsewhere).
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "10")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    exp = client.create_experiment("throttled")
    run = client.create_run(exp)
    run_id = run.info.run_id

    batches, per_batch = 30, 50
    for b in range(batches):
        client.log_batch(run_id, metrics=[Metric("loss", float(b * per_batch + i), 1_700_000_000_000 + b,
                                                 b * per_batch + i) for i in range(per_batch)])

    assert _throttled(atrium, tenant) > 0, "the loop was never throttled: the test proves nothing"
    history = client.get_metric_history(run_id, "loss")
    steps = sorted(m.step for m in history)
    assert steps == list(range(batches * per_batch)), "points lost or duplicated"
    assert sorted(m.value for m in history) == [float(s) for s in range(batches * per_batch)]
