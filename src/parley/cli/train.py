"""``parley train``: train a project (its NLU and its dialogue policies) into a model artifact."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from parley.cli import console, report
from parley.cli.api import TokenOption, connect, segment
from parley.cli.config import settings_loader
from parley.cli.jobs import follow, log_tail
from parley.cli.options import MAX_SEED, ProjectDirArgument
from parley.core.problem import by_position
from parley.models.artifact import model_file_name
from parley.models.manifest import ModelKind
from parley.project import read_project
from parley.project.digest import source_digest
from parley.training.result import TrainingResult, reused
from parley.training.source_cache import SourceCache
from parley.version import __version__


def train(
    ctx: typer.Context,
    *,
    directory: ProjectDirArgument = Path("."),
    nlu_only: Annotated[
        bool,
        typer.Option(
            "--nlu-only",
            help="Train only the NLU pipeline (a model that parses but does not converse).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Folder to write the model into.  \\[default: DIR/models]",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Train even when a model of the same data and config exists."),
    ] = False,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            metavar="N",
            min=0,
            max=MAX_SEED,
            help="Random seed; the same seed trains the same model.",
        ),
    ] = 0,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="File name of the model (NAME.tar.gz) instead of <date>-<time>-<fingerprint>.",
            show_default=False,
        ),
    ] = None,
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote",
            metavar="URL",
            help="Train on the server at URL (a job in its worker) the project it stores, "
            "instead of DIR here.",
            show_default=False,
        ),
    ] = None,
    remote_project: Annotated[
        str | None,
        typer.Option(
            "--project",
            metavar="NAME",
            help="With --remote: the project on the server.  \\[default: default]",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="With --remote: follow the job until it ends, or only start it.",
        ),
    ] = True,
    token: TokenOption = None,
) -> None:
    """Train the project into a model file (see TRAIN_HELP)."""
    if remote is not None:
        local = [
            option
            for option, given in (
                ("DIR", directory != Path(".")),
                ("--out", out is not None),
                ("--force", force),
                ("--seed", seed != 0),
                ("--name", name is not None),
            )
            if given
        ]
        if local:
            console.print_error(
                f"{', '.join(local)} train here; with --remote the server trains the project "
                "it stores (--project) with its own settings: drop one or the other"
            )
            raise typer.Exit(2)
        _train_remotely(
            ctx, remote, token, remote_project or "default", nlu_only=nlu_only, wait=wait
        )
        return
    if remote_project is not None:
        console.print_error("--project names a project on a server; give the server with --remote")
        raise typer.Exit(2)
    started = time.perf_counter()
    out_dir = out or directory / "models"
    digest = source_digest(directory, __version__, f"seed={seed}", f"nlu_only={nlu_only}")
    cache = SourceCache(out_dir)
    if digest is not None and not force:
        found = cache.lookup(digest, model_name=model_file_name(name))
        if found is not None:
            _print_result(reused(*found, started=started))
            return
    # Imported only now: they bring numpy and the NLU components, which an unchanged
    # project (above) must not wait for, so that it is done in well under a second.
    from parley.bootstrap import nlu_context  # noqa: PLC0415
    from parley.training.model import train_model  # noqa: PLC0415

    reading = read_project(directory)
    err = console.stderr()
    for problem in sorted(reading.problems, key=by_position):
        err.print(report.problem_line(problem))
    if reading.errors:
        console.print_error(
            f"{report.display_path(directory)} has {len(reading.errors)} error(s); fix them "
            "and train again (`parley validate` lists them too)"
        )
        raise typer.Exit(1)
    project = reading.project
    settings = settings_loader(ctx).load()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("preparing", total=1.0)

        def show(what: str, fraction: float) -> None:
            progress.update(task, description=what, completed=fraction)

        language = project.config.language or "en"
        context = nlu_context(settings, seed=seed, language=language, progress=show)
        result = train_model(
            project, out_dir, context=context, force=force, name=name, nlu_only=nlu_only
        )
    if digest is not None:
        cache.remember(digest, result.path, result.manifest)
    _print_result(result)


def _train_remotely(
    ctx: typer.Context,
    url: str,
    token: str | None,
    project: str,
    *,
    nlu_only: bool,
    wait: bool,
) -> None:
    """Start a training job on the server and, with ``wait``, follow it to its end."""
    out = console.stdout()
    with connect(ctx, url, token) as api:
        job = api.json(
            "POST",
            f"api/projects/{segment(project)}/train",
            expect=(202,),
            json={"nlu_only": nlu_only},
        )
        job_id = job.get("id")
        if not wait:
            out.print(
                Text.assemble(
                    ("Started ", "bold green"),
                    f"job {job_id} training project {project!r} on {api.base}; follow it with "
                    f"`parley jobs show {job_id}`",
                )
            )
            return
        console.stderr().print(f"Job {job_id} trains project {project!r} on {api.base}")
        job = follow(api, job)
    if job.get("status") != "succeeded":
        err = console.stderr()
        tail = log_tail(job)
        if tail:
            err.print(Text(tail, style="dim"))
        console.print_error(
            f"job {job_id} {job.get('status')}: {job.get('message') or 'no reason given'} "
            f"(the whole log: `parley jobs show {job_id}`)"
        )
        raise typer.Exit(1)
    out.print(
        Text.assemble(
            ("Trained ", "bold green"),
            (str(job.get("model")), "bold"),
            f" in project {project!r} (job {job_id})",
        )
    )


def _print_result(result: TrainingResult) -> None:
    err = console.stderr()
    for problem in result.problems:
        err.print(report.problem_line(problem))
    out = console.stdout()
    path = report.display_path(result.path)
    metrics = result.manifest.metrics
    if result.reused:
        out.print(
            Text.assemble(
                ("Reused ", "bold green"),
                (path, "bold"),
                ": the training data and config have not changed since it was trained "
                "(--force trains again).",
            )
        )
        return
    what = "the NLU model" if result.manifest.kind is ModelKind.NLU else "the model"
    dialogue = (
        ""
        if result.manifest.kind is ModelKind.NLU
        else f"; {metrics.stories} stories, {metrics.rules} rules, "
        f"{len(result.manifest.policies)} policies"
    )
    out.print(
        Text.assemble(
            ("Trained ", "bold green"),
            f"{what} in {result.seconds:.1f} s ({metrics.examples} examples, "
            f"{metrics.intents} intents, {metrics.entities} entities{dialogue}): ",
            (path, "bold"),
        )
    )


# One line per paragraph: Typer's rich help keeps the line breaks written in a docstring.
TRAIN_HELP = "\n\n".join(
    [
        "Train the project's NLU pipeline and dialogue policies (config.yml) into a model "
        "file in DIR/models; --nlu-only trains the NLU pipeline alone.",
        "When the training data and config have not changed since a model in the output "
        "folder was trained, that model is reused; --force trains anyway.",
        "With --remote URL, the server at URL trains the project it stores (--project) in a "
        "job of its worker, registers the model, and this command follows the job "
        "(--no-wait: only starts it; `parley jobs` shows it later).",
    ]
)


def register(app: typer.Typer) -> None:
    app.command("train", help=TRAIN_HELP)(train)
