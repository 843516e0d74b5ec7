"""The Alembic revisions build exactly the schema of ``parley.storage.sql.tables``, on SQLite
and on PostgreSQL, and running them again changes nothing."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from parley.errors import StorageError
from parley.storage.sql.database import MIGRATIONS, Database
from parley.storage.sql.tables import metadata

pytestmark = pytest.mark.integration


def _head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_the_migrated_schema_matches_the_tables(database_url: str) -> None:
    database = Database.connect(database_url)
    database.migrate()
    with database.connection() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == _head()
    database.close()


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    database = Database.connect(database_url)
    database.migrate()
    database.migrate()
    with database.connection() as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version", *metadata.tables}
    database.close()


def test_processes_migrating_at_once_take_turns(database_url: str) -> None:
    databases = [Database.connect(database_url) for _ in range(3)]
    errors: list[BaseException] = []

    def migrate(database: Database) -> None:
        try:
            database.migrate()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=migrate, args=(d,)) for d in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for database in databases:
        database.close()


def test_the_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert any((MIGRATIONS / "versions").glob("0001_*.py"))
    assert _head() == "0002"


def test_a_database_from_a_newer_parley_is_refused(database_url: str) -> None:
    database = Database.connect(database_url)
    database.migrate()
    with database.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StorageError, match=r"cannot migrate .*'9999'.*newer Parley"):
        database.migrate()
    database.close()
