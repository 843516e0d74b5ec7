"""``parley worker``: run training jobs from Redis, beside servers that queue them."""

from __future__ import annotations

from typing import Annotated

import typer

from parley.cli.config import settings_loader

WORKER_HELP = "\n\n".join(
    [
        "Run training jobs that servers queue in Redis (REDIS_URL, the same Redis and "
        "database as the servers'). Start as many workers as you want jobs to run at once; "
        "each runs one job at a time, in a fresh process.",
        "Ctrl+C or SIGTERM stops the worker once its job is done; a second one stops it at "
        "once, failing the job. A worker that dies (kill -9, its machine gone) stops beating: "
        "the other workers fail its job within jobs.stale_after seconds. Every worker sends "
        "again the queued jobs Redis lost.",
    ]
)


def worker(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="The worker's name, shown on the jobs it runs.  \\[default: HOST-PID]",
            show_default=False,
        ),
    ] = None,
    burst: Annotated[bool, typer.Option("--burst", help="Stop once the queue is empty.")] = False,
) -> None:
    """Run training jobs from Redis (see WORKER_HELP)."""
    settings = settings_loader(ctx).load()
    # Imported only now, so that `parley --help` stays quick.
    from parley.bootstrap.jobs import run_worker  # noqa: PLC0415
    from parley.ops.logging import configure_logging  # noqa: PLC0415

    configure_logging(
        settings.logging.level.value, settings.logging.format.value, settings.logging.log_dir
    )
    run_worker(settings, name=name, burst=burst)


def register(app: typer.Typer) -> None:
    app.command("worker", help=WORKER_HELP)(worker)
