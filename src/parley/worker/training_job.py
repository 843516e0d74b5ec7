"""The training process of a job: it trains the project as stored and registers the model.

It runs in a process of its own, started by the job's supervisor
(:mod:`parley.worker.supervisor`), which beats for the job and stops this process when the
job is cancelled. It reports its progress and log lines to the job's row itself.

The model's row and the job's success are written in one transaction
(:meth:`~parley.core.ports.JobStore.succeed`), after the artifact is stored whole: a
process stopped at any point leaves either a registered, complete model or none. An
artifact stored by a job that then did not succeed is removed, by this process when it can
and by the supervisor or the sweep when it was killed (:func:`discard_unregistered`); the
model names carry the job's id for that (:func:`job_model_name`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Protocol

from parley.core.job import Job, JobStatus
from parley.core.ports import JobStore, ProjectStore
from parley.errors import NotFoundError, ParleyError, ProjectError
from parley.models.manifest import Manifest
from parley.models.registry import ModelRegistry, default_name
from parley.project.files import materialized
from parley.training.result import TrainingResult
from parley.worker.lifeline import die_with_parent

logger = logging.getLogger(__name__)

TRAINING_SHARE = 0.95
"""The part of a job's progress that training takes; registering the model takes the rest."""


class Train(Protocol):
    """Trains the project folder ``project`` into the folder ``out``."""

    def __call__(
        self,
        project: Path,
        out: Path,
        *,
        nlu_only: bool,
        progress: Callable[[str, float], None],
    ) -> TrainingResult: ...


def job_model_name(manifest: Manifest, job_id: int) -> str:
    """The name a job's model is registered under: the usual one (when it was trained, its
    fingerprint), then the job's id, so that two jobs never pick the same name and what a
    killed job stored can be found again."""
    return f"{default_name(manifest)}{_job_suffix(job_id)}"


def _job_suffix(job_id: int) -> str:
    return f"-job{job_id}"


def discard_unregistered(registry: ModelRegistry, job: Job) -> list[str]:
    """Remove the artifacts ``job`` stored that no model row names (its process was stopped
    between storing the artifact and succeeding); returns their names. Call it only once
    the job is final and its process gone."""
    suffix = _job_suffix(job.id)
    discarded: list[str] = []
    for name in registry.store.names(job.project):
        if not name.endswith(suffix):
            continue
        try:
            registry.catalog.get(job.project, name)
        except NotFoundError:
            registry.store.delete(job.project, name)
            discarded.append(name)
    if discarded:
        logger.info("removed the unregistered model(s) of job %s: %s", job.id, discarded)
    return discarded


TRAINING_NICENESS = 10
"""Added to the training process's nice value: a lower CPU priority than serving."""


def become_training_process(parent: int) -> None:
    """Set this process up as a job's training process: it dies with ``parent`` (its
    supervisor), leaves Ctrl+C to it, and cleans up when asked to stop (SIGTERM)."""
    die_with_parent(parent)
    # Training shares the machine with the server in the embedded default: when cores are
    # scarce, conversations come first and the training takes what is left.
    os.nice(TRAINING_NICENESS)
    # Ctrl+C in a terminal reaches the whole process group; the supervisor decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds the stack, so temporary folders are removed and a stored artifact
    # whose job did not succeed is deleted on the way out.
    sys.exit(128 + signum)


class JobReporter(logging.Handler):
    """Brings a training's progress and log lines to its job's row: the log lines of the
    process (``logging``) are kept and sent with the next progress report, reports at most
    every ``every`` seconds unless the step changed, and :meth:`send` sends what is left."""

    def __init__(
        self,
        jobs: JobStore,
        job_id: int,
        *,
        every: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._jobs = jobs
        self._job_id = job_id
        self._every = every
        self._clock = clock
        self._lines: list[str] = []
        self._progress: float | None = None
        self._message: str | None = None
        self._sent = float("-inf")
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # logging must never break the training
            self.handleError(record)
            return
        with self._guard:
            self._lines.append(line + "\n")

    def step(self, message: str, progress: float | None = None) -> None:
        """Report the current step (and the job's progress, 0 to 1) at once."""
        self.note(message)
        with self._guard:
            self._message = message
            if progress is not None:
                self._progress = progress
        self.send()

    def note(self, line: str) -> None:
        """Add a line to the job's log, sent with the next report."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with self._guard:
            self._lines.append(f"{stamp} {line}\n")

    def training_progress(self, what: str, fraction: float) -> None:
        """The training's progress callback (``ComponentContext.progress``)."""
        progress = round(max(0.0, min(1.0, fraction)) * TRAINING_SHARE, 4)
        with self._guard:
            changed = what != self._message
        if changed:
            self.step(what, progress)
            return
        with self._guard:
            self._progress = progress
            due = self._clock() - self._sent >= self._every
        if due:
            self.send()

    def send(self) -> Job:
        """Send the progress, step and log lines not sent yet."""
        with self._guard:
            lines, self._lines = self._lines, []
            progress, message = self._progress, self._message
            self._sent = self._clock()
        return self._jobs.heartbeat(
            self._job_id, progress=progress, message=message, log="".join(lines)
        )


def run_training(
    job: Job,
    *,
    projects: ProjectStore,
    registry: ModelRegistry,
    jobs: JobStore,
    train: Train,
) -> Job:
    """Train ``job``'s project as it is stored now, then register the model and mark the
    job succeeded; a training that fails marks it failed, with the reason. Returns the job
    as it ends here (cancelled or failed meanwhile, the model is not kept)."""
    if job.status is not JobStatus.RUNNING:
        logger.info("job %s is %s; nothing to train", job.id, job.status.value)
        return job
    reporter = JobReporter(jobs, job.id)
    root = logging.getLogger()
    level = root.level
    root.addHandler(reporter)
    root.setLevel(min(level, logging.INFO) if level != logging.NOTSET else logging.INFO)
    try:
        reason = _train_and_register(
            job, projects=projects, registry=registry, jobs=jobs, train=train, reporter=reporter
        )
        if reason is not None:
            reporter.note(reason)
            reporter.send()
            jobs.fail(job.id, reason)
    finally:
        root.removeHandler(reporter)
        root.setLevel(level)
    return jobs.get(job.id)


def _train_and_register(
    job: Job,
    *,
    projects: ProjectStore,
    registry: ModelRegistry,
    jobs: JobStore,
    train: Train,
    reporter: JobReporter,
) -> str | None:
    """None once the job succeeded (or ended otherwise meanwhile); else why it failed."""
    nlu_only = bool(job.params.get("nlu_only", False))
    reporter.step(f"training project {job.project!r}{' (NLU only)' if nlu_only else ''}", 0.0)
    try:
        with (
            materialized(projects.files(job.project)) as folder,
            tempfile.TemporaryDirectory(prefix="parley-job-") as out,
        ):
            result = train(
                folder, Path(out), nlu_only=nlu_only, progress=reporter.training_progress
            )
            for problem in result.problems:
                reporter.note(f"warning: {problem}")
            name = job_model_name(result.manifest, job.id)
            reporter.step(f"registering the model as {name!r}", TRAINING_SHARE + 0.02)
            record = registry.record(
                job.project, result.path, name=name, trained_by=f"job {job.id}"
            )
            registry.store_artifact(record, result.path)
            succeeded = False
            try:
                succeeded = jobs.succeed(job.id, record)
            finally:
                if not succeeded:
                    _drop_unless_registered(registry, record.project, record.name)
    except ProjectError as error:
        return f"the project cannot be trained: {error}"
    except ParleyError as error:
        return f"training failed: {error}"
    except Exception as error:
        logger.exception("job %s: training failed", job.id)
        return f"training failed unexpectedly ({type(error).__name__}: {error}); see the log"
    if succeeded:
        logger.info("job %s registered model %s of project %s", job.id, record.name, job.project)
    else:
        logger.info("job %s ended meanwhile; its model %s was not kept", job.id, record.name)
    return None


def _drop_unless_registered(registry: ModelRegistry, project: str, name: str) -> None:
    # The catalog decides: the transaction may have committed just before this process
    # was stopped, and then the artifact belongs to a registered model.
    try:
        registry.catalog.get(project, name)
    except NotFoundError:
        registry.store.delete(project, name)
