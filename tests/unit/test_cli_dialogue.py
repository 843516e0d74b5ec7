"""``parley shell`` and ``parley test`` (conversation tests) on the starter assistant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parley.cli.app import app
from parley.project.scaffold import create_starter_project

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("cli") / "bot"
    create_starter_project(project)
    result = runner.invoke(app, ["train", str(project)])
    assert result.exit_code == 0, result.output
    return project


def test_shell_answers_messages_with_debug_details(trained: Path) -> None:
    result = runner.invoke(
        app,
        ["shell", str(trained), "--debug", "--sender", "cli-test"],
        input="hello\ncan I get a latte?\n/stop\n",
    )
    assert result.exit_code == 0, result.output
    assert "intent greet" in result.stdout
    assert "action utter_greet (RulePolicy" in result.stdout
    assert "medium or large?" in result.stdout  # either variation of utter_ask_size


def test_shell_refuses_a_folder_without_models(tmp_path: Path) -> None:
    project = tmp_path / "untrained"
    create_starter_project(project)
    result = runner.invoke(app, ["shell", str(project)], input="")
    assert result.exit_code == 1
    assert "no trained model" in result.output
    assert "parley train" in result.output


def test_test_runs_the_nlu_test_and_the_conversation_tests(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = runner.invoke(app, ["test", str(trained), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "NLU test" in result.stdout
    assert "Conversation tests" in result.stdout
    assert "4 of 4 stories passed" in result.stdout
    report = json.loads((out / "story_report.json").read_text(encoding="utf-8"))
    assert report["passed"] == report["stories"] == 4
    assert (out / "intent_report.json").is_file()
    assert not (out / "failed_test_stories.yml").exists()


def test_a_failing_story_fails_the_command_and_shows_where(trained: Path, tmp_path: Path) -> None:
    tests = trained / "tests" / "test_wrong.yml"
    tests.write_text(
        'version: "3.1"\nstories:\n- story: greeting answered with goodbye\n  steps:\n'
        "  - user: |\n      hello\n    intent: greet\n  - action: utter_goodbye\n",
        encoding="utf-8",
    )
    try:
        out = tmp_path / "results"
        result = runner.invoke(app, ["test", "stories", str(trained), "--out", str(out)])
    finally:
        tests.unlink()
    assert result.exit_code == 1
    assert (
        "✗ greeting answered with goodbye — step 2: action — expected utter_goodbye, "
        "predicted utter_greet" in result.stdout
    )
    failed = (out / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "- action: utter_goodbye  # predicted: utter_greet" in failed


def test_e2e_checks_the_intent_of_each_message(trained: Path, tmp_path: Path) -> None:
    tests = trained / "tests" / "test_mislabelled.yml"
    tests.write_text(
        'version: "3.1"\nstories:\n- story: a greeting labelled as a goodbye\n  steps:\n'
        "  - user: |\n      good morning\n    intent: goodbye\n  - action: utter_goodbye\n",
        encoding="utf-8",
    )
    try:
        plain = runner.invoke(app, ["test", "stories", str(trained), "--out", str(tmp_path)])
        e2e = runner.invoke(app, ["test", "stories", str(trained), "--e2e", "--out", str(tmp_path)])
    finally:
        tests.unlink()
    # Without --e2e the story's own intent is used: the dialogue follows it.
    assert plain.exit_code == 0, plain.output
    assert e2e.exit_code == 1
    assert "step 1: intent of 'good morning' — expected goodbye, predicted greet" in e2e.stdout


def test_test_without_test_stories_says_how_to_write_them(tmp_path: Path) -> None:
    project = tmp_path / "bot"
    create_starter_project(project)
    for file in (project / "tests").iterdir():
        file.unlink()
    result = runner.invoke(app, ["test", "stories", str(project)])
    assert result.exit_code == 1
    assert "has no test stories" in result.output
