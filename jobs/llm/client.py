"""One OpenAI-compatible chat endpoint behind a budget: timeouts, bounded retries, token accounting.

The chat model is langchain-openai's ``ChatOpenAI`` (chat-completions API, temperature 0). Its
own retries are off: this module retries 429/5xx/timeouts itself, so every wait and every
attempt is charged to the stage's time budget. Structured output degrades from ``json_schema``
to JSON mode to plain text when a server refuses the ``response_format``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
import openai
from langchain_core.messages import AIMessage, BaseMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from jobs.llm.outcome import LlmUsage
from jobs.llm.proposal import rewrite_json_schema
from jobs.settings import Settings

logger = logging.getLogger(__name__)

#: Servers without authentication (vLLM, Ollama) still need some key; never fall back to OPENAI_API_KEY.
_NO_KEY = "no-key-configured"

#: ``response_format`` variants, most to least structured.
RESPONSE_MODES = ("json_schema", "json_object", "text")


@dataclass(frozen=True)
class LlmLimits:
    #: Seconds one request may take (capped further by what is left of the budget).
    call_timeout: float = 60.0
    #: Extra attempts after a 429, a 5xx, a timeout or a connection error.
    max_retries: int = 2
    #: First wait before a retry; doubled on each further retry, capped at ``backoff_max``.
    backoff_seconds: float = 1.0
    backoff_max: float = 8.0
    #: At most this many queries are sent to the LLM (heaviest first).
    max_queries: int = 40
    #: After this many calls in a row failed at the transport level, the endpoint is given up on.
    failures_before_giving_up: int = 2


class LlmUnavailable(RuntimeError):
    """The endpoint gave no usable HTTP answer (after the allowed retries)."""


class LlmBudgetExhausted(RuntimeError):
    """Not enough of the time budget is left for another request."""


def make_chat_model(settings: Settings, *, timeout: float, http_client: httpx.AsyncClient | None = None) -> ChatOpenAI:
    """A chat-completions model for ``settings`` (``LLM_BASE_URL``, ``LLM_API_KEY``, ``LLM_MODEL``)."""
    if not settings.llm_base_url or not settings.llm_model:
        raise ValueError("LLM_BASE_URL and LLM_MODEL must both be set to use the LLM")
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=SecretStr(settings.llm_api_key or _NO_KEY),
        temperature=0,
        timeout=timeout,
        max_retries=0,
        use_responses_api=False,
        http_async_client=http_client,
    )


def _status(error: BaseException) -> int | None:
    return error.status_code if isinstance(error, openai.APIStatusError) else None


def _retryable(error: BaseException) -> bool:
    status = _status(error)
    if status is not None:
        return status == 429 or status >= 500
    return isinstance(error, TimeoutError | openai.APITimeoutError | openai.APIConnectionError | httpx.TransportError)


def _refuses_response_format(error: BaseException) -> bool:
    return _status(error) in (400, 422)


def _describe(error: BaseException) -> str:
    status = _status(error)
    if isinstance(error, TimeoutError | openai.APITimeoutError):
        return "request timed out"
    text = str(error).strip().splitlines()
    detail = text[0][:200] if text else type(error).__name__
    return f"HTTP {status}: {detail}" if status is not None else f"{type(error).__name__}: {detail}"


class LlmClient:
    """Sends chat requests within ``deadline`` (a ``time.monotonic()`` value) and counts tokens."""

    def __init__(
        self,
        model: ChatOpenAI,
        limits: LlmLimits,
        *,
        deadline: float,
        usage: LlmUsage,
        secret: str | None = None,
    ) -> None:
        self.model = model
        self.limits = limits
        self.deadline = deadline
        self.usage = usage
        self._secret = secret
        self._mode_index = 0

    @property
    def response_mode(self) -> str:
        return RESPONSE_MODES[self._mode_index]

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def redact(self, text: str) -> str:
        """``text`` with the API key taken out (error bodies may echo request headers)."""
        return text.replace(self._secret, "***") if self._secret else text

    async def ask_json(self, messages: list[BaseMessage]) -> str:
        """The answer's text, requested as a JSON object (in the most structured mode the server accepts)."""
        while True:
            kwargs: dict[str, Any] = {}
            if self.response_mode == "json_schema":
                kwargs["response_format"] = rewrite_json_schema()
            elif self.response_mode == "json_object":
                kwargs["response_format"] = {"type": "json_object"}
            try:
                return await self._ask(messages, kwargs)
            except LlmUnavailable as exc:
                cause = exc.__cause__
                if cause is None or not _refuses_response_format(cause) or self.response_mode == "text":
                    raise
                logger.info("LLM server refused response_format %s; falling back", self.response_mode)
                self._mode_index += 1

    async def ask_text(self, messages: list[BaseMessage]) -> str:
        return await self._ask(messages, {})

    async def _ask(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        message = await self._call(messages, kwargs)
        content = message.content
        if isinstance(content, str):
            return content
        # Content blocks: keep their text parts.
        parts = [b if isinstance(b, str) else str(b.get("text", "")) for b in content if isinstance(b, str | dict)]
        return "".join(parts)

    async def _call(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        attempt = 0
        while True:
            timeout = min(self.limits.call_timeout, self.remaining())
            if timeout < 0.05:
                raise LlmBudgetExhausted("the LLM time budget is used up")
            self.usage.calls += 1
            try:
                async with asyncio.timeout(timeout):
                    message = await self.model.ainvoke(messages, **kwargs)
            except Exception as exc:
                if isinstance(exc, TimeoutError | openai.APITimeoutError) and timeout < self.limits.call_timeout:
                    raise LlmBudgetExhausted("the LLM time budget ran out during a request") from exc
                if not _retryable(exc) or attempt >= self.limits.max_retries:
                    raise LlmUnavailable(self.redact(_describe(exc))) from exc
                wait = min(self.limits.backoff_seconds * 2**attempt, self.limits.backoff_max)
                if wait >= self.remaining():
                    raise LlmBudgetExhausted(f"no time left to retry after {self.redact(_describe(exc))}") from exc
                logger.info("LLM call failed (%s); retrying in %.1fs", self.redact(_describe(exc)), wait)
                attempt += 1
                await asyncio.sleep(wait)
                continue
            if not isinstance(message, AIMessage):
                raise LlmUnavailable(f"unexpected answer type {type(message).__name__}")
            self._count(message)
            return message

    def _count(self, message: AIMessage) -> None:
        usage = message.usage_metadata
        if usage:
            self.usage.prompt_tokens += int(usage.get("input_tokens", 0))
            self.usage.completion_tokens += int(usage.get("output_tokens", 0))
            return
        token_usage = message.response_metadata.get("token_usage") or {}
        self.usage.prompt_tokens += int(token_usage.get("prompt_tokens") or 0)
        self.usage.completion_tokens += int(token_usage.get("completion_tokens") or 0)
