"""The task store: SQLite (or PostgreSQL via ``DATABASE_URL``) through SQLAlchemy 2.

This is the source of truth for task state. Redis only carries the queue and the live events;
a subscriber that missed an event reads the current state from here. Every write bumps
``seq`` so a reader can tell an event it has already seen from a newer one.

The sync engine is wrapped in ``asyncio.to_thread`` so callers on the event loop never block on
the database (PostgreSQL over the network included).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Float, Integer, String, Text, Uuid, create_engine, event, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from jobs.tasks.stages import Stage

T = TypeVar("T")


class TaskStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class TaskRow(Base):
    __tablename__ = "lakeopt_tasks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    seq: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Until when the worker running attempt ``attempts`` holds the task (NULL: queued, nobody holds it).
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    #: Attempts whose worker stopped renewing its lease (died or hung); the retry limit counts these.
    lost_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The JDBC URL with its password replaced; the secret itself never reaches this table.
    url_redacted: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The workload (ddl + queries) as submitted, without the URL.
    workload_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    profile_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The id of the API token that created the task (NULL: created while the API was open).
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


@dataclass(frozen=True)
class TaskRecord:
    """A read-only snapshot of one task."""

    id: uuid.UUID
    status: TaskStatus
    stage: str
    progress: float
    message: str
    seq: int
    attempts: int
    lease_until: dt.datetime | None
    lost_attempts: int
    created_at: dt.datetime
    updated_at: dt.datetime
    deadline_at: dt.datetime
    finished_at: dt.datetime | None
    url_redacted: str | None
    workload_json: str
    result_json: str | None
    report_json: str | None
    profile_json: str | None
    error: str | None
    owner: str | None = None

    @property
    def finished(self) -> bool:
        return self.status is not TaskStatus.RUNNING

    def event(self) -> dict[str, Any]:
        """The progress event published for this state (also what subscribers receive first)."""
        return {
            "task_id": str(self.id),
            "seq": self.seq,
            "status": self.status.value,
            "stage": self.stage,
            "progress": self.progress,
            "message": self.message,
            "error": self.error,
        }


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes even for timezone=True columns; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _record(row: TaskRow) -> TaskRecord:
    return TaskRecord(
        id=row.id,
        status=TaskStatus(row.status),
        stage=row.stage,
        progress=row.progress,
        message=row.message,
        seq=row.seq,
        attempts=row.attempts,
        lease_until=_aware(row.lease_until) if row.lease_until else None,
        lost_attempts=row.lost_attempts or 0,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        deadline_at=_aware(row.deadline_at),
        finished_at=_aware(row.finished_at) if row.finished_at else None,
        url_redacted=row.url_redacted,
        workload_json=row.workload_json,
        result_json=row.result_json,
        report_json=row.report_json,
        profile_json=row.profile_json,
        error=row.error,
        owner=row.owner,
    )


def create_store_engine(database_url: str) -> Engine:
    """An engine for ``database_url``; SQLite files get WAL mode and a busy timeout."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    Base.metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Add the columns a task table created by an earlier version lacks (create_all skips it)."""
    present = {column["name"] for column in inspect(engine).get_columns(TaskRow.__tablename__)}
    added = {
        "lease_until": "lease_until TIMESTAMP WITH TIME ZONE"
        if engine.dialect.name == "postgresql"
        else "lease_until DATETIME",
        "lost_attempts": "lost_attempts INTEGER NOT NULL DEFAULT 0",
        "owner": "owner VARCHAR(64)",
    }
    with engine.begin() as connection:
        for name, definition in added.items():
            if name not in present:
                connection.execute(text(f"ALTER TABLE {TaskRow.__tablename__} ADD COLUMN {definition}"))


class TaskStore:
    """All reads and writes of task state. Every method is async and safe on the event loop."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, database_url: str) -> TaskStore:
        return cls(create_store_engine(database_url))

    @property
    def engine(self) -> Engine:
        """The database engine (the token store keeps its table in the same database)."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    async def _run(self, fn: Callable[[Session], T]) -> T:
        def work() -> T:
            with self._sessions.begin() as session:
                return fn(session)

        return await asyncio.to_thread(work)

    async def ping(self) -> None:
        await self._run(lambda session: session.execute(select(1)).scalar_one())

    async def create(
        self,
        task_id: uuid.UUID,
        *,
        workload_json: str,
        url_redacted: str | None,
        time_limit: float,
        owner: str | None = None,
    ) -> TaskRecord:
        now = utcnow()
        row = TaskRow(
            id=task_id,
            status=TaskStatus.RUNNING.value,
            stage=Stage.QUEUED,
            progress=0.0,
            message="accepted",
            seq=1,
            attempts=0,
            created_at=now,
            updated_at=now,
            deadline_at=now + dt.timedelta(seconds=time_limit),
            url_redacted=url_redacted,
            workload_json=workload_json,
            owner=owner,
        )

        def add(session: Session) -> TaskRecord:
            session.add(row)
            session.flush()
            return _record(row)

        return await self._run(add)

    async def get(self, task_id: uuid.UUID) -> TaskRecord | None:
        def read(session: Session) -> TaskRecord | None:
            row = session.get(TaskRow, task_id)
            return _record(row) if row else None

        return await self._run(read)

    async def _update_running(
        self, task_id: uuid.UUID, values: dict[str, Any], *, attempt: int | None = None, where: tuple[Any, ...] = ()
    ) -> TaskRecord | None:
        """Apply ``values`` only while the task is RUNNING; a finished task is never reopened.

        With ``attempt``, only while that attempt still holds the task: a worker whose lease
        lapsed and was handed on cannot write over its successor.
        """
        conditions = [TaskRow.id == task_id, TaskRow.status == TaskStatus.RUNNING.value, *where]
        if attempt is not None:
            conditions.append(TaskRow.attempts == attempt)

        def write(session: Session) -> TaskRecord | None:
            result = session.execute(
                update(TaskRow).where(*conditions).values(seq=TaskRow.seq + 1, updated_at=utcnow(), **values)
            )
            if getattr(result, "rowcount", 0) == 0:
                return None
            row = session.get(TaskRow, task_id, populate_existing=True)
            return _record(row) if row else None

        return await self._run(write)

    async def start_attempt(self, task_id: uuid.UUID, *, lease_seconds: float = 30.0) -> TaskRecord | None:
        """Mark a new run of the job, holding the task for ``lease_seconds``; its ``attempts`` is
        the attempt's number. ``None`` when the task is unknown or already finished."""
        return await self._update_running(
            task_id,
            {
                "attempts": TaskRow.attempts + 1,
                "lease_until": utcnow() + dt.timedelta(seconds=lease_seconds),
                "stage": Stage.STARTING,
                "progress": 0.0,
                "message": "worker started",
            },
        )

    async def renew_lease(self, task_id: uuid.UUID, attempt: int, *, lease_seconds: float) -> bool:
        """Extend ``attempt``'s hold on the task; False once it finished or another attempt took it.

        No ``seq`` bump: a renewal is not a state change readers need to see.
        """

        def write(session: Session) -> bool:
            result = session.execute(
                update(TaskRow)
                .where(
                    TaskRow.id == task_id,
                    TaskRow.status == TaskStatus.RUNNING.value,
                    TaskRow.attempts == attempt,
                    TaskRow.lease_until.is_not(None),
                )
                .values(lease_until=utcnow() + dt.timedelta(seconds=lease_seconds))
            )
            return bool(getattr(result, "rowcount", 0))

        return await self._run(write)

    async def lapsed_leases(self, now: dt.datetime | None = None) -> list[TaskRecord]:
        """RUNNING tasks whose worker stopped renewing its lease."""
        moment = now or utcnow()
        return await self._select_running(TaskRow.lease_until.is_not(None), TaskRow.lease_until < moment)

    async def unheld(self, accepted_before: dt.datetime) -> list[TaskRecord]:
        """RUNNING tasks no worker holds, last changed before ``accepted_before`` (queued, or handed back)."""
        return await self._select_running(TaskRow.lease_until.is_(None), TaskRow.updated_at < accepted_before)

    async def _select_running(self, *conditions: Any) -> list[TaskRecord]:
        def read(session: Session) -> list[TaskRecord]:
            rows = session.execute(
                select(TaskRow).where(TaskRow.status == TaskStatus.RUNNING.value, *conditions)
            ).scalars()
            return [_record(row) for row in rows]

        return await self._run(read)

    async def release_lapsed(
        self, task_id: uuid.UUID, attempt: int, now: dt.datetime | None = None
    ) -> TaskRecord | None:
        """Take a lapsed lease back from ``attempt`` (counted as lost); ``None`` when another sweeper
        already did, the worker renewed in time, or the task finished."""
        moment = now or utcnow()
        return await self._update_running(
            task_id,
            {
                "lease_until": None,
                "lost_attempts": TaskRow.lost_attempts + 1,
                "stage": Stage.QUEUED,
                "message": "the worker stopped responding; queued again",
            },
            attempt=attempt,
            where=(TaskRow.lease_until.is_not(None), TaskRow.lease_until < moment),
        )

    async def set_progress(
        self, task_id: uuid.UUID, *, stage: Stage, progress: float, message: str = "", attempt: int | None = None
    ) -> TaskRecord | None:
        clamped = min(1.0, max(0.0, progress))
        return await self._update_running(
            task_id, {"stage": stage, "progress": clamped, "message": message}, attempt=attempt
        )

    async def set_profile(
        self, task_id: uuid.UUID, profile_json: str, *, attempt: int | None = None
    ) -> TaskRecord | None:
        return await self._update_running(task_id, {"profile_json": profile_json}, attempt=attempt)

    async def complete(
        self, task_id: uuid.UUID, *, result_json: str, report_json: str, attempt: int | None = None
    ) -> TaskRecord | None:
        """DONE with its result, in one transaction: readers see the result and DONE together."""
        return await self._update_running(
            task_id,
            {
                "status": TaskStatus.DONE.value,
                "stage": Stage.DONE,
                "progress": 1.0,
                "message": "plan ready",
                "result_json": result_json,
                "report_json": report_json,
                "finished_at": utcnow(),
            },
            attempt=attempt,
        )

    async def fail(
        self, task_id: uuid.UUID, reason: str, *, report_json: str | None = None, attempt: int | None = None
    ) -> TaskRecord | None:
        values: dict[str, Any] = {
            "status": TaskStatus.FAILED.value,
            "stage": Stage.FAILED,
            "message": reason,
            "error": reason,
            "finished_at": utcnow(),
        }
        if report_json is not None:
            values["report_json"] = report_json
        return await self._update_running(task_id, values, attempt=attempt)

    async def expire_overdue(self, now: dt.datetime | None = None) -> list[TaskRecord]:
        """Fail every RUNNING task past its deadline (its worker died or hung); returns them."""
        moment = now or utcnow()

        def sweep(session: Session) -> list[uuid.UUID]:
            return list(
                session.execute(
                    select(TaskRow.id).where(TaskRow.status == TaskStatus.RUNNING.value, TaskRow.deadline_at < moment)
                ).scalars()
            )

        expired = []
        for task_id in await self._run(sweep):
            record = await self.fail(task_id, "time limit exceeded: the task did not finish before its deadline")
            if record is not None:
                expired.append(record)
        return expired
