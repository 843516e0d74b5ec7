"""``parley test``: measure how well an assistant does.

``parley test [DIR]`` runs both parts: the NLU scored on the test stories' messages (or
DIR/tests/ NLU examples), and the conversation tests (every story in ``tests/test_*.yml``).
``parley test nlu`` and ``parley test stories`` run one part each. Three ways to get NLU
examples the model did not learn from::

    parley test nlu DIR --cross-validation 5     train per fold on DIR's own data
    parley test nlu DIR --test-data FILE         a trained model on FILE's examples
    parley test nlu DIR                          a trained model on DIR/tests/ NLU examples
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from parley.cli import console
from parley.cli.config import settings_loader
from parley.cli.model_files import newest_model
from parley.cli.options import MAX_SEED, ProjectDirArgument
from parley.cli.report import display_path, problem_line
from parley.core.problem import Problem
from parley.core.training_data import NLUData
from parley.errors import ProjectError, ProjectNotFoundError
from parley.evaluation.story_examples import story_examples
from parley.project import Project, load_project
from parley.project.training_data_file import read_training_data
from parley.project.yaml_file import YamlFileError, read_yaml

if TYPE_CHECKING:
    from parley.evaluation.nlu import Progress as ProgressCallback
    from parley.evaluation.nlu_report import NLUReport
    from parley.nlu.pipeline import Pipeline


DEFAULT_COMMAND = "all"


class _DefaultCommandGroup(TyperGroup):
    """``parley test DIR`` (no subcommand) runs ``parley test all DIR``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in {"--help", "-h"}):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


test_app = typer.Typer(
    name="test",
    cls=_DefaultCommandGroup,
    help="Measure how well the assistant does: `parley test [DIR]` runs the NLU test and "
    "the conversation tests; `parley test nlu` and `parley test stories` run one of them.",
    rich_markup_mode="rich",
)


_MODEL = typer.Option(
    "--model",
    metavar="PATH",
    help="Model to test (default: the newest DIR/models/*.tar.gz).",
    show_default=False,
)
_OUT = typer.Option(
    "--out",
    metavar="DIR",
    help="Where the report files go (default: DIR/results).",
    show_default=False,
)
_E2E = typer.Option(
    "--e2e",
    help="Also check each user message of the stories: the NLU's intent and entities must "
    "be the story's for the story to pass (Rasa's --e2e). Without it, the NLU is scored on "
    "those messages separately.",
)
_ACTIONS = typer.Option(
    "--actions/--no-actions",
    help="Also run each custom action of the stories on the action server (endpoints.yml "
    "or PARLEY_ACTION_ENDPOINT), so a crashing action fails its story.",
)


@test_app.command("nlu")
def nlu(
    ctx: typer.Context,
    *,
    directory: ProjectDirArgument = Path("."),
    model: Annotated[Path | None, _MODEL] = None,
    cross_validation: Annotated[
        int | None,
        typer.Option(
            "--cross-validation",
            metavar="K",
            min=2,
            help="Train on K-1 folds of DIR's NLU data and test on the one left out, K times "
            "(no trained model needed).",
            show_default=False,
        ),
    ] = None,
    test_data: Annotated[
        Path | None,
        typer.Option(
            "--test-data",
            metavar="FILE",
            help="A YAML file of NLU examples (Rasa `nlu:` format) to test the model on.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path | None, _OUT] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            min=0,
            max=MAX_SEED,
            help="Seed of the fold split and of training (cross-validation).",
        ),
    ] = 0,
) -> None:
    """Score intents, entities and retrieval responses; write Rasa-style reports.

    With neither --cross-validation nor --test-data, the NLU examples in DIR/tests/ are used.
    """
    if cross_validation is not None and (test_data is not None or model is not None):
        given = "--test-data" if test_data is not None else "--model"
        raise typer.BadParameter(
            f"--cross-validation trains its own models; leave out {given}, or drop "
            "--cross-validation to test a trained model",
            param_hint="--cross-validation",
        )
    if not directory.is_dir():
        raise ProjectNotFoundError(directory)
    # Imported here, not at the top: scikit-learn, matplotlib and numpy take seconds to
    # import, and every `parley` command (even --help) imports this module to list it.
    from parley.bootstrap import nlu_context  # noqa: PLC0415
    from parley.evaluation.nlu import cross_validate  # noqa: PLC0415
    from parley.models.loading import load_model  # noqa: PLC0415

    out_dir = out if out is not None else directory / "results"
    settings = settings_loader(ctx).load()
    problems: list[Problem] = []
    err = console.stderr()
    if cross_validation is not None:
        project = load_project(directory)
        context = nlu_context(settings, seed=seed, language=project.config.language or "en")
        with _progress_bar(err, f"{cross_validation}-fold cross-validation") as progress:
            report = cross_validate(
                project.nlu,
                project.config.pipeline,
                cross_validation,
                context,
                progress=progress,
            )
        problems = context.problems
        what = f"{cross_validation}-fold cross-validation on {display_path(directory)}"
    else:
        examples, source = _test_examples(directory, test_data)
        archive = (
            model
            if model is not None
            else newest_model(
                directory,
                other_ways=", give one with --model PATH, or use --cross-validation K, "
                "which needs none",
            )
        )
        loaded = load_model(archive, nlu_context(settings, seed=seed))
        _score_model(loaded.pipeline, examples, f"{display_path(archive)} on {source}", out_dir)
        return
    _print_report(report, what, out_dir, problems)


def _score_model(pipeline: Pipeline, examples: NLUData, what: str, out_dir: Path) -> None:
    """Parse ``examples`` with a trained pipeline and report the scores."""
    from parley.evaluation.nlu import evaluate  # noqa: PLC0415

    with _progress_bar(console.stderr(), f"parsing {len(examples.examples)} examples") as progress:
        report = evaluate(pipeline, examples.examples, progress=progress)
    _print_report(report, what, out_dir, [])


def _print_report(report: NLUReport, what: str, out_dir: Path, problems: list[Problem]) -> None:
    from parley.evaluation.nlu import write_report  # noqa: PLC0415

    written = write_report(report, out_dir)
    out_console = console.stdout()
    for problem in problems:
        out_console.print(problem_line(problem))
    print_summary(report, what, out_console)
    out_console.print(
        Text.assemble("Report: ", (display_path(out_dir), "bold"), f" ({len(written)} files)")
    )


@test_app.command("stories")
def stories(
    ctx: typer.Context,
    *,
    directory: ProjectDirArgument = Path("."),
    model: Annotated[Path | None, _MODEL] = None,
    out: Annotated[Path | None, _OUT] = None,
    actions: Annotated[bool, _ACTIONS] = True,
    e2e: Annotated[bool, _E2E] = False,
) -> None:
    """Replay the test stories (tests/test_*.yml) against a trained model; exit code 1 when
    a story fails. Each failed story shows its first diverging step, expected vs predicted;
    DIR/results/failed_test_stories.yml marks every wrong step."""
    from parley.cli.conversation_test import (  # noqa: PLC0415
        exit_on_failures,
        load_tested_model,
        run_conversation_tests,
    )

    loader = settings_loader(ctx)
    project, archive, loaded = load_tested_model(loader, directory, model)
    failed = run_conversation_tests(
        loader,
        directory,
        project=project,
        archive=archive,
        loaded=loaded,
        out_dir=out if out is not None else directory / "results",
        run_actions=actions,
        e2e=e2e,
    )
    exit_on_failures(failed)


@test_app.command(DEFAULT_COMMAND)
def everything(
    ctx: typer.Context,
    *,
    directory: ProjectDirArgument = Path("."),
    model: Annotated[Path | None, _MODEL] = None,
    out: Annotated[Path | None, _OUT] = None,
    actions: Annotated[bool, _ACTIONS] = True,
    e2e: Annotated[bool, _E2E] = False,
) -> None:
    """The NLU test on the test stories' messages (or DIR/tests/ NLU examples), then the
    conversation tests; exit code 1 when a story fails. `parley test DIR` runs this."""
    from parley.cli.conversation_test import (  # noqa: PLC0415
        exit_on_failures,
        load_tested_model,
        run_conversation_tests,
    )

    loader = settings_loader(ctx)
    out_dir = out if out is not None else directory / "results"
    # The project and the model are read once, for both parts.
    project, archive, loaded = load_tested_model(loader, directory, model)
    examples, source = _project_examples(project, directory)
    _score_model(loaded.pipeline, examples, f"{display_path(archive)} on {source}", out_dir)
    console.stdout().print()
    failed = run_conversation_tests(
        loader,
        directory,
        project=project,
        archive=archive,
        loaded=loaded,
        out_dir=out_dir,
        run_actions=actions,
        e2e=e2e,
    )
    exit_on_failures(failed)


def _test_examples(directory: Path, test_data: Path | None) -> tuple[NLUData, str]:
    """The examples to test on, and where they come from (for the summary)."""
    if test_data is not None:
        return read_test_file(test_data), display_path(test_data)
    return _project_examples(load_project(directory), directory)


def _project_examples(project: Project, directory: Path) -> tuple[NLUData, str]:
    """The NLU examples of the project's tests: its NLU test examples, or else the user
    messages of its test stories."""
    tests = display_path(directory / "tests")
    if project.tests.nlu.examples:
        return project.tests.nlu, f"the examples in {tests}"
    from_stories = story_examples([*project.tests.stories, *project.tests.rules])
    if from_stories:
        nlu = project.tests.nlu.model_copy(update={"examples": from_stories})
        return nlu, f"the user messages of the test stories in {tests}"
    raise ProjectError(
        [],
        summary=f"{tests} has no NLU examples and no test story with user messages to test "
        "on; give a file of examples with --test-data FILE, or use --cross-validation K to "
        "test on folds of the training data",
    )


def read_test_file(path: Path) -> NLUData:
    """The NLU examples of one Rasa-format YAML file; every problem in it is reported."""
    if not path.is_file():
        raise ProjectError(
            [], summary=f"{path} is not a file; give a YAML file of NLU examples with --test-data"
        )
    try:
        content = read_training_data(read_yaml(path))
    except YamlFileError as error:
        raise ProjectError([error.problem], summary=f"{path} cannot be read") from None
    errors = [p for p in content.problems if p.is_error]
    if errors:
        raise ProjectError(content.problems, summary=f"{path} has {len(errors)} error(s)")
    if not any(example.intent for example in content.nlu.examples):
        raise ProjectError(
            [],
            summary=f"{path} has no NLU examples; write them as in data/nlu.yml "
            "(`nlu:` → `- intent: …` with `examples:`)",
        )
    return content.nlu


@contextmanager
def _progress_bar(out: Console, description: str) -> Iterator[ProgressCallback]:
    """A Rich progress bar on stderr, driven by the evaluation's (what, fraction) reports;
    it disappears when done so the summary stands alone."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task(description, total=1.0)

        def report(what: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=f"{description}: {what}")

        yield report


def print_summary(report: NLUReport, what: str, out: Console) -> None:
    """Intent accuracy and F1, entity F1 per entity and per extractor, response accuracy."""
    out.print(Text.assemble(("NLU test: ", "bold"), what, f" — {report.examples} examples"))
    scores = Table(title="Scores", title_justify="left", show_edge=False)
    for column in ("", "accuracy", "macro F1", "micro F1", "weighted F1"):
        scores.add_column(column, justify="left" if not column else "right")
    rows = [
        ("intents", report.intents, True),
        ("retrieval responses", report.responses, True),
        ("entities (exact spans)", report.entities, False),
        *((f"  {name}", evaluation, False) for name, evaluation in report.extractors.items()),
    ]
    for name, evaluation, has_accuracy in rows:
        if evaluation is None:
            continue
        scored = evaluation.report
        scores.add_row(
            name,
            _number(scored.accuracy) if has_accuracy else "",
            _number(scored.macro.f1),
            _number(scored.micro.f1),
            _number(scored.weighted.f1),
        )
    out.print(scores)
    if report.entities is not None and report.entities.report.labels:
        table = Table(title="Entities", title_justify="left", show_edge=False)
        table.add_column("entity")
        for column in ("precision", "recall", "F1", "support"):
            table.add_column(column, justify="right")
        for label, entity in report.entities.report.labels.items():
            table.add_row(
                label,
                _number(entity.precision),
                _number(entity.recall),
                _number(entity.f1),
                str(entity.support),
            )
        out.print(table)
    if report.folds:
        accuracies = [f.intent_accuracy for f in report.folds if f.intent_accuracy is not None]
        if accuracies:
            shown = ", ".join(f"{a:.3f}" for a in accuracies)
            out.print(f"Intent accuracy per fold: {shown}")
    if report.not_evaluated:
        listed = ", ".join(f"{name} ({count})" for name, count in report.not_evaluated.items())
        out.print(
            Text(
                "Not held out (fewer examples than folds; trained on in every fold): " + listed,
                style="yellow",
            )
        )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def register(app: typer.Typer) -> None:
    app.add_typer(test_app, name="test")
