"""``Database.write`` and ``Database.fetch``, the stores' hot paths, against real databases.

On a SQLite file they run on long-lived connections of the Database's own, in explicit
transactions; these tests hold them to what SQLAlchemy's pool guaranteed: all or nothing,
no lock left behind by a failure, a broken connection replaced, threads apart.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from parley.core.events import ActionExecuted, SlotSet, UserUttered
from parley.errors import EventError, StorageError
from parley.storage.sql import Database, SqlTrackerStore

pytestmark = pytest.mark.integration


def insert(sender: str) -> str:
    return (
        "INSERT INTO conversations (environment, sender_id, created_at, updated_at) "
        f"VALUES ('production', '{sender}', 0, 0)"
    )


def texts(store: SqlTrackerStore, sender: str) -> list[str | None]:
    return [e.text for e in store.retrieve(sender) if isinstance(e, UserUttered)]


def senders(database: Database) -> list[str]:
    rows = database.fetch("SELECT sender_id FROM conversations ORDER BY sender_id", {})
    return [sender for (sender,) in rows]


def assert_writable_elsewhere(database_url: str) -> None:
    """Another Database (other connections) can write at once: no lock was left held."""
    other = Database.connect(database_url)
    try:
        other.write(lambda cursor: cursor.execute(insert("other")))
    finally:
        other.close()


def test_a_write_commits_when_its_work_returns(database: Database, database_url: str) -> None:
    def work(cursor: Any) -> int:
        cursor.execute(insert("ann"))
        return 7

    assert database.write(work) == 7
    assert senders(database) == ["ann"]
    other = Database.connect(database_url)
    assert senders(other) == ["ann"]
    other.close()


def test_work_raising_keeps_nothing_and_holds_no_lock(
    database: Database, database_url: str
) -> None:
    def work(cursor: Any) -> None:
        cursor.execute(insert("ann"))
        raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError, match="the work failed"):
        database.write(work)
    assert senders(database) == []
    assert_writable_elsewhere(database_url)
    database.write(lambda cursor: cursor.execute(insert("bob")))
    assert senders(database) == ["bob", "other"]


def test_a_failing_statement_is_a_storage_error_and_keeps_nothing(
    database: Database, database_url: str
) -> None:
    def work(cursor: Any) -> None:
        cursor.execute(insert("ann"))
        cursor.execute(insert("ann"))  # the unique (environment, sender_id)

    for _ in range(2):
        with pytest.raises(StorageError, match="refused a write"):
            database.write(work)
    with pytest.raises(StorageError, match="lacks Parley's tables"):
        database.fetch("SELECT * FROM nothing_here", {})
    assert senders(database) == []
    assert_writable_elsewhere(database_url)
    database.write(lambda cursor: cursor.execute(insert("bob")))
    assert senders(database) == ["bob", "other"]


def test_an_event_that_could_not_be_read_back_is_not_stored(database: Database) -> None:
    store = SqlTrackerStore(database)
    circular: dict[str, Any] = {}
    circular["self"] = circular
    unreadable = ActionExecuted(name=None)  # an action needs a name or an action text
    with pytest.raises(EventError, match=r"event 2 of 2 \(`slot`\) cannot be stored"):
        store.append("ann", [UserUttered(text="a"), SlotSet(name="s", value=circular)])
    with pytest.raises(EventError, match="needs `name`"):
        store.append("ann", [UserUttered(text="a"), unreadable])
    assert not store.exists("ann")
    store.append("ann", [UserUttered(text="b")])
    assert texts(SqlTrackerStore(database), "ann") == ["b"]


def test_threads_share_one_database(database: Database) -> None:
    store = SqlTrackerStore(database)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def run(index: int) -> None:
        try:
            barrier.wait()
            for n in range(20):
                sender = f"user-{index}"
                assert len(store.retrieve(sender)) == 2 * n
                store.append(sender, [UserUttered(text=f"{n}"), ActionExecuted(name="x")])
                database.ping()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    fresh = SqlTrackerStore(database, cache_size=0)
    for index in range(8):
        assert texts(fresh, f"user-{index}") == [str(n) for n in range(20)]
        assert fresh.retrieve(f"user-{index}") == store.retrieve(f"user-{index}")


# -- SQLite's own connections ------------------------------------------------------------


@pytest.fixture
def sqlite_database(sqlite_url: str) -> Iterator[Database]:
    database = Database.connect(sqlite_url)
    database.migrate()
    yield database
    database.close()


def idle(database: Database) -> list[sqlite3.Connection]:
    pool = database._sqlite_pool
    assert pool is not None
    return list(pool._idle)


def test_sqlite_turns_reuse_one_tuned_connection(sqlite_database: Database) -> None:
    store = SqlTrackerStore(sqlite_database)
    store.append("ann", [UserUttered(text="a")])
    [conn] = idle(sqlite_database)
    for n in range(5):
        store.retrieve("ann")
        store.append("ann", [UserUttered(text=str(n))])
    assert idle(sqlite_database) == [conn]
    assert not conn.in_transaction
    pragmas = {
        name: conn.execute(f"PRAGMA {name}").fetchone()[0]
        for name in (
            "journal_mode",
            "synchronous",
            "busy_timeout",
            "foreign_keys",
            "wal_autocheckpoint",
        )
    }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 5000,
        "foreign_keys": 1,
        "wal_autocheckpoint": 0,
    }


def test_the_log_reaches_the_database_file_from_a_thread_of_its_own(
    sqlite_database: Database, sqlite_url: str
) -> None:
    """The stores' connections never checkpoint (a commit would pause every turn while
    it copies); the checkpoint thread moves the log into the file."""
    store = SqlTrackerStore(sqlite_database)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    before = path.stat().st_size
    for n in range(300):
        store.append(f"sender-{n}", [UserUttered(text="x" * 2000)])
    deadline = time.monotonic() + 10
    while path.stat().st_size <= before and time.monotonic() < deadline:
        time.sleep(0.05)  # polling for the checkpoint thread, not a timing assertion
    assert path.stat().st_size > before + 300 * 2000
    checkpointer = sqlite_database._checkpointer
    assert checkpointer is not None
    thread = checkpointer._thread
    assert thread is not None
    assert thread.is_alive()
    sqlite_database.close()
    assert not thread.is_alive()


def test_sqlite_full_synchronous_reaches_the_stores_connections(sqlite_url: str) -> None:
    database = Database.connect(f"{sqlite_url}?synchronous=full")
    database.ping()
    [conn] = idle(database)
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    database.close()


def test_a_broken_sqlite_connection_is_replaced(sqlite_database: Database) -> None:
    store = SqlTrackerStore(sqlite_database)
    store.append("ann", [UserUttered(text="a")])
    [conn] = idle(sqlite_database)
    conn.close()  # as if it broke
    with pytest.raises(StorageError):
        store.append("ann", [UserUttered(text="lost")])
    assert idle(sqlite_database) == []
    store.append("ann", [UserUttered(text="b")])
    assert texts(SqlTrackerStore(sqlite_database), "ann") == ["a", "b"]


def test_closing_while_a_connection_is_lent_retires_it(sqlite_database: Database) -> None:
    inside, release = threading.Event(), threading.Event()

    def work(cursor: Any) -> None:
        cursor.execute(insert("ann"))
        inside.set()
        assert release.wait(5)

    writer = threading.Thread(target=sqlite_database.write, args=(work,))
    writer.start()
    assert inside.wait(5)
    sqlite_database.ping()  # a second connection, idle once done
    assert len(idle(sqlite_database)) == 1
    sqlite_database.close()
    assert idle(sqlite_database) == []
    release.set()
    writer.join()
    assert idle(sqlite_database) == []  # the lent one was closed, not kept
    assert senders(sqlite_database) == ["ann"]  # and its work committed
    assert len(idle(sqlite_database)) == 1


def test_sqlite_writes_are_durable_without_closing(sqlite_url: str, tmp_path: Path) -> None:
    """A committed write is in the file for any other connection at once."""
    database = Database.connect(sqlite_url)
    database.migrate()
    SqlTrackerStore(database).append("ann", [UserUttered(text="a")])
    with sqlite3.connect(tmp_path / "parley.db") as other:
        assert other.execute("SELECT count(*) FROM events").fetchone() == (1,)
    with database.connection() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == 1
    database.close()
