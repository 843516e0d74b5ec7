"""Jobs in SQL: one ``jobs`` row each.

Every change of status is one conditional ``UPDATE … WHERE status IN (…)``: whoever
changes a job at the same moment (the worker finishing it, a user cancelling it, a sweep
failing it), exactly one of them wins and the others see that they lost, on SQLite and
PostgreSQL alike, without holding locks across statements.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    update,
)

from parley.core.job import Job, JobStatus
from parley.core.model_record import ModelRecord
from parley.errors import ConflictError, NotFoundError
from parley.storage.sql.database import Database
from parley.storage.sql.model_catalog import insert_model
from parley.storage.sql.project_store import project_id
from parley.storage.sql.tables import jobs, projects

LOG_LIMIT = 1_000_000
"""Characters of a job's log kept: the newest ones."""

_j = jobs.c
_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def _select() -> Select[Any]:
    return select(jobs, projects.c.name.label("project")).join(
        projects, projects.c.id == _j.project_id
    )


def _job(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        project=row.project,
        kind=row.kind,
        status=JobStatus(row.status),
        created=row.created_at,
        created_by=row.created_by,
        params=json.loads(row.params),
        progress=row.progress,
        message=row.message,
        log=row.log,
        started=row.started_at,
        finished=row.finished_at,
        heartbeat=row.heartbeat_at,
        worker=row.worker,
        model=row.model_name,
        cancel_requested=row.cancel_requested,
    )


def _appended(text: str) -> ColumnElement[str]:
    """The log with ``text`` appended, cut to its last ``LOG_LIMIT`` characters."""
    combined = _j.log + bindparam("log_text", text)
    cut = func.substr(combined, func.length(combined) - (LOG_LIMIT - 1))
    return case((func.length(combined) > LOG_LIMIT, cut), else_=combined)


class SqlJobStore:
    """The :class:`~parley.core.ports.JobStore` in a :class:`Database`. Thread-safe."""

    def __init__(self, database: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self._clock = clock

    def create(self, project: str, kind: str, params: Mapping[str, Any], *, created_by: str) -> Job:
        encoded = json.dumps(dict(params))
        with self.database.transaction() as conn:
            new = conn.scalar(
                insert(jobs)
                .values(
                    project_id=project_id(conn, project),
                    kind=kind,
                    status=JobStatus.QUEUED.value,
                    progress=0.0,
                    message="",
                    log="",
                    params=encoded,
                    created_at=self._clock(),
                    created_by=created_by,
                    cancel_requested=False,
                )
                .returning(_j.id)
            )
            return self._get(conn, new)

    def get(self, job_id: int) -> Job:
        with self.database.connection() as conn:
            return self._get(conn, job_id)

    def list(
        self,
        *,
        project: str | None = None,
        statuses: Sequence[JobStatus] | None = None,
        limit: int = 100,
    ) -> list[Job]:
        query = _select().order_by(_j.id.desc()).limit(limit)
        if project is not None:
            query = query.where(projects.c.name == project)
        if statuses is not None:
            query = query.where(_j.status.in_([JobStatus(s).value for s in statuses]))
        with self.database.connection() as conn:
            return [_job(row) for row in conn.execute(query)]

    def claim(self, job_id: int, worker: str) -> Job | None:
        now = self._clock()
        with self.database.transaction() as conn:
            if not self._change(
                conn,
                job_id,
                (JobStatus.QUEUED,),
                status=JobStatus.RUNNING.value,
                worker=worker,
                started_at=now,
                heartbeat_at=now,
            ):
                return None
            return self._get(conn, job_id)

    def heartbeat(
        self,
        job_id: int,
        *,
        progress: float | None = None,
        message: str | None = None,
        log: str = "",
    ) -> Job:
        values: dict[str, Any] = {"heartbeat_at": self._clock()}
        if progress is not None:
            values["progress"] = progress
        if message is not None:
            values["message"] = message
        if log:
            values["log"] = _appended(log)
        with self.database.transaction() as conn:
            self._change(conn, job_id, (JobStatus.RUNNING,), **values)
            return self._get(conn, job_id)

    def succeed(self, job_id: int, model: ModelRecord) -> bool:
        with self.database.transaction() as conn:
            # The job's row first: it decides, and holds off a cancel or sweep until the
            # model row is in. A model that cannot be added rolls this back.
            if not self._change(
                conn,
                job_id,
                (JobStatus.RUNNING,),
                status=JobStatus.SUCCEEDED.value,
                progress=1.0,
                model_name=model.name,
                finished_at=self._clock(),
                message="done",
            ):
                return False
            insert_model(conn, model)
            return True

    def fail(self, job_id: int, reason: str) -> bool:
        return self._finish(job_id, JobStatus.FAILED, reason, _ACTIVE)

    def cancel(self, job_id: int) -> Job:
        with self.database.transaction() as conn:
            # Tried in the order a job moves: a job claimed between the two statements
            # is asked to stop by the second.
            changed = self._change(
                conn,
                job_id,
                (JobStatus.QUEUED,),
                status=JobStatus.CANCELLED.value,
                finished_at=self._clock(),
                message="cancelled before it started",
            ) or self._change(conn, job_id, (JobStatus.RUNNING,), cancel_requested=True)
            job = self._get(conn, job_id)
        if not changed:
            raise ConflictError(f"job {job_id} is {job.status.value} already; nothing to cancel")
        return job

    def cancelled(self, job_id: int, reason: str) -> bool:
        return self._finish(job_id, JobStatus.CANCELLED, reason, (JobStatus.RUNNING,))

    def sweep(self, stale_after: float, *, now: float) -> builtins.list[Job]:
        message = (
            literal("its worker ")
            + func.coalesce(_j.worker, "?")
            + literal(f" stopped answering (no heartbeat for {stale_after:g} s)")
        )
        stale = (_j.heartbeat_at < now - stale_after) | _j.heartbeat_at.is_(None)
        with self.database.transaction() as conn:
            failed = conn.scalars(
                update(jobs)
                .where(_j.status == JobStatus.RUNNING.value, stale)
                .values(status=JobStatus.FAILED.value, finished_at=now, message=message)
                .returning(_j.id)
            ).all()
            if not failed:
                return []
            rows = conn.execute(_select().where(_j.id.in_(failed)).order_by(_j.id))
            return [_job(row) for row in rows]

    # -- helpers -------------------------------------------------------------------------

    def _finish(
        self, job_id: int, status: JobStatus, reason: str, allowed: Collection[JobStatus]
    ) -> bool:
        with self.database.transaction() as conn:
            return self._change(
                conn,
                job_id,
                allowed,
                status=status.value,
                message=reason,
                finished_at=self._clock(),
            )

    def _change(
        self, conn: Connection, job_id: int, allowed: Collection[JobStatus], **values: Any
    ) -> bool:
        """Set ``values`` on the job if its status is one of ``allowed``; whether it was.
        :class:`NotFoundError` when there is no such job."""
        changed = conn.execute(
            update(jobs)
            .where(_j.id == job_id, _j.status.in_([s.value for s in allowed]))
            .values(**values)
        )
        if changed.rowcount:
            return True
        if conn.scalar(select(_j.id).where(_j.id == job_id)) is None:
            raise NotFoundError("job", str(job_id))
        return False

    def _get(self, conn: Connection, job_id: int | None) -> Job:
        row = conn.execute(_select().where(_j.id == job_id)).first()
        if row is None:
            raise NotFoundError("job", str(job_id))
        return _job(row)
