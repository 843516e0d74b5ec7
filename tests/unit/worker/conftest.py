"""The stand-ins for training processes are spawned: a new interpreter imports them by
module name, from the test process's ``sys.path``, which must therefore hold the clone."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _spawned_processes_find_the_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO_ROOT))
