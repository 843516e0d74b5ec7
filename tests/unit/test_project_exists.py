"""A new project's folder must be new or empty: :class:`ProjectExistsError`, from the library
and from ``parley init``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from parley.cli.app import app
from parley.errors import ProjectError, ProjectExistsError
from parley.project.scaffold import create_starter_project

runner = CliRunner()


def test_a_folder_that_is_not_empty_raises_it_naming_the_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    with pytest.raises(ProjectExistsError, match="force=True") as caught:
        create_starter_project(tmp_path)

    assert caught.value.target == tmp_path
    assert isinstance(caught.value, ProjectError)
    assert caught.value.problems == ()


def test_a_file_raises_it_without_suggesting_force(tmp_path: Path) -> None:
    target = tmp_path / "bot"
    target.write_text("")

    with pytest.raises(ProjectExistsError, match="is a file") as caught:
        create_starter_project(target, force=True)

    assert "force" not in str(caught.value)


def test_init_names_the_command_that_writes_anyway(tmp_path: Path) -> None:
    target = tmp_path / "my bot"
    target.mkdir()
    (target / "notes.txt").write_text("mine")

    result = runner.invoke(app, ["init", str(target)])

    assert result.exit_code == 1
    assert f"`parley init --force '{target}'`" in result.stderr
    assert "force=True" not in result.stderr


def test_init_on_a_file_says_so(tmp_path: Path) -> None:
    target = tmp_path / "bot"
    target.write_text("")

    result = runner.invoke(app, ["init", str(target)])

    assert result.exit_code == 1
    assert "is a file" in result.stderr
    assert "--force" not in result.stderr
