"""The command line as a user runs it: ``parley train`` then ``parley test`` on insurance-demo,
whose custom actions and form validations run on a real rasa-sdk action server
(``PARLEY_ACTION_ENDPOINT``), each command in its own process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.action_server import require_rasa_sdk_venv, running_action_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARLEY = Path(sys.executable).parent / "parley"


def test_train_then_test_with_the_action_server(shared_dir: Path, tmp_path: Path) -> None:
    require_rasa_sdk_venv()
    bot = tmp_path / "bot"
    shutil.copytree(shared_dir / "bench" / "bots" / "insurance-demo", bot)
    trained = subprocess.run(
        [str(PARLEY), "train", str(bot)], capture_output=True, text=True, check=False
    )
    assert trained.returncode == 0, trained.stderr
    assert "Trained the model" in trained.stdout
    with running_action_server("insurance_demo") as url:
        env = {**os.environ, "PARLEY_ACTION_ENDPOINT": url, "COLUMNS": "200"}
        tested = subprocess.run(
            [str(PARLEY), "test", str(bot)], capture_output=True, text=True, env=env, check=False
        )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "6 of 6 stories passed" in tested.stdout
    assert "custom actions not run" not in tested.stdout
    report = json.loads((bot / "results" / "story_report.json").read_text(encoding="utf-8"))
    assert report["passed"] == 6
    assert report["action_accuracy"] == 1.0


def test_test_exits_1_when_the_action_server_is_down(shared_dir: Path, tmp_path: Path) -> None:
    bot = tmp_path / "bot"
    shutil.copytree(shared_dir / "bench" / "bots" / "insurance-demo", bot)
    subprocess.run([str(PARLEY), "train", str(bot)], capture_output=True, check=True)
    env = {**os.environ, "PARLEY_ACTION_ENDPOINT": "http://127.0.0.1:9/webhook", "COLUMNS": "200"}
    tested = subprocess.run(
        [str(PARLEY), "test", "stories", str(bot)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    # The stories run action_get_quote, validate_quote_form…: without a server they fail.
    assert tested.returncode == 1, tested.stdout
    assert "action run" in tested.stdout
    assert "cannot be reached" in tested.stdout
