"""The ``parley`` command line, driven in-process through Typer's runner."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from parley.cli import validate as validate_module
from parley.cli.app import app
from parley.core.problem import Location, Problem, Severity
from parley.project import ProjectReading
from parley.project.project import Project
from parley.version import __version__

runner = CliRunner()

BROKEN_DOMAIN = """\
version: "3.1"
intents:
  - greet
responses:
  utter_greet:
    - text: "hello
"""


def commands() -> dict[str, Any]:
    root = get_command(app)
    assert isinstance(root, TyperGroup)
    return dict(root.commands)


def starter(tmp_path: Path) -> Path:
    target = tmp_path / "bot"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    return target


def test_init_creates_the_starter(tmp_path: Path) -> None:
    target = tmp_path / "bot"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "domain.yml").is_file()
    assert (target / "data" / "nlu.yml").is_file()
    assert "data/nlu.yml" in result.output
    assert "parley validate" in result.output


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "not empty" in result.stderr
    assert "--force" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "domain.yml").exists()


def test_init_force_writes_into_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["init", "--force", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "domain.yml").is_file()
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_validate_accepts_the_starter(tmp_path: Path) -> None:
    target = starter(tmp_path)
    result = runner.invoke(app, ["validate", str(target), "--fail-on-warnings"])
    assert result.exit_code == 0, result.output
    assert "Valid" in result.output


def test_validate_defaults_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(starter(tmp_path))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output


def test_validate_reports_errors_with_file_and_position(tmp_path: Path) -> None:
    target = starter(tmp_path)
    (target / "domain.yml").write_text(BROKEN_DOMAIN)
    result = runner.invoke(app, ["validate", str(target)])
    assert result.exit_code == 1
    assert re.search(r"domain\.yml:\d+:\d+: error: .+ \[[\w.-]+\]", result.stdout), result.stdout
    assert "Invalid" in result.stdout
    assert "Traceback" not in result.output


def test_validate_json_for_tools(tmp_path: Path) -> None:
    target = starter(tmp_path)
    (target / "domain.yml").write_text(BROKEN_DOMAIN)
    result = runner.invoke(app, ["validate", str(target), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert document["errors"] >= 1
    first = document["problems"][0]
    assert first["file"].endswith("domain.yml")
    assert isinstance(first["line"], int)
    assert first["severity"] == "error"


def test_validate_a_missing_folder_is_a_clean_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = runner.invoke(app, ["validate", str(missing)])
    assert result.exit_code in (1, 2)
    assert "nowhere" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _reading_with(problems: list[Problem], root: Path) -> ProjectReading:
    return ProjectReading(root=root, project=Project(), problems=problems)


def test_warnings_alone_pass_unless_asked_to_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warning = Problem(
        "some-warning",
        "a thing to look at",
        Location(tmp_path / "domain.yml", 3, 5),
        Severity.WARNING,
    )
    monkeypatch.setattr(
        validate_module, "read_project", lambda _: _reading_with([warning], tmp_path)
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "domain.yml:3:5: warning: a thing to look at [some-warning]" in result.stdout
    assert "1 warning" in result.stdout
    assert runner.invoke(app, ["validate", str(tmp_path), "--fail-on-warnings"]).exit_code == 1


def test_problems_are_grouped_by_file_and_ordered_by_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems = [
        Problem("b", "second in domain", Location(tmp_path / "domain.yml", 9, 1)),
        Problem("c", "in nlu", Location(tmp_path / "data" / "nlu.yml", 2, 1)),
        Problem("a", "first in domain", Location(tmp_path / "domain.yml", 2, 3)),
    ]
    monkeypatch.setattr(
        validate_module, "read_project", lambda _: _reading_with(problems, tmp_path)
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert [line.rsplit("[", 1)[1] for line in lines] == ["c]", "a]", "b]"]
    assert "3 errors" in result.stdout


def test_a_file_system_refusal_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(target: Path, *, force: bool = False) -> list[Path]:
        raise PermissionError(13, "Permission denied", str(target / "domain.yml"))

    monkeypatch.setattr("parley.cli.init.create_starter_project", refuse)
    result = runner.invoke(app, ["init", str(tmp_path / "bot")])
    assert result.exit_code == 1
    assert "Permission denied" in result.stderr
    assert "domain.yml" in result.stderr


def test_a_bug_keeps_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: Path) -> ProjectReading:
        raise RuntimeError("a bug")

    monkeypatch.setattr(validate_module, "read_project", broken)
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert isinstance(result.exception, RuntimeError)


def test_version_command() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout
    assert "Python" in result.stdout
    assert "Platform" in result.stdout


def test_version_flag() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"parley {__version__}"


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.output
    for name in commands():
        assert name in result.output


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_has_help(command: str) -> None:
    summary = commands()[command].help
    assert summary, f"parley {command} has no docstring to show as help"
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout
    assert " ".join(summary.split()[:3]) in result.stdout


def test_validate_help_shows_the_line_format() -> None:
    result = runner.invoke(app, ["validate", "--help"])
    assert "[code]" in result.stdout


def test_python_dash_m() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "parley", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"parley {__version__}"


def test_the_command_line_loads_without_the_numeric_libraries() -> None:
    # `parley --help`, `parley validate` and an unchanged `parley train` must stay quick;
    # these libraries take seconds to import and are loaded only where they are used.
    heavy = ("numpy", "scipy", "sklearn", "matplotlib", "torch", "pycrfsuite", "duckling")
    code = f"import sys, parley.cli.app; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == ""


def test_validate_given_a_file_names_the_folder_to_give_instead(tmp_path: Path) -> None:
    target = starter(tmp_path)
    result = runner.invoke(app, ["validate", str(target / "domain.yml")])
    assert result.exit_code == 1
    assert "is not a project folder" in result.output
    assert f"give the folder that holds it instead: {target}" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_validate_json_reports_a_missing_project_as_json(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = runner.invoke(app, ["validate", str(missing), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert document["project"] == str(missing)
    assert "is not a project folder" in document["error"]


LEGACY_DOMAIN = """\
version: "2.0"
intents: [greet, inform]
entities: [city]
slots:
  city:
    type: rasa.shared.core.slots.TextSlot
responses:
  utter_greet:
    - text: hi
"""


def test_migrate_writes_a_2x_project_in_the_3x_format(tmp_path: Path) -> None:
    source = tmp_path / "old"
    (source / "data").mkdir(parents=True)
    (source / "domain.yml").write_text(LEGACY_DOMAIN, encoding="utf-8")
    (source / "data" / "nlu.yml").write_text(
        'version: "2.0"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n'
        "- intent: inform\n  examples: |\n    - to [Paris](city)\n",
        encoding="utf-8",
    )
    before = runner.invoke(app, ["validate", str(source), "--format", "json"])
    assert "legacy-format" in before.stdout
    target = tmp_path / "new"
    result = runner.invoke(app, ["migrate", str(source), str(target)])
    assert result.exit_code == 0, result.output
    assert "domain.yml" in result.output
    after = runner.invoke(app, ["validate", str(target), "--format", "json"])
    assert "legacy-format" not in after.stdout
    assert json.loads(after.stdout)["valid"] is True
    assert "mappings:" in (target / "domain.yml").read_text(encoding="utf-8")


def test_migrate_refuses_a_project_with_errors_and_an_occupied_target(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "domain.yml").write_text(BROKEN_DOMAIN, encoding="utf-8")
    result = runner.invoke(app, ["migrate", str(broken), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "error" in result.output
    assert not (tmp_path / "out").exists()
    bot = starter(tmp_path)
    result = runner.invoke(app, ["migrate", str(bot), str(bot)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
