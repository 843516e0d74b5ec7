"""What RQ runs for a training job in a ``parley worker``: :func:`perform`, with the
:class:`~parley.worker.supervisor.JobRunner` the worker installed when it started (RQ calls
functions by name, with the job's arguments only)."""

from __future__ import annotations

from parley.worker.supervisor import JobRunner

_runner: JobRunner | None = None


def install(runner: JobRunner | None) -> None:
    """Make ``runner`` run the jobs :func:`perform` gets (None: none any more)."""
    global _runner  # noqa: PLW0603 - RQ gives a task nothing but its arguments
    _runner = runner


def perform(job_id: int) -> str:
    """Run the job ``job_id``; returns its final status."""
    runner = _runner
    if runner is None:
        raise RuntimeError(
            "parley.worker.rq_task.perform runs in `parley worker`, which prepares it; "
            "start workers with `parley worker`, not `rq worker`"
        )
    return runner.run(job_id).status.value
