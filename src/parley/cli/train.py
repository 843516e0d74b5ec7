"""``parley train``: train a project (its NLU and its dialogue policies) into a model artifact."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from parley.cli import console, report
from parley.cli.config import settings_loader
from parley.cli.options import MAX_SEED
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
    directory: Annotated[
        Path,
        typer.Argument(metavar="DIR", help="The project folder (holding domain.yml)."),
    ] = Path("."),
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
) -> None:
    """Train the project into a model file (see TRAIN_HELP)."""
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
    ]
)


def register(app: typer.Typer) -> None:
    app.command("train", help=TRAIN_HELP)(train)
