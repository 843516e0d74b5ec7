"""Fixtures shared by every test folder.

``../shared`` (beside the clone) holds the real Rasa-format assistants the tests read. On a
developer machine without it, the tests that need it are skipped with the reason shown; in CI
(``CI=true``) its absence is a failure, so a broken checkout can never pass by skipping.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.parley_server import drop_home_databases
from tests.support.services import unavailable

# Real SQLite and PostgreSQL databases for tests: sqlite_url, postgres_url, database_url.
pytest_plugins = ["tests.support.databases", "tests.support.redis_server"]

REPO_ROOT = Path(__file__).resolve().parents[1]


def _has_domain(folder: Path) -> bool:
    return (folder / "domain.yml").is_file() or (folder / "domain").is_dir()


SHARED = REPO_ROOT.parent / "shared"


def _require_shared() -> Path:
    """``../shared``; skips the test when it is missing, or fails it under ``CI=true``."""
    if not (SHARED / "bench" / "bots").is_dir():
        unavailable(
            f"../shared is not beside this clone: expected {SHARED / 'bench' / 'bots'}; "
            "put the shared folder next to the repository to run these tests"
        )
    return SHARED


def _discover_bots() -> list[Path]:
    """Every assistant folder under ``../shared/bench/bots``: the bots themselves and, for a
    collection such as ``rasa-3x-form-examples``, each assistant inside it."""
    root = SHARED / "bench" / "bots"
    if not root.is_dir():
        return []
    bots: list[Path] = []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            continue
        if _has_domain(entry):
            bots.append(entry)
        else:
            bots.extend(sub for sub in sorted(entry.iterdir()) if sub.is_dir() and _has_domain(sub))
    return bots


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking ``shared_bot`` runs once per shared assistant, each reported by name."""
    if "shared_bot" in metafunc.fixturenames:
        bots = _discover_bots()
        # Without ../shared one placeholder case still runs, to skip (or fail in CI) visibly.
        params: list[Path | None] = [*bots] if bots else [None]
        ids = [bot.name for bot in bots] if bots else ["shared-missing"]
        metafunc.parametrize("shared_bot", params, ids=ids, indirect=True)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared`` folder beside this clone (``<clone>/../shared``)."""
    return _require_shared()


@pytest.fixture(scope="session")
def shared_bots(shared_dir: Path) -> list[Path]:
    """Every assistant under ``../shared/bench/bots`` (see :func:`_discover_bots`)."""
    bots = _discover_bots()
    if not bots:
        pytest.fail(f"no assistants (folders with domain.yml or domain/) in {shared_dir}")
    return bots


@pytest.fixture
def shared_bot(request: pytest.FixtureRequest) -> Path:
    """One shared assistant; tests using it are parametrized by ``pytest_generate_tests``."""
    _require_shared()
    bot: Path = request.param
    return bot


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The PostgreSQL databases of the servers the tests started (a run with
    ``DATABASE_URL`` on PostgreSQL) go with the run."""
    drop_home_databases()
