"""``parley models load`` replaces the model a running ``parley run`` serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tests.support.parley_server import running_parley

from parley.project.scaffold import create_starter_project

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PARLEY = Path(sys.executable).parent / "parley"


def _parley(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PARLEY), *args], capture_output=True, text=True, check=False, timeout=120, env=env
    )


def test_models_load_swaps_the_served_model(tmp_path: Path) -> None:
    project = tmp_path / "bot"
    create_starter_project(project)
    trained = _parley("train", str(project), "--seed", "7", "--name", "other")
    assert trained.returncode == 0, trained.stderr
    other = project / "models" / "other.tar.gz"

    with running_parley(project, home=tmp_path / "home") as (base, token):
        before = httpx.get(f"{base}/status", params={"token": token}).json()
        assert not before["model_file"].endswith("other.tar.gz")

        loaded = _parley("models", "load", str(other), "--url", base, "--token", token)
        assert loaded.returncode == 0, loaded.stderr
        assert "Serving" in loaded.stdout
        after = httpx.get(f"{base}/status", params={"token": token}).json()
        assert Path(after["model_file"]) == other.resolve()
        reply = httpx.post(f"{base}/webhooks/rest/webhook", json={"sender": "cli", "message": "hi"})
        assert reply.status_code == 200
        assert reply.json()

        wrong = _parley("models", "load", str(other), "--url", base, "--token", "nope")
        assert wrong.returncode == 1
        assert "HTTP 401" in wrong.stderr

        corrupt = tmp_path / "corrupt.tar.gz"
        corrupt.write_bytes(b"not a model")
        refused = _parley("models", "load", str(corrupt), "--url", base, "--token", token)
        assert refused.returncode == 1
        assert "HTTP 400" in refused.stderr
        still = httpx.get(f"{base}/status", params={"token": token}).json()
        assert Path(still["model_file"]) == other.resolve()


def test_models_load_names_the_fix_when_no_server_answers(tmp_path: Path) -> None:
    project = tmp_path / "bot"
    create_starter_project(project)
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"x")
    result = _parley("models", "load", str(model), "--url", "http://127.0.0.1:9", "--token", "t")
    assert result.returncode == 1
    assert "no Parley server answered" in result.stderr
    assert "parley run" in result.stderr
