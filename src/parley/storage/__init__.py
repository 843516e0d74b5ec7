"""Durable storage: conversations (and, with later issues, projects, models and users) in a
SQL database. :mod:`parley.storage.sql` holds the SQLAlchemy implementation; the in-memory
twins the engine and unit tests use live in :mod:`parley.core.stores`."""
