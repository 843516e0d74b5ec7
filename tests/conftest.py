"""Fixtures shared by every test folder.

``../shared`` (beside the clone) holds the real Rasa-format assistants the tests read. On a
developer machine without it, the tests that need it are skipped with the reason shown; in CI
(``CI=true``) its absence is a failure, so a broken checkout can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _has_domain(folder: Path) -> bool:
    return (folder / "domain.yml").is_file() or (folder / "domain").is_dir()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared`` folder beside this clone (``<clone>/../shared``)."""
    shared = REPO_ROOT.parent / "shared"
    if not (shared / "bench" / "bots").is_dir():
        reason = (
            f"../shared is not beside this clone: expected {shared / 'bench' / 'bots'}; "
            "put the shared folder next to the repository to run these tests"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return shared


@pytest.fixture(scope="session")
def shared_bots(shared_dir: Path) -> list[Path]:
    """Every assistant folder under ``../shared/bench/bots``: the bots themselves and, for a
    collection such as ``rasa-3x-form-examples``, each assistant inside it."""
    bots: list[Path] = []
    for entry in sorted((shared_dir / "bench" / "bots").iterdir()):
        if not entry.is_dir():
            continue
        if _has_domain(entry):
            bots.append(entry)
        else:
            bots.extend(sub for sub in sorted(entry.iterdir()) if sub.is_dir() and _has_domain(sub))
    if not bots:
        pytest.fail(f"no assistants (folders with domain.yml or domain/) in {shared_dir}")
    return bots
