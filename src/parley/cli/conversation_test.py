"""The conversation-test part of ``parley test``: replay ``tests/test_*.yml`` stories
against a trained model and report each as passed or failed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from parley.cli import console
from parley.cli.config import SettingsLoader
from parley.cli.model_files import newest_model
from parley.cli.report import display_path
from parley.core.story import Rule, Story
from parley.errors import ProjectError, ProjectNotFoundError
from parley.project import Project, load_project

if TYPE_CHECKING:
    from parley.evaluation.conversations import ConversationReport
    from parley.models.loading import LoadedModel


def load_tested_model(
    loader: SettingsLoader, directory: Path, model: Path | None
) -> tuple[Project, Path, LoadedModel]:
    """The project, the model file to test (the newest one unless given) and the model."""
    from parley.bootstrap import nlu_context  # noqa: PLC0415
    from parley.models.loading import load_model  # noqa: PLC0415

    if not directory.is_dir():
        raise ProjectNotFoundError(directory)
    project = load_project(directory)
    _test_stories(project, directory)  # before the model: no stories is the first problem
    archive = model if model is not None else newest_model(directory)
    with console.stderr().status(f"loading {display_path(archive)}"):
        loaded = load_model(archive, nlu_context(loader.load()))
    return project, archive, loaded


def _test_stories(project: Project, directory: Path) -> list[Story | Rule]:
    stories: list[Story | Rule] = [*project.tests.stories, *project.tests.rules]
    if not stories:
        raise ProjectError(
            [],
            summary=f"{display_path(directory / 'tests')} has no test stories; write them in "
            "tests/test_*.yml (`stories:` with `- story:` and `steps:`, user messages with "
            "their intents)",
        )
    return stories


def run_conversation_tests(
    loader: SettingsLoader,
    directory: Path,
    *,
    project: Project,
    archive: Path,
    loaded: LoadedModel,
    out_dir: Path,
    run_actions: bool,
    e2e: bool = False,
) -> int:
    """Run the tests and print the results; the number of failed stories."""
    from parley.bootstrap import action_client  # noqa: PLC0415
    from parley.evaluation.conversation_report import write_conversation_report  # noqa: PLC0415
    from parley.evaluation.conversations import replay_test_stories  # noqa: PLC0415

    stories = _test_stories(project, directory)
    tests = display_path(directory / "tests")
    client = (
        action_client(loader.load(), project.endpoints, environ=loader.environ)
        if run_actions
        else None
    )
    agent = loaded.agent(action_client=client)
    with console.stderr().status(f"replaying {len(stories)} test stories"):
        report = replay_test_stories(agent, stories, run_actions=client is not None, e2e=e2e)
    written = write_conversation_report(report, stories, out_dir)
    out = console.stdout()
    _print(report, out, archive, tests, actions=client is not None, e2e=e2e)
    out.print(
        Text.assemble("Report: ", (display_path(out_dir), "bold"), f" ({len(written)} files)")
    )
    return report.failed


def _print(
    report: ConversationReport,
    out: Console,
    archive: Path,
    tests: str,
    *,
    actions: bool,
    e2e: bool,
) -> None:
    out.print(
        Text.assemble(
            ("Conversation tests: ", "bold"),
            f"{display_path(archive)} on the stories in {tests}",
            " (end to end: NLU checked too)" if e2e else "",
            "" if actions else " (custom actions not run: no action server configured)",
        )
    )
    table = Table(show_edge=False)
    table.add_column("story")
    table.add_column("result")
    for story in report.stories:
        if story.skipped:
            table.add_row(story.name, Text(f"skipped: {story.skipped}", style="yellow"))
        elif story.first_failure is None:
            table.add_row(story.name, Text("passed", style="green"))
        else:
            table.add_row(story.name, Text("failed", style="bold red"))
    out.print(table)
    for story in report.stories:
        failure = story.first_failure
        if failure is None or story.skipped:
            continue
        where = f"step {failure.step + 1}: {failure.kind}"
        if failure.text:
            where += f" of {failure.text!r}"
        out.print(
            Text.assemble(
                ("✗ ", "bold red"),
                (story.name, "bold"),
                f" — {where} — expected {failure.expected}, predicted {failure.predicted}",
            )
        )
    style = "bold green" if report.failed == 0 else "bold red"
    out.print(
        Text(
            f"{report.passed} of {len(report.stories)} stories passed "
            f"({report.pass_rate:.0%}); {report.failed} failed",
            style=style,
        )
    )


def exit_on_failures(failed: int) -> None:
    if failed:
        raise typer.Exit(1)
