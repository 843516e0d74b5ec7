"""Storage on SQLAlchemy: SQLite by default, PostgreSQL when ``DATABASE_URL`` says so.

:class:`Database` owns the engine (connection settings, Alembic migrations, health check);
:class:`SqlTrackerStore` keeps conversations in it. Every database failure surfaces as
:class:`parley.errors.StorageError`, never as a SQLAlchemy or driver exception.
"""

from parley.storage.sql.database import Database
from parley.storage.sql.tracker_store import SqlTrackerStore

__all__ = ["Database", "SqlTrackerStore"]
