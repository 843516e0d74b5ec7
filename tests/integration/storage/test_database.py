"""Making a :class:`Database` from a URL: the tuning of each backend, and errors that name
the database (never its password) and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from parley.errors import StorageError
from parley.storage.sql import Database

pytestmark = pytest.mark.integration


def _pragma(database: Database, name: str) -> object:
    with database.connection() as conn:
        return conn.execute(text(f"PRAGMA {name}")).scalar_one()


def test_sqlite_is_tuned_for_durable_concurrent_use(tmp_path: Path) -> None:
    database = Database.connect(f"sqlite:///{tmp_path}/deep/er/parley.db")
    assert (tmp_path / "deep" / "er" / "parley.db").is_file()
    assert _pragma(database, "journal_mode") == "wal"
    assert _pragma(database, "synchronous") == 1  # NORMAL
    assert _pragma(database, "foreign_keys") == 1
    assert _pragma(database, "busy_timeout") == 5000
    database.close()


def test_sqlite_full_synchronous_is_chosen_on_the_url(tmp_path: Path) -> None:
    database = Database.connect(f"sqlite:///{tmp_path}/parley.db?synchronous=full")
    assert _pragma(database, "synchronous") == 2  # FULL
    assert database.url.endswith("/parley.db")  # not passed on to the driver
    database.close()
    with pytest.raises(StorageError, match="valid values are: off, normal, full, extra"):
        Database.connect(f"sqlite:///{tmp_path}/parley.db?synchronous=sometimes")


def test_an_in_memory_sqlite_database_is_one_database(tmp_path: Path) -> None:
    database = Database.connect("sqlite://")
    database.migrate()
    with database.transaction() as conn:
        conn.execute(
            text("INSERT INTO conversations (sender_id, created_at, updated_at) VALUES ('a', 0, 0)")
        )
    with database.connection() as conn:
        assert conn.execute(text("SELECT count(*) FROM conversations")).scalar_one() == 1


def test_postgres_urls_use_psycopg_3(postgres_url: str) -> None:
    for url in (postgres_url, postgres_url.replace("postgresql://", "postgres://", 1)):
        database = Database.connect(url)
        assert database.engine.url.drivername == "postgresql+psycopg"
        assert database.backend == "postgresql"
        database.ping()
        database.close()


def test_a_database_that_cannot_be_reached_is_an_error_naming_it_and_the_fix() -> None:
    url = "postgresql://parley:s3cret@127.0.0.1:1/parley"
    with pytest.raises(StorageError) as caught:
        Database.connect(url)
    message = str(caught.value)
    assert "postgresql+psycopg://parley:***@127.0.0.1:1/parley cannot be used" in message
    assert "DATABASE_URL" in message
    assert "s3cret" not in message


def test_connecting_later_fails_at_the_first_use_instead() -> None:
    database = Database.connect("postgresql://parley:s3cret@127.0.0.1:1/parley", check=False)
    with pytest.raises(StorageError, match="cannot be used"):
        database.ping()


def test_the_password_is_hidden_wherever_the_url_is_shown() -> None:
    database = Database.connect("postgresql://parley:s3cret@127.0.0.1:1/parley", check=False)
    for shown in (database.url, repr(database), str(database)):
        assert "s3cret" not in shown
        assert "parley:***@127.0.0.1:1" in shown


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://u:p@host/db", "is not supported; Parley stores its data in SQLite"),
        ("not a url", "is not a database URL"),
    ],
)
def test_unsupported_urls_are_refused_with_the_valid_forms(url: str, fragment: str) -> None:
    with pytest.raises(StorageError, match=fragment) as caught:
        Database.connect(url)
    assert "postgresql://USER:PASSWORD@HOST:PORT/" in str(caught.value)
    assert ":p@" not in str(caught.value)


def test_a_sqlite_folder_that_cannot_be_made_names_the_fix(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match=r"cannot create the folder .* point DATABASE_URL"):
        Database.connect(f"sqlite:///{tmp_path}/file/sub/parley.db")
