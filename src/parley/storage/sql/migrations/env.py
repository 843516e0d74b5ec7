"""Alembic's entry point. Parley runs it from :meth:`Database.migrate`, which hands over an
open connection; the ``alembic`` command, used to draft revisions, names a database with
``-x url=…`` instead (docs/storage.md shows the commands)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from parley.storage.sql.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it; batch mode writes revisions that do so.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database: alembic -x url=sqlite:///draft.db …")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


_main()
