"""Running one job: claim its row, start its training process, beat for it until it ends.

The supervisor, not the training process, keeps the job alive in the store: it beats
every ``heartbeat_s`` and reads back whether the job is to be cancelled. When the
supervisor dies, the beats stop, its training process dies with it
(:mod:`parley.worker.lifeline`), and a sweep fails the job
(:class:`~parley.worker.sweeper.Sweeper`). The supervisor writes the job's end in every
other case: cancelled on request, timed out, stopped with its worker, or failed because its
process ended without finishing the job (a crash, the out-of-memory killer…).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

from parley.core.job import Job, JobStatus
from parley.core.ports import JobStore
from parley.errors import StorageError
from parley.models.registry import ModelRegistry
from parley.worker.training_job import discard_unregistered

logger = logging.getLogger(__name__)

CANCELLED = "cancelled on request"
GRACE_S = 5.0
"""Seconds a training process is given to clean up when stopped, before it is killed."""

StartProcess = Callable[[int], BaseProcess]
"""Starts the training process of the job with the given id, and returns it (started)."""


def supervise(
    job_id: int,
    *,
    jobs: JobStore,
    worker: str,
    start: StartProcess,
    registry: ModelRegistry | None = None,
    heartbeat_s: float = 1.0,
    timeout_s: float | None = None,
    stop: threading.Event | None = None,
    grace_s: float = GRACE_S,
) -> Job:
    """Run the job ``job_id`` on ``worker`` and return it as it ended.

    A job that is not queued any more (run or cancelled already, maybe by a second copy of
    its message) is returned as it is, and nothing runs. ``stop`` set ends the job as
    failed (its worker is stopping); so does any exception reaching here, such as the
    SystemExit of a worker shut down, which is raised on once the job is failed.
    ``registry``: where the artifact of a job stopped half-way is removed from.
    """
    job = jobs.claim(job_id, worker)
    if job is None:
        return jobs.get(job_id)
    logger.info("job %s (train project %s) runs on %s", job_id, job.project, worker)
    try:
        process = start(job_id)
    except Exception as error:
        logger.exception("job %s: the training process did not start", job_id)
        jobs.fail(job_id, f"its training process could not start on {worker}: {error}")
        return jobs.get(job_id)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    try:
        _watch(
            job_id,
            process,
            jobs=jobs,
            heartbeat_s=heartbeat_s,
            deadline=deadline,
            timeout_s=timeout_s,
            stop=stop,
            worker=worker,
            grace_s=grace_s,
        )
    except BaseException:
        # This worker is going down (a second SIGTERM, RQ's own time limit…): the job must
        # not look alive, nor its process outlive it.
        try:
            jobs.fail(job_id, _stopped_with(worker))
            _end(process, grace_s)
            if registry is not None:
                discard_unregistered(registry, jobs.get(job_id))
        except Exception:  # the first error says more; a sweep ends the job
            logger.exception("job %s: could not record that it stopped", job_id)
        finally:
            _end(process, grace_s)
        raise
    _end(process, grace_s)
    final = jobs.get(job_id)
    if final.status is JobStatus.RUNNING:
        jobs.fail(job_id, exit_reason(process.exitcode))
        final = jobs.get(job_id)
    if final.status is not JobStatus.SUCCEEDED and registry is not None:
        discard_unregistered(registry, final)
    logger.info("job %s %s: %s", job_id, final.status.value, final.message)
    return final


def _watch(
    job_id: int,
    process: BaseProcess,
    *,
    jobs: JobStore,
    heartbeat_s: float,
    deadline: float | None,
    timeout_s: float | None,
    stop: threading.Event | None,
    worker: str,
    grace_s: float,
) -> None:
    """Beat for the job until its process exits, or until the job ends another way."""
    while True:
        process.join(heartbeat_s)
        if process.exitcode is not None:
            return
        if stop is not None and stop.is_set():
            jobs.fail(job_id, _stopped_with(worker))
            return
        if deadline is not None and time.monotonic() >= deadline:
            jobs.fail(job_id, f"it ran longer than {timeout_s:g} s (jobs.timeout), and was stopped")
            return
        try:
            job = jobs.heartbeat(job_id)
        except StorageError as error:
            # The process may well finish; if the store stays away, a sweep ends the job.
            logger.warning("job %s: no heartbeat written (%s)", job_id, error)
            continue
        if job.status is not JobStatus.RUNNING:
            # Ended by its process (which is about to exit) or by a sweep.
            process.join(grace_s)
            return
        if job.cancel_requested and jobs.cancelled(job_id, CANCELLED):
            return


def _stopped_with(worker: str) -> str:
    return f"its worker {worker} stopped while it ran; train again"


def _end(process: BaseProcess, grace_s: float) -> None:
    """Stop the process if it still runs: politely, then for good."""
    if process.exitcode is not None:
        return
    process.terminate()
    process.join(grace_s)
    if process.exitcode is None:
        process.kill()
        process.join()


def exit_reason(exitcode: int | None) -> str:
    """Why a job failed whose training process ended (with ``exitcode``) without finishing it."""
    if exitcode is None:
        return "its training process was lost"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return f"its training process was killed by {name}{hint}"
    if exitcode > 0:
        return f"its training process exited with code {exitcode}; the worker's log says why"
    return "its training process ended without finishing the job"


def heartbeat_interval(stale_after: float) -> float:
    """How often a worker beats: every second, or four times within ``stale_after``."""
    return min(1.0, stale_after / 4)


@dataclass(frozen=True)
class JobRunner:
    """What running jobs takes, fixed once per worker: the stores, the worker's name and
    how to start a training process."""

    jobs: JobStore
    registry: ModelRegistry
    worker: str
    start: StartProcess
    stale_after: float = 15.0
    """Seconds without a heartbeat after which a job counts as abandoned (``jobs.stale_after``)."""
    timeout_s: float | None = None

    def run(self, job_id: int, *, stop: threading.Event | None = None) -> Job:
        return supervise(
            job_id,
            jobs=self.jobs,
            worker=self.worker,
            start=self.start,
            registry=self.registry,
            heartbeat_s=heartbeat_interval(self.stale_after),
            timeout_s=self.timeout_s,
            stop=stop,
        )
