"""The :class:`~parley.core.ports.JobStore` in a dict; successful jobs add their model to a
:class:`MemoryModelCatalog` under the catalog's lock, as the SQL store does in one
transaction."""

from __future__ import annotations

import builtins
import dataclasses
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from parley.core.job import Job, JobStatus
from parley.core.model_record import ModelRecord
from parley.errors import ConflictError, NotFoundError
from parley.storage.memory.model_catalog import MemoryModelCatalog


class MemoryJobStore:
    def __init__(
        self,
        catalog: MemoryModelCatalog,
        *,
        projects: Callable[[], list[str]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._catalog = catalog
        self._projects = projects
        self._clock = clock
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._guard = catalog.guard

    def create(self, project: str, kind: str, params: Mapping[str, Any], *, created_by: str) -> Job:
        with self._guard:
            if self._projects is not None and project not in self._projects():
                raise NotFoundError("project", project, self._projects())
            job = Job(
                id=next(self._ids),
                project=project,
                kind=kind,
                status=JobStatus.QUEUED,
                created=self._clock(),
                created_by=created_by,
                params=dict(params),
            )
            self._jobs[job.id] = job
            return job

    def get(self, job_id: int) -> Job:
        with self._guard:
            try:
                return self._jobs[job_id]
            except KeyError:
                raise NotFoundError("job", str(job_id)) from None

    def list(
        self,
        *,
        project: str | None = None,
        statuses: Sequence[JobStatus] | None = None,
        limit: int = 100,
    ) -> list[Job]:
        with self._guard:
            jobs = [
                job
                for job in reversed(self._jobs.values())
                if (project is None or job.project == project)
                and (statuses is None or job.status in statuses)
            ]
        return jobs[:limit]

    def claim(self, job_id: int, worker: str) -> Job | None:
        with self._guard:
            job = self.get(job_id)
            if job.status is not JobStatus.QUEUED:
                return None
            now = self._clock()
            return self._set(
                job, status=JobStatus.RUNNING, worker=worker, started=now, heartbeat=now
            )

    def heartbeat(
        self,
        job_id: int,
        *,
        progress: float | None = None,
        message: str | None = None,
        log: str = "",
    ) -> Job:
        with self._guard:
            job = self.get(job_id)
            if job.status is not JobStatus.RUNNING:
                return job
            return self._set(
                job,
                heartbeat=self._clock(),
                progress=job.progress if progress is None else progress,
                message=job.message if message is None else message,
                log=job.log + log,
            )

    def succeed(self, job_id: int, model: ModelRecord) -> bool:
        with self._guard:
            job = self.get(job_id)
            if job.status is not JobStatus.RUNNING:
                return False
            self._catalog.add(model)
            self._set(
                job,
                status=JobStatus.SUCCEEDED,
                progress=1.0,
                model=model.name,
                finished=self._clock(),
                message="done",
            )
            return True

    def fail(self, job_id: int, reason: str) -> bool:
        return self._finish(job_id, JobStatus.FAILED, reason, {JobStatus.QUEUED, JobStatus.RUNNING})

    def cancel(self, job_id: int) -> Job:
        with self._guard:
            job = self.get(job_id)
            if job.status.final:
                raise ConflictError(
                    f"job {job_id} is {job.status.value} already; nothing to cancel"
                )
            if job.status is JobStatus.QUEUED:
                return self._set(
                    job,
                    status=JobStatus.CANCELLED,
                    finished=self._clock(),
                    message="cancelled before it started",
                )
            return self._set(job, cancel_requested=True)

    def cancelled(self, job_id: int, reason: str) -> bool:
        return self._finish(job_id, JobStatus.CANCELLED, reason, {JobStatus.RUNNING})

    def sweep(self, stale_after: float, *, now: float) -> builtins.list[Job]:
        with self._guard:
            stale = [
                job
                for job in self._jobs.values()
                if job.status is JobStatus.RUNNING and (job.heartbeat or 0.0) < now - stale_after
            ]
            return [
                self._set(
                    job,
                    status=JobStatus.FAILED,
                    finished=now,
                    message=f"its worker {job.worker} stopped answering (no heartbeat for "
                    f"{stale_after:g} s)",
                )
                for job in stale
            ]

    def forget(self, project: str) -> None:
        """Drop every job of ``project`` (deleted)."""
        with self._guard:
            for job_id in [j.id for j in self._jobs.values() if j.project == project]:
                del self._jobs[job_id]

    def _finish(self, job_id: int, status: JobStatus, reason: str, allowed: set[JobStatus]) -> bool:
        with self._guard:
            job = self.get(job_id)
            if job.status not in allowed:
                return False
            self._set(job, status=status, message=reason, finished=self._clock())
            return True

    def _set(self, job: Job, **changes: Any) -> Job:
        updated = dataclasses.replace(job, **changes)
        self._jobs[job.id] = updated
        return updated
