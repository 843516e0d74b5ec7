"""The job queue of a Parley without Redis: a thread of the server runs the jobs one at a
time, each in a training process of its own, so serving goes on at its usual pace while a
model trains.

The queue itself is only a list in memory; the jobs are rows. :meth:`EmbeddedQueue.start`
queues again every job the store holds as queued, so a restart loses none, and starts the
sweep that fails the jobs a previous run left running (and queues again, now and then, a
queued job the list lost, as when the database was away when it came up).
:meth:`EmbeddedQueue.close` stops the job running now and fails it, saying so: its training
process cannot outlive the server.
"""

from __future__ import annotations

import logging
import queue
import threading

from parley.core.job import Job
from parley.worker.supervisor import JobRunner
from parley.worker.sweeper import Sweeper

logger = logging.getLogger(__name__)

_CLOSE = -1


class EmbeddedQueue:
    """The :class:`~parley.core.ports.JobQueue` of one process."""

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner
        self._ids: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._pending: set[int] = set()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sweeper = Sweeper(
            runner.jobs,
            runner.registry,
            stale_after=runner.stale_after,
            restore=self._restore,
        )

    def submit(self, job: Job) -> None:
        with self._guard:
            if job.id in self._pending:
                return
            self._pending.add(job.id)
        self._ids.put(job.id)

    def start(self) -> None:
        """Run jobs: the queued ones first, then those submitted."""
        if self._thread is not None:
            return
        with self._guard:
            # Every queued job is restored below, in the order they were asked in.
            self._ids = queue.SimpleQueue()
            self._pending.clear()
        self._sweeper.sweep()
        self._sweeper.restore()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="parley-training", daemon=True)
        self._thread.start()
        self._sweeper.start()

    def close(self) -> None:
        """Stop: the job running now is failed, the queued ones wait for the next start."""
        self._stop.set()
        if self._thread is not None:
            self._ids.put(_CLOSE)
            self._thread.join()
            self._thread = None
        self._sweeper.close()

    def _restore(self, jobs: list[Job]) -> None:
        # Queued jobs of an earlier run, or whose claim failed (the database was away).
        for job in jobs:
            self.submit(job)

    def _run(self) -> None:
        while not self._stop.is_set():
            job_id = self._ids.get()
            if job_id == _CLOSE or self._stop.is_set():
                return
            with self._guard:
                self._pending.discard(job_id)
            try:
                self.runner.run(job_id, stop=self._stop)
            except Exception:
                logger.exception("job %s could not be run", job_id)
