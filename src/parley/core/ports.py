"""The engine's view of the outside services it needs: small protocols, implemented in
``parley.clients`` (over the network) and beside the engine (in-process), chosen by the
composition root. The engine never knows which one it got."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from parley.core.events import Event
    from parley.core.job import Job, JobStatus
    from parley.core.model_record import ModelRecord


class Duckling(Protocol):
    """Structured entity extraction with Facebook's Duckling (dates, numbers, amounts…)."""

    def parse(
        self,
        text: str,
        *,
        locale: str,
        timezone: str,
        dimensions: Sequence[str],
        reference_time: datetime,
    ) -> list[dict[str, Any]]:
        """Duckling's answer in the JSON of its HTTP ``/parse`` endpoint: a list of
        ``{"body", "start", "end", "dim", "value", "latent"}``. ``dimensions`` empty means
        all of them; ``reference_time`` is timezone-aware. Raises
        :class:`parley.errors.DucklingError` when Duckling cannot answer."""
        ...


class SentenceEncoder(Protocol):
    """Dense sentence embeddings (the MiniLM model, or a language server)."""

    @property
    def name(self) -> str:
        """Identifies the model, so an artifact trained with one encoder refuses another."""
        ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Any:
        """A float32 array of shape ``(len(texts), dimension)``, L2-normalised."""
        ...


class ActionClient(Protocol):
    """Runs custom actions on an action server speaking the Rasa SDK webhook protocol."""

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send ``{next_action, sender_id, tracker, domain, version}``; get back
        ``{events, responses}``. Raises :class:`parley.errors.ActionRejectedError` when the
        server answers 400 ``{action_name, error}``, :class:`parley.errors.ActionServerError`
        when it is down, too slow, or answers anything else."""
        ...


class TrackerStore(Protocol):
    """Where conversations live: an append-only event log per conversation, split into
    sessions (each begins with the ``action_session_start`` action); older sessions are
    kept, but a turn only needs the latest one."""

    def retrieve(self, sender_id: str) -> list[Event]:
        """The events of the conversation's latest session, oldest first: from its last
        ``action_session_start`` on (every event when it has none); empty for a new one."""
        ...

    def retrieve_all(self, sender_id: str) -> list[Event]:
        """Every event of every session, oldest first; empty for a new conversation."""
        ...

    def append(
        self, sender_id: str, events: Sequence[Event], *, model_id: str | None = None
    ) -> None:
        """Add events to the end of the conversation, durably, all or none; ``model_id``
        records the model that produced them. Appends to one conversation are the
        caller's to serialize (the :class:`LockStore`)."""
        ...

    def exists(self, sender_id: str) -> bool:
        """Whether the conversation has any event."""
        ...

    def sender_ids(self) -> list[str]:
        """Every conversation's id, sorted."""
        ...


class LockStore(Protocol):
    """Serializes the turns of one conversation; different conversations run in parallel."""

    def lock(self, sender_id: str) -> AbstractContextManager[None]: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


# -- the platform's stores ---------------------------------------------------------------
#
# Every method raises :class:`parley.errors.StorageError` when the store cannot be reached.


class ProjectStore(Protocol):
    """Projects' training data as their Rasa files (path → text), so that every server and
    worker sees the same data and an import/export round trip is exact."""

    def names(self) -> list[str]:
        """Every project's name, sorted."""
        ...

    def create(self, name: str) -> None:
        """An empty project. :class:`~parley.errors.ConflictError` when the name is taken."""
        ...

    def delete(self, name: str) -> None:
        """The project, its files, models and jobs. :class:`~parley.errors.NotFoundError`."""
        ...

    def files(self, name: str) -> dict[str, str]:
        """Every file of the project: relative POSIX path → text.
        :class:`~parley.errors.NotFoundError` (listing the projects) when there is none."""
        ...

    def replace(self, name: str, files: Mapping[str, str]) -> None:
        """Make ``files`` the project's files, all or none (an import)."""
        ...

    def write_file(self, name: str, path: str, text: str) -> None:
        """Create or overwrite one file."""
        ...

    def delete_file(self, name: str, path: str) -> None:
        """:class:`~parley.errors.NotFoundError` when the project has no such file."""
        ...


class ModelStore(Protocol):
    """Where model artifacts are kept (a folder, or the database): whole files or nothing."""

    def save(self, project: str, name: str, source: Path) -> None:
        """Store a copy of the artifact at ``source``; a reader never sees part of it.
        :class:`~parley.errors.ConflictError` when ``name`` is stored already."""
        ...

    def path(self, project: str, name: str) -> Path:
        """A local file holding the artifact (the stored file itself, or a cached copy).
        :class:`~parley.errors.NotFoundError` when it is not stored."""
        ...

    def delete(self, project: str, name: str) -> None:
        """Nothing happens when it is not stored."""
        ...

    def names(self, project: str) -> list[str]:
        """Every stored artifact of the project (to sweep ones no model row names)."""
        ...


class ModelCatalog(Protocol):
    """The registry's rows: one per model, with its tags."""

    def add(self, record: ModelRecord) -> None:
        """:class:`~parley.errors.ConflictError` when the project has a model of that name;
        :class:`~parley.errors.NotFoundError` when there is no such project. The record's
        tags are ignored: a new model carries none."""
        ...

    def get(self, project: str, name: str) -> ModelRecord:
        """:class:`~parley.errors.NotFoundError` when there is no such model."""
        ...

    def list(self, project: str) -> list[ModelRecord]:
        """The project's models, newest registered first."""
        ...

    def delete(self, project: str, name: str) -> None:
        """:class:`~parley.errors.ConflictError` while the model carries a tag."""
        ...

    def tag(self, project: str, name: str, tag: str) -> None:
        """Put ``tag`` on the model, taking it off any other model of the project, at once."""
        ...

    def untag(self, project: str, name: str, tag: str) -> None:
        """:class:`~parley.errors.NotFoundError` when the model does not carry ``tag``."""
        ...

    def tagged(self, project: str, tag: str) -> ModelRecord | None:
        """The model carrying ``tag``, if any."""
        ...


class JobStore(Protocol):
    """Jobs as rows: the truth about every job, whatever queue carries it."""

    def create(self, project: str, kind: str, params: Mapping[str, Any], *, created_by: str) -> Job:
        """A new queued job. :class:`~parley.errors.NotFoundError` for an unknown project."""
        ...

    def get(self, job_id: int) -> Job:
        """:class:`~parley.errors.NotFoundError` when there is no such job."""
        ...

    def list(
        self,
        *,
        project: str | None = None,
        statuses: Sequence[JobStatus] | None = None,
        limit: int = 100,
    ) -> list[Job]:
        """Jobs, newest first."""
        ...

    def claim(self, job_id: int, worker: str) -> Job | None:
        """Mark a queued job running on ``worker``; None (and nothing changed) when it is
        not queued any more, so a job sent twice runs once."""
        ...

    def heartbeat(
        self,
        job_id: int,
        *,
        progress: float | None = None,
        message: str | None = None,
        log: str = "",
    ) -> Job:
        """A running job's sign of life, with its progress and new log text (appended);
        returns the job, whose ``cancel_requested`` the worker obeys."""
        ...

    def succeed(self, job_id: int, model: ModelRecord) -> bool:
        """Add ``model`` to the catalog and mark the job succeeded, in one transaction;
        False, with nothing added, when the job is not running any more."""
        ...

    def fail(self, job_id: int, reason: str) -> bool:
        """Mark a queued or running job failed; False when it is already final."""
        ...

    def cancel(self, job_id: int) -> Job:
        """Cancel a job: a queued one at once, a running one by asking its worker (who
        reports with :meth:`cancelled`). :class:`~parley.errors.ConflictError` when the job
        is final already."""
        ...

    def cancelled(self, job_id: int, reason: str) -> bool:
        """Mark a running job cancelled; False when it is already final."""
        ...

    def sweep(self, stale_after: float, *, now: float) -> builtins.list[Job]:
        """Fail every running job whose heartbeat is older than ``stale_after`` seconds
        (its worker died); returns them."""
        ...


class JobQueue(Protocol):
    """Carries job ids to workers. Jobs are rows in the :class:`JobStore`; a queue that
    loses its content loses nothing (queued jobs are sent again at start)."""

    def submit(self, job: Job) -> None: ...
