"""API tokens: created by ``lakeopt token create``, kept hashed in the task store.

A token is 32 random bytes (URL-safe base64) behind a ``lko_`` prefix; the store keeps only its
SHA-256. A slow password hash would buy nothing here: a token has 256 bits of entropy, so its
hash cannot be searched, and every request checks one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import DateTime, String, Uuid, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from jobs.tasks.store import Base, utcnow

T = TypeVar("T")

TOKEN_PREFIX = "lko_"  # noqa: S105 (a prefix, not a secret)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


class TokenError(ValueError):
    """A token name or operation the store refuses; the message says why."""


class TokenRow(Base):
    __tablename__ = "lakeopt_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    #: SHA-256 of the token, hex; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class Principal:
    """Who sent a request: the token it carried. Tasks it creates belong to ``token_id``."""

    token_id: str
    name: str


@dataclass(frozen=True)
class TokenInfo:
    name: str
    token_id: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise TokenError(
            f"token name {name[:80]!r} is not valid: 1 to 64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _info(row: TokenRow) -> TokenInfo:
    revoked = _aware(row.revoked_at) if row.revoked_at else None
    return TokenInfo(name=row.name, token_id=str(row.id), created_at=_aware(row.created_at), revoked_at=revoked)


class TokenStore:
    """Tokens in the task store's database (one table beside the tasks)."""

    def __init__(self, engine: Engine) -> None:
        Base.metadata.create_all(engine, tables=[TokenRow.__table__])  # type: ignore[list-item]
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def _run_sync(self, fn: Callable[[Session], T]) -> T:
        with self._sessions.begin() as session:
            return fn(session)

    # The CLI's side: synchronous.
    def create(self, name: str) -> tuple[TokenInfo, str]:
        """A new token named ``name``; returns it in clear text, the only time it exists so."""
        check_name(name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)

        def add(session: Session) -> TokenInfo:
            active = session.execute(select(TokenRow.id).where(TokenRow.name == name, TokenRow.revoked_at.is_(None)))
            if active.first() is not None:
                raise TokenError(f"a token named {name!r} exists already: revoke it first or pick another name")
            row = TokenRow(id=uuid.uuid4(), name=name, token_hash=token_hash(token), created_at=utcnow())
            session.add(row)
            session.flush()
            return _info(row)

        return self._run_sync(add), token

    def list(self) -> list[TokenInfo]:
        def read(session: Session) -> list[TokenInfo]:
            rows = session.execute(select(TokenRow).order_by(TokenRow.created_at)).scalars()
            return [_info(row) for row in rows]

        return self._run_sync(read)

    def revoke(self, name: str) -> TokenInfo:
        check_name(name)

        def write(session: Session) -> TokenInfo:
            row = session.execute(
                select(TokenRow).where(TokenRow.name == name, TokenRow.revoked_at.is_(None))
            ).scalar_one_or_none()
            if row is None:
                raise TokenError(f"no active token named {name!r} (`lakeopt token list` shows them)")
            session.execute(update(TokenRow).where(TokenRow.id == row.id).values(revoked_at=utcnow()))
            session.refresh(row)
            return _info(row)

        return self._run_sync(write)

    def active_count(self) -> int:
        return self._run_sync(
            lambda session: int(
                session.execute(
                    select(func.count()).select_from(TokenRow).where(TokenRow.revoked_at.is_(None))
                ).scalar_one()
            )
        )

    def principal(self, token: str) -> Principal | None:
        """The active token's principal, or ``None`` for an unknown or revoked one."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = token_hash(token)

        def read(session: Session) -> Principal | None:
            row = session.execute(
                select(TokenRow).where(TokenRow.token_hash == digest, TokenRow.revoked_at.is_(None))
            ).scalar_one_or_none()
            return Principal(token_id=str(row.id), name=row.name) if row else None

        return self._run_sync(read)

    # The API's side: the same reads off the event loop.
    async def principal_async(self, token: str) -> Principal | None:
        return await asyncio.to_thread(self.principal, token)

    async def active_count_async(self) -> int:
        return await asyncio.to_thread(self.active_count)
