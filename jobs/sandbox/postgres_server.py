"""``lakeopt sandbox --engine postgres``: a private PostgreSQL server for trying PostgreSQL plans.

Debian's server binaries (``apt-get install postgresql postgresql-15-hypopg``), a data directory
of its own under the sandbox home, a port, and a database ``lakeopt`` owned by a role ``lakeopt``
with the hypopg extension when it is installed. Only 127.0.0.1 and the sandbox's own socket
directory accept connections, with ``trust`` authentication: there is no password to keep
anywhere. As root, the server runs as the ``postgres`` system user (``initdb`` refuses root).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from jobs.settings import default_home

DATABASE = "lakeopt"
ROLE = "lakeopt"


class PostgresSandboxError(RuntimeError):
    """The PostgreSQL sandbox cannot be set up or started; the message says what to do."""


@dataclass(frozen=True)
class PostgresSandbox:
    home: Path = field(default_factory=lambda: default_home() / "sandbox-pg")
    port: int = 15432
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{DATABASE}?user={ROLE}"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"


def server_binaries(search: str = "/usr/lib/postgresql") -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb`` and ``pg_ctl``."""
    root = Path(search)
    versions = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists() and (p / "pg_ctl").exists()),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)] or [0],
    )
    if not versions:
        raise PostgresSandboxError(
            f"no PostgreSQL server binaries under {root} "
            "(install them: apt-get install postgresql postgresql-15-hypopg)"
        )
    return versions[-1]


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser") is None:
        raise PostgresSandboxError("running as root needs runuser to start PostgreSQL as the postgres user")
    return ["runuser", "-u", "postgres", "--", *argv]


def _run(argv: list[str], what: str, timeout: float = 120.0) -> str:
    try:
        done = subprocess.run(_as_server_user(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PostgresSandboxError(f"{what} failed: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PostgresSandboxError(f"{what} failed: {last[0]}")
    return done.stdout


def _initialise(sandbox: PostgresSandbox, bin_dir: Path) -> None:
    sandbox.home.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(sandbox.home, "postgres", "postgres")
        try:
            _run(["test", "-w", str(sandbox.home)], "checking the home")
        except PostgresSandboxError:
            raise PostgresSandboxError(
                f"as root the server runs as the postgres user, who cannot reach {sandbox.home}; "
                "choose a --home under a directory it can enter (e.g. /var/lib/lakeopt or /tmp)"
            ) from None
    sandbox.home.chmod(0o700)
    _run(
        [str(bin_dir / "initdb"), "-D", str(sandbox.data_dir), "-U", "postgres", "-E", "UTF8", "--locale=C",
         "--auth-local=trust", "--auth-host=trust"],
        "initdb",
    )  # fmt: skip


def is_running(sandbox: PostgresSandbox) -> bool:
    if not (sandbox.data_dir / "PG_VERSION").exists():
        return False
    try:
        _run([str(server_binaries() / "pg_ctl"), "-D", str(sandbox.data_dir), "status"], "pg_ctl status", 30)
    except PostgresSandboxError:
        return False
    return True


def _psql(sandbox: PostgresSandbox, bin_dir: Path, database: str, sql: str) -> str:
    argv = [str(bin_dir / "psql"), "-qAt", "-h", str(sandbox.home), "-p", str(sandbox.port), "-U", "postgres"]
    return _run([*argv, "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql], f"psql {sql.split()[0]}")


def start(sandbox: PostgresSandbox) -> list[str]:
    """Initialise (once) and start the server; create the role, database and hypopg. Returns notes."""
    bin_dir = server_binaries()
    if not (sandbox.data_dir / "PG_VERSION").exists():
        _initialise(sandbox, bin_dir)
    if not is_running(sandbox):
        options = f"-p {sandbox.port} -k {sandbox.home} -c listen_addresses={sandbox.host} -c shared_buffers=128MB"
        log = str(sandbox.log_file)
        _run(
            [str(bin_dir / "pg_ctl"), "-D", str(sandbox.data_dir), "-l", log, "-w", "-t", "60", "-o", options, "start"],
            f"starting PostgreSQL (see {log})",
        )
    notes = []
    if not _psql(sandbox, bin_dir, "postgres", f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'").strip():
        _psql(sandbox, bin_dir, "postgres", f"CREATE ROLE {ROLE} LOGIN")
    if not _psql(sandbox, bin_dir, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'").strip():
        _psql(sandbox, bin_dir, "postgres", f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
    if _psql(sandbox, bin_dir, DATABASE, "SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'").strip():
        _psql(sandbox, bin_dir, DATABASE, "CREATE EXTENSION IF NOT EXISTS hypopg")
    else:
        notes.append("hypopg is not installed (apt-get install postgresql-15-hypopg): indexes will be chosen by rules")
    return notes


def stop(sandbox: PostgresSandbox) -> bool:
    """Stop the server; False when it was not running."""
    if not is_running(sandbox):
        return False
    _run([str(server_binaries() / "pg_ctl"), "-D", str(sandbox.data_dir), "-m", "fast", "-w", "stop"], "pg_ctl stop")
    return True
