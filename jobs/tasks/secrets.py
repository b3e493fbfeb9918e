"""Handing a task's JDBC URLs (with their passwords) to the worker without storing them.

The task store only ever holds redacted URLs. The full ones wait, Fernet-encrypted, in a Redis
key that expires with the task's time limit and is deleted as soon as the task finishes. The
key comes from ``LAKEOPT_SECRET_KEY``, else from ``LAKEOPT_HOME/secret.key`` (created once, mode
0600), so API and workers sharing a home or the variable read each other's secrets.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis

from jobs.settings import Settings
from jobs.tasks.keys import task_secret_key

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name


@dataclass(frozen=True)
class TaskUrls:
    #: The database to profile (read-only).
    url: str | None = None
    #: A writable Trino to verify the plan on.
    verify_url: str | None = None


def _key_file(home: Path) -> bytes:
    path = home / SECRET_KEY_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when API and worker start together, one creates the key and both read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def secret_cipher(settings: Settings) -> Fernet:
    """The cipher of the Redis secret keys; a malformed ``LAKEOPT_SECRET_KEY`` is a clear error."""
    raw = os.environ.get("LAKEOPT_SECRET_KEY", "").strip()
    key = raw.encode() if raw else _key_file(settings.home)
    try:
        return Fernet(key)
    except ValueError:
        source = "LAKEOPT_SECRET_KEY" if raw else str(settings.home / SECRET_KEY_FILE)
        raise ValueError(f"{source} is not a Fernet key (32 url-safe base64-encoded bytes)") from None


async def put_task_urls(
    redis: Redis, cipher: Fernet, task_id: uuid.UUID, urls: TaskUrls, *, ttl_seconds: float
) -> None:
    token = cipher.encrypt(json.dumps(asdict(urls)).encode())
    await redis.set(task_secret_key(task_id), token, px=max(1000, int(ttl_seconds * 1000)))


async def get_task_urls(redis: Redis, cipher: Fernet, task_id: uuid.UUID) -> TaskUrls:
    """The task's URLs; empty when none were given, the key expired or another key wrote it."""
    value = await redis.get(task_secret_key(task_id))
    if value is None:
        return TaskUrls()
    try:
        data = json.loads(cipher.decrypt(value))
    except InvalidToken:
        return TaskUrls()
    return TaskUrls(url=data.get("url"), verify_url=data.get("verify_url"))


async def drop_task_urls(redis: Redis, task_id: uuid.UUID) -> None:
    await redis.delete(task_secret_key(task_id))
