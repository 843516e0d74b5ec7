"""Fixtures of the storage integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parley.storage.sql import Database


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database of each kind (``database_url``), closed afterwards."""
    database = Database.connect(database_url)
    database.migrate()
    yield database
    database.close()
