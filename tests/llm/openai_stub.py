"""A real HTTP server on 127.0.0.1 speaking OpenAI's chat-completions protocol, replaying a script.

Each request to ``POST /v1/chat/completions`` consumes the next :class:`Reply`; the request
bodies and headers are recorded so tests can assert what the client really sent.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1)


@dataclass
class Reply:
    #: The assistant message's content (a 200 answer).
    content: str = ""
    status: int = 200
    #: Seconds to wait before answering.
    delay: float = 0.0
    #: A raw body that replaces the protocol JSON (for garbage answers).
    raw_body: str | None = None
    prompt_tokens: int = 100
    completion_tokens: int = 20


def proposal(sql: str, rationale: str = "faster") -> Reply:
    """A 200 answer holding the JSON object the stage asks for."""
    return Reply(content=json.dumps({"sql": sql, "rationale": rationale}))


@dataclass
class ScriptedOpenAI:
    script: list[Reply]
    #: Answer when the script is used up.
    default: Reply = field(default_factory=lambda: Reply(status=500, content="script exhausted"))
    #: ``response_format`` types answered with a 400, like servers without structured output.
    refused_formats: frozenset[str] = frozenset()
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.requests.append(body)
            response_format = body.get("response_format") or {}
            if response_format.get("type") in self.refused_formats:
                return Reply(status=400, content=f"response_format {response_format['type']} is not supported")
            return self.script.pop(0) if self.script else self.default

    def rewrite_requests(self) -> list[dict[str, Any]]:
        """The requests that asked for a rewrite (the explanation request has no response_format)."""
        return [r for r in self.requests if "rewrite" in r["messages"][0]["content"]]


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def _handler(server_state: ScriptedOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with server_state.lock:
                server_state.headers.append({k.lower(): v for k, v in self.headers.items()})
            reply = server_state.next_reply(body)
            if reply.delay and server_state.stopping.wait(reply.delay):
                return
            if reply.raw_body is not None:
                self._send_text(reply.status, reply.raw_body)
            elif reply.status == 200:
                self._send(200, _completion(reply, str(body.get("model"))))
            else:
                self._send(reply.status, {"error": {"message": reply.content or "error", "type": "server_error"}})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            self._send_text(status, json.dumps(payload), "application/json")

        def _send_text(self, status: int, text: str, content_type: str = "text/plain") -> None:
            data = text.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

    return Handler


@contextmanager
def scripted_openai(
    script: list[Reply], *, default: Reply | None = None, refused_formats: frozenset[str] = frozenset()
) -> Iterator[ScriptedOpenAI]:
    """Serve ``script`` on a random port of 127.0.0.1; ``.url`` is the OpenAI base URL (``.../v1``)."""
    state = ScriptedOpenAI(script=list(script), refused_formats=refused_formats)
    if default is not None:
        state.default = default
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="scripted-openai", daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
