"""``parley worker`` needs the Redis the servers queue jobs in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parley.cli.app import app


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for name in ("REDIS_URL", "PARLEY_REDIS__URL", "DATABASE_URL", "PARLEY_HOME"):
        monkeypatch.delenv(name, raising=False)
    # The command sets up logging to the runner's stderr, which is closed after the test.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path
    root.handlers[:] = handlers
    root.setLevel(level)


def test_without_redis_the_worker_says_what_to_set(elsewhere: Path) -> None:
    result = CliRunner().invoke(app, ["worker"])

    assert result.exit_code == 1
    assert "`parley worker` takes its jobs from Redis: set redis.url (REDIS_URL)" in result.output
    assert not (elsewhere / ".parley").exists()


def test_a_redis_that_does_not_answer_is_an_error(elsewhere: Path) -> None:
    result = CliRunner().invoke(
        app, ["worker", "--burst"], env={"REDIS_URL": "redis://127.0.0.1:1/0"}
    )

    assert result.exit_code == 1
    assert "Redis at redis://127.0.0.1:1/0 does not answer" in result.output


def test_the_worker_is_listed_in_the_help() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})

    assert "worker" in result.output
