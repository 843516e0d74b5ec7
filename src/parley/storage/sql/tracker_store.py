"""Conversations in SQL: one ``conversations`` row per (environment, sender), one ``events``
row per event, numbered 1, 2, 3… by ``seq`` within its conversation.

A turn reads the latest session and appends a handful of events, so both must be cheap:

* ``retrieve`` keeps the decoded latest session of recently seen conversations in a bounded
  LRU cache, with the last seq it holds; a turn then reads only the rows after that seq (one
  index range scan, usually empty) instead of decoding the whole history again. The cache
  is never trusted to be complete: another process may have appended, and those rows come
  back with that same read.
* ``append`` is one transaction of two or three statements: create the conversation row on
  first use, bump its ``last_seq`` by the number of events (taking the row's lock, which
  hands this writer a block of seq numbers of its own even when another process appends to
  the same conversation), and insert the rows. Nothing is kept when any part fails.
"""

from __future__ import annotations

import json
import json.encoder
import json.scanner
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPICursor

from parley.core.events import Event, event_from_rasa
from parley.core.stores import session_start
from parley.errors import EventError, StorageError
from parley.storage.sql.database import Database
from parley.storage.sql.tables import conversations, events

DEFAULT_CACHE_SIZE = 10_000


def _json_codec() -> tuple[Callable[[Any], str], Callable[[str], Any]]:
    """Compact JSON, for rows written on every turn and read back whole: ``json``'s own
    encoder and decoder, called without the Python layers around their C parts (about half
    of their time for an event)."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    decoder = json.JSONDecoder()
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    make_scanner = getattr(json.scanner, "c_make_scanner", None)
    if make_encoder is None or make_scanner is None:  # pragma: no cover - not CPython
        return encoder.encode, decoder.decode
    # No circular-reference check (markers=None), so one C encoder serves every call: a
    # value holding itself raises RecursionError instead of ValueError.
    chunks = make_encoder(
        None,
        encoder.default,
        json.encoder.encode_basestring,  # the C one, when make_encoder is
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    scan = make_scanner(decoder)
    join = "".join
    slow_decode = decoder.decode

    def encode(value: Any) -> str:
        return join(chunks(value, 0))

    def decode(text: str) -> Any:
        try:
            value, end = scan(text, 0)
        except (StopIteration, ValueError):
            return slow_decode(text)  # raises the JSONDecodeError decode() would
        if end != len(text):
            return slow_decode(text)  # trailing whitespace, or extra data
        return value

    return encode, decode


_encode, _decode = _json_codec()


def _extended(held: tuple[Event, ...], new: Sequence[Event]) -> tuple[Event, ...]:
    """The latest session once ``new`` events follow the ``held`` ones: from the last
    session start among the new events, if there is one."""
    start = session_start(new)
    return held + tuple(new) if start is None else tuple(new[start:])


@dataclass(frozen=True, slots=True)
class _Session:
    """A conversation's latest session as last read or written by this process."""

    conversation_id: int
    last_seq: int
    events: tuple[Event, ...]


class SqlTrackerStore:
    """The :class:`~parley.core.ports.TrackerStore` of one environment, in a :class:`Database`.

    Thread-safe. Appends to one conversation are serialized by the caller's lock; if two
    processes append to it at once anyway, each append still lands whole, one after the
    other, never interleaved.
    """

    def __init__(
        self,
        database: Database,
        environment: str = "production",
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self.database = database
        self.environment = environment
        self.cache_size = cache_size
        self._cache: OrderedDict[str, _Session] = OrderedDict()
        self._cache_guard = threading.Lock()
        self._sql = _Statements(database)

    # -- the port ------------------------------------------------------------------------

    def retrieve(self, sender_id: str) -> list[Event]:
        cached = self._cached(sender_id)
        if cached is not None:
            rows = self._read(
                self._sql.select_after,
                {"p_conversation": cached.conversation_id, "p_after": cached.last_seq},
            )
            if not rows:
                return list(cached.events)
            session = _extended(cached.events, self._decode(sender_id, rows))
            self._remember(sender_id, _Session(cached.conversation_id, rows[-1][0], session))
            return list(session)

        rows = self._read(self._sql.select_session, self._key(sender_id))
        if not rows:
            return []
        conversation_id, last_seq = rows[0][0], rows[0][1]
        loaded = self._decode(
            sender_id, [(seq, data) for _, _, seq, data in rows if seq is not None]
        )
        self._remember(sender_id, _Session(conversation_id, last_seq, tuple(loaded)))
        return loaded

    def retrieve_all(self, sender_id: str) -> list[Event]:
        return self._decode(sender_id, self._read(self._sql.select_all, self._key(sender_id)))

    def append(
        self, sender_id: str, events: Sequence[Event], *, model_id: str | None = None
    ) -> None:
        if not events:
            return
        count = len(events)
        start = session_start(events)
        # Encoded before the transaction: an event that cannot be stored fails the append
        # before anything is written, and the write lock is held for the SQL alone.
        rows, written = self._encode(events, model_id)
        cached = self._cached(sender_id)

        def write(cursor: DBAPICursor) -> tuple[int, int]:
            conversation_id, base = self._claim_seqs(cursor, sender_id, cached, count, start)
            seq = base
            for row in rows:
                seq += 1
                row["p_conversation"] = conversation_id
                row["p_seq"] = seq
            cursor.executemany(self._sql.insert_event, rows)
            return conversation_id, base

        conversation_id, base = self.database.write(write)
        if cached is not None and cached.last_seq == base:
            held = cached.events
        elif base == 0:
            held = ()
        else:
            # Rows of another process lie between what we hold and what we wrote: the
            # next retrieve reads them (and ours) after the cached seq.
            return
        session = _extended(held, written)
        self._remember(sender_id, _Session(conversation_id, base + count, session))

    def exists(self, sender_id: str) -> bool:
        if self._cached(sender_id) is not None:
            return True
        return bool(self._read(self._sql.select_conversation, self._key(sender_id)))

    def sender_ids(self) -> list[str]:
        rows = self._read(self._sql.select_senders, {"p_environment": self.environment})
        return [sender for (sender,) in rows]

    # -- reading -------------------------------------------------------------------------

    def _key(self, sender_id: str) -> dict[str, Any]:
        return {"p_environment": self.environment, "p_sender": sender_id}

    def _read(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return self.database.fetch(sql, params)

    def _decode(self, sender_id: str, rows: Iterable[Sequence[Any]]) -> list[Event]:
        decoded: list[Event] = []
        for seq, data in rows:
            try:
                decoded.append(event_from_rasa(_decode(data)))
            except (ValueError, EventError) as error:
                raise StorageError(
                    f"event {seq} of conversation {sender_id!r} ({self.environment}) in "
                    f"{self.database.url} cannot be read: {error}; it was written by a newer "
                    "Parley, or changed by hand — upgrade Parley or repair that row"
                ) from None
        return decoded

    # -- writing -------------------------------------------------------------------------

    def _claim_seqs(
        self,
        cursor: DBAPICursor,
        sender_id: str,
        cached: _Session | None,
        count: int,
        start: int | None,
    ) -> tuple[int, int]:
        """Reserve seq numbers ``base + 1 … base + count`` for this append (creating the
        conversation on its first append); returns ``(conversation_id, base)``."""
        now = time.time()
        params: dict[str, Any] = {"p_count": count, "p_now": now}
        if start is not None:
            params["p_start"] = start + 1
        sql = self._sql
        if cached is not None:
            cursor.execute(
                sql.bump_by_id if start is None else sql.bump_session_by_id,
                {**params, "p_conversation": cached.conversation_id},
            )
            row = cursor.fetchone()
            if row is not None:
                return row[0], row[1] - count
        key = self._key(sender_id)
        cursor.execute(sql.create_conversation, {**key, "p_now": now})
        cursor.execute(
            sql.bump_by_key if start is None else sql.bump_session_by_key, {**params, **key}
        )
        row = cursor.fetchone()
        if row is None:  # pragma: no cover - the row was created just above
            raise StorageError(f"conversation {sender_id!r} vanished while being written")
        return row[0], row[1] - count

    def _encode(
        self, items: Sequence[Event], model_id: str | None
    ) -> tuple[list[dict[str, Any]], list[Event]]:
        """The rows to insert (but for their conversation and seq), and the events as a
        reader will get them back: read again from the same JSON values, so this process's
        cache holds what any other process would read, and an event that could not be read
        back is never stored."""
        rows: list[dict[str, Any]] = []
        written: list[Event] = []
        for offset, item in enumerate(items, start=1):
            data = item.to_rasa()
            try:
                encoded = _encode(data)
            except (TypeError, ValueError, RecursionError) as error:
                raise EventError(
                    f"event {offset} of {len(items)} (`{item.type_name}`) cannot be stored: "
                    f"{error}; events may hold only JSON values (str, number, bool, None, "
                    "list, dict with str keys). Nothing of this append was stored."
                ) from None
            rows.append(
                {
                    "p_type": item.type_name,
                    "p_timestamp": item.timestamp,
                    "p_model": model_id,
                    "p_data": encoded,
                }
            )
            written.append(event_from_rasa(data))
        return rows, written

    # -- the cache -----------------------------------------------------------------------

    def _cached(self, sender_id: str) -> _Session | None:
        with self._cache_guard:
            session = self._cache.get(sender_id)
            if session is not None:
                self._cache.move_to_end(sender_id)
            return session

    def _remember(self, sender_id: str, session: _Session) -> None:
        if self.cache_size <= 0:
            return
        with self._cache_guard:
            held = self._cache.get(sender_id)
            # Threads reading the same conversation race here; the newest state wins.
            if held is None or held.last_seq <= session.last_seq:
                self._cache[sender_id] = session
            self._cache.move_to_end(sender_id)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


class _Statements:
    """The store's SQL, written once as SQLAlchemy Core and compiled to driver SQL."""

    def __init__(self, database: Database) -> None:
        c, e = conversations.c, events.c
        by_key = (c.environment == bindparam("p_environment")) & (
            c.sender_id == bindparam("p_sender")
        )
        by_id = c.id == bindparam("p_conversation")
        compiled = database.compile

        self.select_conversation = compiled(select(c.id).where(by_key))
        self.select_senders = compiled(
            select(c.sender_id)
            .where(c.environment == bindparam("p_environment"))
            .order_by(c.sender_id)
        )
        # One statement, so the session start and the rows come from one snapshot.
        self.select_session = compiled(
            select(c.id, c.last_seq, e.seq, e.data)
            .select_from(
                conversations.outerjoin(
                    events, (e.conversation_id == c.id) & (e.seq >= c.session_start_seq)
                )
            )
            .where(by_key)
            .order_by(e.seq)
        )
        self.select_all = compiled(
            select(e.seq, e.data)
            .select_from(conversations.join(events, e.conversation_id == c.id))
            .where(by_key)
            .order_by(e.seq)
        )
        self.select_after = compiled(
            select(e.seq, e.data)
            .where(e.conversation_id == bindparam("p_conversation"))
            .where(e.seq > bindparam("p_after"))
            .order_by(e.seq)
        )

        # SET expressions read the row as it was, so `last_seq` on the right is the old one.
        bump = {"last_seq": c.last_seq + bindparam("p_count"), "updated_at": bindparam("p_now")}
        bump_session = {**bump, "session_start_seq": c.last_seq + bindparam("p_start")}

        def bumped(where: Any, values: dict[str, Any]) -> str:
            return compiled(
                update(conversations).where(where).values(values).returning(c.id, c.last_seq)
            )

        self.bump_by_id = bumped(by_id, bump)
        self.bump_session_by_id = bumped(by_id, bump_session)
        self.bump_by_key = bumped(by_key, bump)
        self.bump_session_by_key = bumped(by_key, bump_session)

        # Two processes creating the same conversation both go on, with the one row.
        dialect_insert = postgresql.insert if database.backend == "postgresql" else sqlite.insert
        self.create_conversation = compiled(
            dialect_insert(conversations)
            .values(
                environment=bindparam("p_environment"),
                sender_id=bindparam("p_sender"),
                created_at=bindparam("p_now"),
                updated_at=bindparam("p_now"),
            )
            .on_conflict_do_nothing(index_elements=["environment", "sender_id"])
        )
        self.insert_event = compiled(
            insert(events).values(
                conversation_id=bindparam("p_conversation"),
                seq=bindparam("p_seq"),
                type=bindparam("p_type"),
                timestamp=bindparam("p_timestamp"),
                model_id=bindparam("p_model"),
                data=bindparam("p_data"),
            )
        )
