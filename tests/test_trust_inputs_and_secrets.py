"""Hand-made bad inputs all get a 4xx (never a 5xx), and a password given in any URL position
appears nowhere: responses, API and worker logs, the SQLite file and WAL, Redis, the disk."""

from __future__ import annotations

import json

import httpx
import pytest

from tests import trust_probes
from tests.live_service import LiveService

pytestmark = pytest.mark.redis


def test_every_bad_input_gets_a_client_error(live_service: LiveService) -> None:
    tally, _ = trust_probes.probe_bad_inputs(live_service.base_url)
    assert tally.server_errors == 0 and not tally.unexpected, tally.unexpected
    assert tally.tried == tally.client_errors > 60
    assert httpx.get(f"{live_service.base_url}/healthz").status_code == 200


def test_the_password_appears_nowhere(live_service: LiveService) -> None:
    base = live_service.base_url
    _, bodies = trust_probes.probe_bad_inputs(base)
    accepted = []
    live_service.stop_worker()  # tasks wait in Redis with their secrets, to be grepped there
    query = "query($id: UUID!) { task(id: $id) { ... on Task { url message error report { warnings } } } }"
    for url in trust_probes.secret_urls():
        rest = httpx.post(f"{base}/new", json=trust_probes.workload(url=url))
        graphql = httpx.post(
            f"{base}/graphql",
            json={
                "query": "mutation($i: TaskInput!) { submitTask(input: $i) { ... on Task { id } } }",
                "variables": {"i": trust_probes.workload(url=url)},
            },
        )
        bodies += [rest.text, graphql.text]
        if rest.status_code == 200:
            accepted.append(rest.json()["taskid"])
        task = (graphql.json().get("data") or {}).get("submitTask") or {}
        if task.get("id"):
            accepted.append(task["id"])
    assert len(accepted) >= 8  # the well-formed URLs are accepted, by both APIs
    waiting = trust_probes.redis_contents(live_service.env["REDIS_URL"])
    live_service.start_worker()
    for task_id in accepted:
        live_service.wait_for_status(task_id, {"DONE", "FAILED"}, timeout=90)
        bodies.append(httpx.get(f"{base}/getresult", params={"task_id": task_id}).text)
        bodies.append(httpx.post(f"{base}/graphql", json={"query": query, "variables": {"id": task_id}}).text)
    places: list[str | bytes] = [*bodies, *waiting, live_service.logs()]
    places += trust_probes.redis_contents(live_service.env["REDIS_URL"])
    places += trust_probes.disk_files(live_service.home)
    assert trust_probes.secret_hits(places) == []
    # The probe can find what it looks for: the password is in what was sent.
    assert trust_probes.secret_hits([json.dumps(trust_probes.secret_urls())])
