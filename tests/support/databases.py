"""Real databases for tests: a SQLite file, and a fresh PostgreSQL database per test.

Registered for every test by ``pytest_plugins`` in ``tests/conftest.py``. The fixtures:

* ``sqlite_url`` — ``sqlite:///<tmp_path>/parley.db`` (the file does not exist yet);
* ``postgres_url`` — a new, empty database on the PostgreSQL server, dropped afterwards;
* ``database_url`` — each test runs twice, once per backend (ids ``sqlite``, ``postgresql``);
* ``postgres_admin`` — a superuser psycopg connection (autocommit) to that server, to do
  to the database what an operator or an outage would (terminate its connections…).

The server is ``PARLEY_TEST_POSTGRES_URL`` when set, else 127.0.0.1:5432 as ``postgres`` or
``root`` with trust authentication. When no server answers, the PostgreSQL cases are
skipped with the reason shown; under ``CI=true`` they fail instead, so a CI job without its
database cannot pass by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from tests.support.services import unavailable

_CANDIDATES = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://root@127.0.0.1:5432/postgres",
)


def _find_server() -> tuple[str | None, str]:
    """The admin URL of a PostgreSQL server that answers, or None and why not."""
    configured = os.environ.get("PARLEY_TEST_POSTGRES_URL")
    failures: list[str] = []
    for url in [configured] if configured else _CANDIDATES:
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as error:
            failures.append(f"{url}: {str(error).strip().splitlines()[0]}")
            continue
        return url, ""
    return None, "; ".join(failures)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL (database ``postgres``) of the test PostgreSQL server."""
    url, why = _find_server()
    if url is None:
        unavailable(
            f"no PostgreSQL server for the integration tests ({why}); start one on "
            "127.0.0.1:5432 with trust authentication, or set PARLEY_TEST_POSTGRES_URL"
        )
    return url


@pytest.fixture
def postgres_admin(postgres_server: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        yield conn


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh database on the test server, as a ``postgresql://`` URL; dropped afterwards
    (with whatever connections are still open to it)."""
    name = f"parley_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(postgres_server)
    user = params.get("user", "")
    host = params.get("host", "127.0.0.1")
    port = params.get("port", 5432)
    password = params.get("password")
    auth = f"{user}:{password}" if password else str(user)
    try:
        yield f"postgresql://{auth}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(
            make_conninfo(postgres_server, connect_timeout=3), autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'parley.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs against a SQLite file and against PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url
