"""The tests' and ``lakeopt serve``'s own redis-server: a port still held a moment after a kill."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import redis

from jobs.tasks.redis_server import free_port, running_redis

pytestmark = pytest.mark.redis


def test_a_port_held_for_a_moment_is_tried_again(tmp_path: Path) -> None:
    port = free_port()
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", port))
    holder.listen()
    # Like a server SIGKILLed just before: the port frees itself a second later.
    threading.Timer(1.0, holder.close).start()
    with running_redis(tmp_path, port=port) as url:
        assert redis.Redis.from_url(url).ping()


def test_a_port_that_stays_taken_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = int(holder.getsockname()[1])
        with pytest.raises(RuntimeError, match="exited"), running_redis(tmp_path, port=port):
            pass
