"""``parley run`` refuses a model it cannot serve with a message, before starting a server;
``parley run`` and ``parley models load`` are on the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from parley.cli.app import app
from parley.project.scaffold import create_starter_project

runner = CliRunner()


def test_a_missing_model_is_an_error_message(tmp_path: Path) -> None:
    project = tmp_path / "bot"
    create_starter_project(project)
    result = runner.invoke(app, ["run", str(project), "--model", str(tmp_path / "nope.tar.gz")])
    assert result.exit_code == 1
    assert "neither a model file nor a folder" in result.output
    assert "Traceback" not in result.output


def test_a_damaged_model_is_an_error_message(tmp_path: Path) -> None:
    project = tmp_path / "bot"
    create_starter_project(project)
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(b"not a model at all")
    result = runner.invoke(app, ["run", str(project), "--model", str(damaged)])
    assert result.exit_code == 1
    assert "is not a readable model archive" in result.output
    assert "Traceback" not in result.output


def test_models_load_needs_a_token(tmp_path: Path) -> None:
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"x")
    result = runner.invoke(
        app, ["models", "load", str(model), "--url", "http://127.0.0.1:9"], env={}
    )
    assert result.exit_code == 2
    assert "PARLEY_AUTH_TOKEN" in result.output
