"""The fake platform API (:mod:`tests.unit.cli.platform_api`) served once per session, its
state emptied for each test, and a runner for the ``parley`` commands that call it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.unit.cli.platform_api import TOKEN, State, create_app, mounted, serving
from typer.testing import CliRunner, Result

from parley.cli.app import app

PREFIX = "/behind/a/proxy"


@dataclass
class Platform:
    url: str
    state: State

    def run(
        self,
        *args: str,
        token: str | None = TOKEN,
        url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        """``parley ARGS --url URL --token TOKEN``; stdout and stderr stay apart."""
        options = ["--url", url or self.url] if url != "" else []
        if token is not None:
            options += ["--token", token]
        return CliRunner().invoke(app, [*args, *options], env={"COLUMNS": "200", **(env or {})})


@pytest.fixture(scope="session")
def served() -> Iterator[tuple[str, State]]:
    state = State()
    with serving(mounted(create_app(state), PREFIX)) as url:
        yield url, state


@pytest.fixture
def platform(
    served: tuple[str, State], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Platform:
    url, state = served
    state.__dict__.update(State().__dict__)
    # No parley.yml of the working folder, nor a token of the environment, gets in.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARLEY_AUTH_TOKEN", raising=False)
    return Platform(url, state)
