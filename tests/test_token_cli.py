"""``lakeopt token`` and ``serve``'s rule: open (no token) only on a loopback address."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LAKEOPT_AUTH")}
    env["LAKEOPT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "lakeopt", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_tokens_are_created_once_listed_and_revoked(tmp_path: Path) -> None:
    assert "no tokens" in _run(tmp_path, "token", "list").stderr

    # No token, a public address: refused before anything starts.
    public = _run(tmp_path, "serve", "--host", "0.0.0.0", "--port", "1")  # noqa: S104 (refused, never bound)
    assert public.returncode == 2, public.stderr
    assert public.stderr.strip() == (
        "lakeopt serve: refusing to serve on 0.0.0.0 without API tokens: create one "
        "(`lakeopt token create NAME`), bind 127.0.0.1, or pass --insecure-open"
    )

    created = _run(tmp_path, "token", "create", "ci-poller")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("lko_") and "only time it is shown" in created.stderr
    again = _run(tmp_path, "token", "create", "ci-poller")
    assert again.returncode == 2 and "exists already" in again.stderr
    assert token not in again.stdout + again.stderr
    bad = _run(tmp_path, "token", "create", "two words")
    assert bad.returncode == 2 and "'two words' is not valid" in bad.stderr

    listed = _run(tmp_path, "token", "list").stdout.splitlines()
    assert len(listed) == 1 and listed[0].startswith("ci-poller\tcreated ") and listed[0].endswith("\tactive")
    assert token not in "".join(listed)
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("tasks.db*"))
    assert token.encode() not in stored

    assert _run(tmp_path, "token", "revoke", "ci-poller").returncode == 0
    assert "\trevoked " in _run(tmp_path, "token", "list").stdout
    missing = _run(tmp_path, "token", "revoke", "ci-poller")
    assert missing.returncode == 2 and "no active token named 'ci-poller'" in missing.stderr
