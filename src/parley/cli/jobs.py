"""``parley jobs``: the training jobs of a running server (``/api/jobs``), and
:func:`follow`, which ``parley train --remote`` uses to wait for the job it started."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from parley.cli import console
from parley.cli.api import ApiClient, JsonOption, TokenOption, UrlOption, connect, segment, when
from parley.core.job import JobStatus

POLL_SECONDS = 1.0
"""How often a followed job is asked for."""
LOG_TAIL = 20
"""Lines of a failed job's log printed under the error."""

_STATUS_STYLES = {
    JobStatus.QUEUED: "yellow",
    JobStatus.RUNNING: "bold blue",
    JobStatus.SUCCEEDED: "bold green",
    JobStatus.FAILED: "bold red",
    JobStatus.CANCELLED: "magenta",
}

jobs_app = typer.Typer(
    name="jobs",
    help="Follow and cancel the training jobs of a running server.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

JobArgument = Annotated[
    int, typer.Argument(metavar="ID", help="The job's number.", show_default=False)
]


def _status(job: dict[str, Any]) -> JobStatus | None:
    try:
        return JobStatus(str(job.get("status")))
    except ValueError:
        return None


def _status_text(job: dict[str, Any]) -> Text:
    status = _status(job)
    text = Text(str(job.get("status", "?")), style=_STATUS_STYLES.get(status, "") if status else "")
    if status is JobStatus.RUNNING and job.get("cancel_requested"):
        text.append(" (cancelling)", style="magenta")
    return text


def _percent(job: dict[str, Any]) -> str:
    return f"{float(job.get('progress') or 0) * 100:.0f}%"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


@jobs_app.command("list")
def list_jobs(
    ctx: typer.Context,
    *,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            metavar="NAME",
            help="Only this project's jobs.  \\[default: every project's]",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        JobStatus | None,
        typer.Option("--status", help="Only the jobs in this state.", show_default=False),
    ] = None,
    output_json: JsonOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """List the jobs, newest first."""
    params = {"project": project, "status": status.value if status else None}
    with connect(ctx, url, token) as api:
        jobs: list[dict[str, Any]] = api.json(
            "GET", "api/jobs", params={k: v for k, v in params.items() if v}
        )
    if output_json:
        console.print_json(jobs)
        return
    if not jobs:
        console.stdout().print("No jobs; start one with `parley train --remote URL`.")
        return
    table = console.listing()
    table.add_column("ID", justify="right", style="bold", no_wrap=True)
    table.add_column("Project", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Progress", justify="right", no_wrap=True)
    table.add_column("Created", min_width=10)
    table.add_column("Model", no_wrap=True)
    table.add_column("Message", min_width=12, overflow="fold")
    for job in jobs:
        table.add_row(
            str(job.get("id", "")),
            str(job.get("project", "")),
            _status_text(job),
            _percent(job),
            when(job.get("created")),
            str(job.get("model") or ""),
            str(job.get("message") or ""),
        )
    console.stdout().print(table)


@jobs_app.command("show")
def show(
    ctx: typer.Context,
    *,
    job_id: JobArgument,
    output_json: JsonOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Show a job: its state, progress, times, model, message and log."""
    with connect(ctx, url, token) as api:
        job: dict[str, Any] = api.json("GET", f"api/jobs/{segment(job_id)}")
    if output_json:
        console.print_json(job)
        return
    out = console.stdout()
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column(overflow="fold")
    params = ", ".join(
        f"{key}={json.dumps(value)}" for key, value in (job.get("params") or {}).items()
    )
    fields.add_row(
        "Job", f"{job.get('id')}: {job.get('kind', '?')}" + (f" ({params})" if params else "")
    )
    fields.add_row("Project", str(job.get("project", "")))
    fields.add_row("Status", Text.assemble(_status_text(job), f"  {_percent(job)}"))
    if job.get("message"):
        fields.add_row("Message", str(job["message"]))
    fields.add_row("Created", f"{when(job.get('created'))} by {job.get('created_by', '?')}")
    started, finished = job.get("started"), job.get("finished")
    if started is not None:
        fields.add_row("Started", f"{when(started)} on {job.get('worker') or '?'}")
    if finished is not None:
        took = f" (took {_duration(finished - started)})" if started is not None else ""
        fields.add_row("Finished", when(finished) + took)
    if job.get("model"):
        fields.add_row("Model", Text(str(job["model"]), style="bold"))
    out.print(fields)
    log = str(job.get("log") or "").rstrip()
    if log:
        out.print(Text("Log", style="bold"))
        out.print(Text(log))


@jobs_app.command("cancel")
def cancel(
    ctx: typer.Context,
    *,
    job_id: JobArgument,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Cancel a job: a queued one at once, a running one at its next step."""
    with connect(ctx, url, token) as api:
        job: dict[str, Any] = api.json(
            "POST", f"api/jobs/{segment(job_id)}/cancel", expect=(202, 200)
        )
    if _status(job) is JobStatus.CANCELLED:
        message = Text.assemble(("Cancelled ", "bold green"), f"job {job_id}")
    else:
        message = Text.assemble(
            ("Cancelling ", "bold green"),
            f"job {job_id}: it stops at its next step (`parley jobs show {job_id}` tells when)",
        )
    console.stdout().print(message)


def follow(api: ApiClient, job: dict[str, Any]) -> dict[str, Any]:
    """Show ``job``'s progress until it is final; the final job (with its ``log``). On a
    terminal a progress bar shows it; elsewhere (a CI log) one line per step. Ctrl-C stops
    following, not the job, and ends the command with exit code 130."""
    job_id = int(job["id"])
    err = console.stderr()
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task(f"job {job_id}", total=1.0)
            shown = ""
            while True:
                status = _status(job)
                step = f"job {job_id}: {_percent(job)} {job.get('message') or job.get('status')}"
                if progress.disable and step != shown:
                    err.print(Text(step, style="dim"))
                shown = step
                progress.update(
                    task,
                    description=f"job {job_id}: {job.get('message') or job.get('status')}",
                    completed=float(job.get("progress") or 0),
                )
                final = status is not None and status.final
                if final and "log" in job:
                    return job
                if not final:
                    time.sleep(POLL_SECONDS)
                job = api.json("GET", f"api/jobs/{segment(job_id)}")
    except KeyboardInterrupt:
        err.print(
            f"Stopped following job {job_id}; it goes on on the server: "
            f"`parley jobs show {job_id}`, `parley jobs cancel {job_id}`."
        )
        raise typer.Exit(130) from None


def log_tail(job: dict[str, Any], lines: int = LOG_TAIL) -> str:
    """The last ``lines`` lines of the job's log."""
    return "\n".join(str(job.get("log") or "").rstrip().splitlines()[-lines:])


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app)
