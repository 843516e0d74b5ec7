"""The sweep: fails running jobs whose worker stopped beating (killed, its machine gone),
removes the artifacts they stored without registering them, and sends queued jobs that
their queue lost (Redis restarted empty) to it again. Every worker sweeps, from a thread
of its own; the job store makes sure each abandoned job is failed once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from parley.core.job import Job, JobStatus
from parley.core.ports import JobStore
from parley.errors import ParleyError
from parley.models.registry import ModelRegistry
from parley.worker.training_job import discard_unregistered

logger = logging.getLogger(__name__)

Restore = Callable[[list[Job]], object]
"""Sends again those of the given queued jobs that the queue does not hold."""

MAX_QUEUED = 100_000


def sweep_interval(stale_after: float) -> float:
    """How often a worker sweeps: a third of ``stale_after``, at most every 5 s."""
    return min(5.0, stale_after / 3)


class Sweeper:
    def __init__(
        self,
        jobs: JobStore,
        registry: ModelRegistry,
        *,
        stale_after: float,
        restore: Restore | None = None,
        every: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jobs = jobs
        self._registry = registry
        self._stale_after = stale_after
        self._restore = restore
        self._every = sweep_interval(stale_after) if every is None else every
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> list[Job]:
        """Fail the jobs whose worker stopped beating; returns them."""
        swept = self._jobs.sweep(self._stale_after, now=self._clock())
        for job in swept:
            logger.warning("job %s failed: %s", job.id, job.message)
            discard_unregistered(self._registry, job)
        return swept

    def restore(self, *, older_than: float = 0.0) -> list[Job]:
        """Hand the queued jobs created more than ``older_than`` seconds ago to ``restore``
        (a job just created may not have reached its queue yet); returns them."""
        if self._restore is None:
            return []
        cutoff = self._clock() - older_than
        queued = [
            job
            for job in self._jobs.list(statuses=[JobStatus.QUEUED], limit=MAX_QUEUED)
            if job.created <= cutoff
        ]
        queued.reverse()  # oldest first, the order they were asked in
        if queued:
            self._restore(queued)
        return queued

    def tick(self) -> None:
        """One round: sweep, then restore queued jobs older than ``stale_after``."""
        self.sweep()
        self.restore(older_than=self._stale_after)

    def start(self) -> None:
        """Sweep every few seconds in a thread, until :meth:`close`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="parley-job-sweeper", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.tick()
            except ParleyError as error:
                logger.warning(
                    "the job sweep failed, and runs again in %g s: %s", self._every, error
                )
            except Exception:
                logger.exception("the job sweep failed; it runs again in %g s", self._every)
