"""The SQL tracker store against real databases: a SQLite file and PostgreSQL.

No mocks: failures are made the way they happen (a moved file, terminated connections, a
database refusing connections, a killed process).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from tests.unit.core.test_events import RASA_JSON

from parley.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
    event_from_rasa,
)
from parley.core.ports import TrackerStore
from parley.errors import EventError, StorageError
from parley.storage.sql import Database, SqlTrackerStore

pytestmark = pytest.mark.integration


@pytest.fixture
def store(database: Database) -> SqlTrackerStore:
    return SqlTrackerStore(database)


def session(text: str, *, at: float = 1_700_000_000.0) -> list[Event]:
    return [
        ActionExecuted(name="action_session_start", timestamp=at),
        SessionStarted(timestamp=at),
        ActionExecuted(name="action_listen", timestamp=at),
        *turn(text, at=at + 1),
    ]


def turn(text: str, *, at: float = 1_700_000_001.0) -> list[Event]:
    """A turn's events as they come back from storage (``parse_data`` as Rasa writes it)."""
    events = [
        UserUttered(
            text=text,
            parse_data={"intent": {"name": "greet", "confidence": 0.9}, "entities": []},
            message_id=f"m-{text}",
            timestamp=at,
        ),
        ActionExecuted(name="utter_greet", policy="RulePolicy", confidence=1.0, timestamp=at),
        BotUttered(text=f"re: {text}", timestamp=at),
        ActionExecuted(name="action_listen", timestamp=at),
    ]
    return [event_from_rasa(event.to_rasa()) for event in events]


def seqs(database: Database, sender_id: str) -> list[int]:
    with database.connection() as conn:
        rows = conn.execute(
            text(
                "SELECT e.seq FROM events e JOIN conversations c ON c.id = e.conversation_id "
                "WHERE c.sender_id = :s ORDER BY e.seq"
            ),
            {"s": sender_id},
        )
        return [seq for (seq,) in rows]


def texts(events: list[Event]) -> list[str | None]:
    return [e.text for e in events if isinstance(e, UserUttered)]


# -- the contract ------------------------------------------------------------------------


def test_it_is_a_tracker_store(store: SqlTrackerStore) -> None:
    port: TrackerStore = store
    assert port.retrieve("nobody") == []


def test_every_event_type_round_trips(database: Database, store: SqlTrackerStore) -> None:
    written = [event_from_rasa(data) for data, _ in RASA_JSON]
    store.append("ann", written)
    for reader in (store, SqlTrackerStore(database)):
        read = reader.retrieve_all("ann")
        assert [e.to_rasa() for e in read] == [data for data, _ in RASA_JSON]
        assert [type(e) for e in read] == [cls for _, cls in RASA_JSON]


def test_text_in_any_script_and_odd_values_round_trip(
    database: Database, store: SqlTrackerStore
) -> None:
    events: list[Event] = [
        UserUttered(text='Grüße 👋 你好 \u2028 "quoted" \\ back', timestamp=1.5),
        SlotSet(name="s", value={"nested": [1, 2.5, None, True, {"k": "v"}]}, timestamp=2.0),
        SlotSet(name="big", value=2**53 + 1, timestamp=1_700_000_000.123456),
    ]
    store.append("ann", events)
    assert SqlTrackerStore(database).retrieve("ann") == store.retrieve("ann")
    assert [e.to_rasa() for e in SqlTrackerStore(database).retrieve("ann")] == [
        e.to_rasa() for e in events
    ]


def test_a_new_conversation_is_empty(store: SqlTrackerStore) -> None:
    assert store.retrieve("ann") == []
    assert store.retrieve_all("ann") == []
    assert not store.exists("ann")
    assert store.sender_ids() == []
    store.append("ann", [])
    assert not store.exists("ann")


def test_events_get_consecutive_seqs_and_the_model_id(
    database: Database, store: SqlTrackerStore
) -> None:
    store.append("ann", session("one"), model_id="model-a")
    store.append("ann", turn("two"), model_id="model-b")
    store.append("ann", turn("three"))
    assert seqs(database, "ann") == list(range(1, 16))
    with database.connection() as conn:
        models = conn.execute(text("SELECT model_id FROM events ORDER BY seq")).scalars().all()
    assert models == ["model-a"] * 7 + ["model-b"] * 4 + [None] * 4


def test_retrieve_gives_the_latest_session_retrieve_all_every_one(database: Database) -> None:
    writer = SqlTrackerStore(database)
    first, second = session("one"), session("two", at=1_700_100_000.0)
    writer.append("ann", first)
    writer.append("ann", second[:2])
    writer.append("ann", second[2:])
    writer.append("ann", turn("three"))
    expected = [*second, *turn("three")]
    for store in (writer, SqlTrackerStore(database), SqlTrackerStore(database, cache_size=0)):
        assert store.retrieve("ann") == expected
        assert store.retrieve_all("ann") == [*first, *expected]


def test_a_session_start_arriving_after_the_cache_moves_the_session(database: Database) -> None:
    reader = SqlTrackerStore(database)
    writer = SqlTrackerStore(database)
    writer.append("ann", session("one"))
    assert texts(reader.retrieve("ann")) == ["one"]
    writer.append("ann", [*turn("two"), *session("three"), *turn("four")])
    assert texts(reader.retrieve("ann")) == ["three", "four"]
    assert texts(reader.retrieve_all("ann")) == ["one", "two", "three", "four"]


def test_conversations_are_apart_per_sender_and_environment(database: Database) -> None:
    production = SqlTrackerStore(database)
    development = SqlTrackerStore(database, "development")
    production.append("ann", session("prod"))
    production.append("bob", session("bob"))
    development.append("ann", session("dev"))
    assert texts(production.retrieve("ann")) == ["prod"]
    assert texts(development.retrieve("ann")) == ["dev"]
    assert production.sender_ids() == ["ann", "bob"]
    assert development.sender_ids() == ["ann"]
    assert not development.exists("bob")
    assert SqlTrackerStore(database, "development").exists("ann")


def test_retrieve_returns_a_fresh_list(store: SqlTrackerStore) -> None:
    store.append("ann", session("one"))
    store.retrieve("ann").clear()
    assert len(store.retrieve("ann")) == 7


def test_a_small_cache_evicts_without_losing_anything(database: Database) -> None:
    store = SqlTrackerStore(database, cache_size=2)
    for round_ in range(3):
        for sender in ("a", "b", "c", "d"):
            store.append(sender, turn(f"{sender}{round_}"))
            assert texts(store.retrieve(sender))[-1] == f"{sender}{round_}"
    for sender in ("a", "b", "c", "d"):
        assert texts(store.retrieve(sender)) == [f"{sender}{r}" for r in range(3)]


# -- all or nothing ----------------------------------------------------------------------


def test_an_append_failing_midway_stores_nothing(database: Database) -> None:
    store = SqlTrackerStore(database)
    unstorable = SlotSet(name="s", value=object())
    with pytest.raises(EventError, match=r"event 2 of 3 \(`slot`\) cannot be stored"):
        store.append("new", [UserUttered(text="a"), unstorable, BotUttered(text="b")])
    assert not store.exists("new")
    assert SqlTrackerStore(database).retrieve_all("new") == []

    store.append("ann", session("one"))
    with pytest.raises(EventError):
        store.append("ann", [*session("two"), unstorable])
    store.append("ann", turn("three"))
    for reader in (store, SqlTrackerStore(database)):
        assert texts(reader.retrieve("ann")) == ["one", "three"]
        assert texts(reader.retrieve_all("ann")) == ["one", "three"]
    assert seqs(database, "ann") == list(range(1, 12))


# -- several processes -------------------------------------------------------------------


def test_two_processes_see_each_others_appends(database_url: str, database: Database) -> None:
    other = Database.connect(database_url)
    try:
        mine, theirs = SqlTrackerStore(database), SqlTrackerStore(other)
        mine.append("ann", session("1"))
        assert texts(theirs.retrieve("ann")) == ["1"]
        theirs.append("ann", turn("2"))
        mine.append("ann", turn("3"))  # its cache is behind: it must not skip "2"
        theirs.append("ann", turn("4"))
        assert texts(mine.retrieve("ann")) == ["1", "2", "3", "4"]
        assert texts(theirs.retrieve("ann")) == ["1", "2", "3", "4"]
        assert seqs(database, "ann") == list(range(1, 20))
        theirs.append("bob", turn("x"))
        assert mine.exists("bob")
        assert mine.sender_ids() == ["ann", "bob"]
    finally:
        other.close()


def test_racing_appends_land_whole_one_after_the_other(
    database_url: str, database: Database
) -> None:
    """Without the caller's lock (two processes that disagree), appends to one conversation
    may not interleave nor collide: each keeps its events together, every seq once."""
    others = [Database.connect(database_url) for _ in range(3)]
    stores = [SqlTrackerStore(db) for db in [database, *others]]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores))

    def run(index: int, store: SqlTrackerStore) -> None:
        try:
            barrier.wait()
            for n in range(15):
                store.append("ann", turn(f"{index}-{n}"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for db in others:
        db.close()
    assert errors == []
    events = SqlTrackerStore(database).retrieve_all("ann")
    assert len(events) == 4 * 15 * 4
    assert seqs(database, "ann") == list(range(1, 4 * 15 * 4 + 1))
    for start in range(0, len(events), 4):
        block = events[start : start + 4]
        assert isinstance(block[0], UserUttered)
        assert [e.to_rasa()["event"] for e in block] == ["user", "action", "bot", "action"]
        assert isinstance(block[2], BotUttered)
        assert block[2].text == f"re: {block[0].text}"


_WRITER = textwrap.dedent(
    """
    import sys
    from parley.core.events import ActionExecuted, UserUttered
    from parley.storage.sql import Database, SqlTrackerStore

    store = SqlTrackerStore(Database.connect(sys.argv[1]))
    n = 0
    while True:
        n += 1
        store.append(f"user-{n % 7}", [UserUttered(text=str(n)), ActionExecuted(name="x")])
        print(n, flush=True)  # the acknowledgement: only after append returned
    """
)


def test_a_killed_process_loses_no_acknowledged_append(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    writer = subprocess.Popen(
        [sys.executable, str(script), database_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = 0
    try:
        for line in writer.stdout:
            acknowledged = int(line)
            if acknowledged >= 150:
                break
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
    assert acknowledged >= 150
    store = SqlTrackerStore(database)
    stored = {
        int(e.text or 0)
        for sender in store.sender_ids()
        for e in store.retrieve_all(sender)
        if isinstance(e, UserUttered)
    }
    assert set(range(1, acknowledged + 1)) <= stored
    for sender in store.sender_ids():
        assert seqs(database, sender) == list(range(1, len(seqs(database, sender)) + 1))


# -- the database goes away --------------------------------------------------------------


def test_sqlite_file_moved_away_and_back(sqlite_url: str, tmp_path: Path) -> None:
    database = Database.connect(sqlite_url)
    database.migrate()
    store = SqlTrackerStore(database)
    store.append("ann", session("one"))
    path = tmp_path / "parley.db"
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    files = [p for p in tmp_path.iterdir() if p.name.startswith("parley.db")]
    for file in files:
        file.rename(moved / file.name)

    with pytest.raises(StorageError, match=r"parley\.db is gone since Parley opened it; put"):
        store.append("ann", turn("lost"))
    with pytest.raises(StorageError, match="is gone"):
        store.retrieve("ann")
    with pytest.raises(StorageError, match="is gone"):
        database.ping()
    assert not path.exists()  # nothing quietly made a new, empty database there

    for file in files:
        (moved / file.name).rename(file)
    database.ping()
    store.append("ann", turn("two"))
    assert texts(store.retrieve("ann")) == ["one", "two"]
    assert texts(SqlTrackerStore(Database.connect(sqlite_url)).retrieve("ann")) == ["one", "two"]
    database.close()


def test_sqlite_file_replaced_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    database = Database.connect(sqlite_url)
    database.migrate()
    store = SqlTrackerStore(database)
    store.append("ann", session("one"))
    database.close()
    for file in tmp_path.glob("parley.db*"):
        file.unlink()
    fresh = Database.connect(sqlite_url)
    fresh.migrate()
    fresh.close()
    with pytest.raises(StorageError, match=r"was replaced by another file.*restart Parley"):
        store.retrieve("ann")


def test_postgres_connections_terminated_recover_without_a_new_store(
    postgres_url: str, postgres_admin: psycopg.Connection[Any]
) -> None:
    database = Database.connect(postgres_url)
    database.migrate()
    store = SqlTrackerStore(database)
    store.append("ann", session("one"))
    name = postgres_url.rsplit("/", 1)[1]

    def terminate() -> int:
        row = postgres_admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
        assert row is not None
        return int(row[0])

    assert terminate() >= 1
    # The pool checks connections before use: the next call just reconnects.
    assert texts(store.retrieve("ann")) == ["one"]
    assert terminate() >= 1
    store.append("ann", turn("two"))
    assert texts(SqlTrackerStore(database, cache_size=0).retrieve("ann")) == ["one", "two"]
    database.close()


def test_postgres_refusing_connections_is_a_storage_error_until_it_is_back(
    postgres_url: str, postgres_admin: psycopg.Connection[Any]
) -> None:
    database = Database.connect(postgres_url)
    database.migrate()
    store = SqlTrackerStore(database)
    store.append("ann", session("one"))
    name = postgres_url.rsplit("/", 1)[1]
    postgres_admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        postgres_admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        with pytest.raises(StorageError, match=r"cannot be used: .*Parley serves again"):
            database.ping()
        with pytest.raises(StorageError, match="cannot be used"):
            store.append("ann", turn("lost"))
        with pytest.raises(StorageError, match="cannot be used"):
            SqlTrackerStore(database).retrieve("ann")
    finally:
        postgres_admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    database.ping()
    store.append("ann", turn("two"))
    assert texts(SqlTrackerStore(database).retrieve("ann")) == ["one", "two"]
    database.close()


# -- reading stays cheap -----------------------------------------------------------------


def _plan(database: Database, sql: str, params: dict[str, Any]) -> str:
    with database.connection() as conn:
        cursor = conn.connection.cursor()
        if database.backend == "postgresql":
            # A test table is tiny, so the planner would rightly scan it; what matters is
            # that an index serving the query exists.
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(v) for v in row) for row in cursor.fetchall())


def test_loading_a_tracker_is_an_index_range_scan(database: Database) -> None:
    """So its time does not grow with the number of other conversations."""
    store = SqlTrackerStore(database)
    for sender in range(50):
        store.append(f"user-{sender}", session(str(sender)))
    store.append("ann", session("one"))
    key = {"p_environment": "production", "p_sender": "ann", "p_conversation": 1, "p_after": 3}
    for name in ("select_session", "select_after", "select_all"):
        sql = getattr(store._sql, name)
        plan = _plan(database, sql, key)
        assert "SCAN" not in plan, (name, plan)
        assert "Seq Scan" not in plan, (name, plan)
        if database.backend == "sqlite":
            # SQLite names the indexes of unique constraints itself; it shows their columns.
            assert "SEARCH events USING INDEX" in plan, (name, plan)
            assert "(conversation_id=?" in plan, (name, plan)
        else:
            assert "uq_events_conversation_id_seq" in plan, (name, plan)
        if "conversations" in sql.split("FROM", 1)[1]:
            assert "(environment=? AND sender_id=?)" in plan or (
                "uq_conversations_environment_sender_id" in plan
            ), (name, plan)


# -- errors ------------------------------------------------------------------------------


def test_a_database_without_the_tables_says_to_migrate(database_url: str) -> None:
    store = SqlTrackerStore(Database.connect(database_url))
    with pytest.raises(StorageError, match=r"lacks Parley's tables .*migrate"):
        store.retrieve("ann")
    with pytest.raises(StorageError, match="lacks Parley's tables"):
        store.append("ann", session("one"))
    store.database.close()


def test_an_unreadable_row_names_the_conversation_and_event(
    database: Database, store: SqlTrackerStore
) -> None:
    store.append("ann", session("one"))
    with database.transaction() as conn:
        conn.execute(text("UPDATE events SET data = :d WHERE seq = 2"), {"d": json.dumps({})})
    with pytest.raises(StorageError, match=r"event 2 of conversation 'ann' .* cannot be read"):
        SqlTrackerStore(database).retrieve("ann")
