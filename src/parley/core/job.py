"""A training job: what was asked, where it stands, what it made.

Jobs are rows (the truth, surviving every restart); queues only carry their ids. A job
moves ``queued → running → succeeded | failed | cancelled``, or ``queued → cancelled``;
the three last states are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}


@dataclass(frozen=True)
class Job:
    id: int
    project: str
    kind: str
    """``train`` (the only kind yet)."""
    status: JobStatus
    created: float
    created_by: str
    params: dict[str, Any]
    """What the job was asked: for ``train``, ``{"nlu_only": bool, "force": bool}``."""
    progress: float = 0.0
    """0 to 1."""
    message: str = ""
    """The current step while running; the reason once failed or cancelled."""
    log: str = ""
    started: float | None = None
    finished: float | None = None
    heartbeat: float | None = None
    """Last sign of life of the worker running it; a running job whose heartbeat stops is
    failed by the next sweep."""
    worker: str | None = None
    model: str | None = None
    """The registered model's name, once succeeded."""
    cancel_requested: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "kind": self.kind,
            "status": self.status.value,
            "progress": self.progress,
            "message": self.message,
            "created": self.created,
            "created_by": self.created_by,
            "started": self.started,
            "finished": self.finished,
            "heartbeat": self.heartbeat,
            "worker": self.worker,
            "model": self.model,
            "params": self.params,
            "cancel_requested": self.cancel_requested,
        }
