"""A ``parley worker``: an RQ worker on the training queue, plus the sweep.

The worker runs one job at a time, in its own process (RQ's ``SimpleWorker``: no fork),
where the job's supervisor beats for it and starts a fresh training process per job. So
a ``kill -9`` of the worker takes the training process down with it
(:mod:`parley.worker.lifeline`), its job's beats stop, and the sweep of any other worker
fails the job. SIGTERM or Ctrl+C stops the worker once its job is done; a second one stops
it at once, failing the job.
"""

from __future__ import annotations

import logging

from rq import SimpleWorker

from parley.cluster.job_queue import RqJobQueue
from parley.worker import rq_task
from parley.worker.supervisor import JobRunner
from parley.worker.sweeper import Sweeper

logger = logging.getLogger(__name__)


class _TrainingWorker(SimpleWorker):
    """RQ's worker without its command channel (a pub/sub thread): jobs are cancelled
    through their rows and workers stopped with signals. That thread could also hold a
    stopping worker for up to a minute (it waits that long for messages, and is joined)."""

    def subscribe(self) -> None:
        pass


def work(queue: RqJobQueue, runner: JobRunner, *, burst: bool = False) -> bool:
    """Run jobs from ``queue`` until stopped, or (``burst``) until it is empty; whether
    any job ran.

    At start the queued jobs Redis does not hold are sent again; then, every few seconds,
    the jobs of dead workers are failed and the queued jobs Redis lost are sent again.
    """
    queue.start()
    sweeper = Sweeper(
        runner.jobs, runner.registry, stale_after=runner.stale_after, restore=queue.restore
    )
    sweeper.sweep()
    sweeper.restore()
    rq_task.install(runner)
    sweeper.start()
    try:
        worker = _TrainingWorker(
            [queue.queue],
            connection=queue.connection,
            name=f"{queue.scope}:{runner.worker}",
        )
        logger.info("worker %s takes training jobs from %s", runner.worker, queue.queue.name)
        return worker.work(burst=burst, with_scheduler=False)
    finally:
        sweeper.close()
        rq_task.install(None)
