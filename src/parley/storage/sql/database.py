"""The database Parley keeps its data in: a SQLAlchemy engine made from ``DATABASE_URL``,
tuned for each backend, with the schema brought up to date by Alembic.

SQLite (the default) runs in WAL mode, so readers never wait for the writer, with
``synchronous=NORMAL``: a committed transaction survives the process being killed (even
``kill -9``), and only an operating-system crash or power loss can take the last commits
back. ``?synchronous=full`` on the URL trades write speed for surviving those too.

The stores run their statements on driver cursors (:meth:`Database.fetch`,
:meth:`Database.write`). On a SQLite file these come from a few long-lived connections of
Parley's own, in explicit transactions, rather than from SQLAlchemy's pool: a turn on the
event loop then pays for its SQL and its commit, not for lending a connection twice.

PostgreSQL connections are checked before use (``pool_pre_ping``), so a restarted server,
or connections it closed, cost one failed call at most: the next one reconnects.

Every failure is a :class:`~parley.errors.StorageError` naming the database (password
hidden) and what to do; a configured database that cannot be reached is an error, never a
silent fall-back to another store.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import ClauseElement, Connection, Engine, create_engine, event, exc, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.pool import StaticPool

from parley.errors import StorageError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_SQLITE_SYNCHRONOUS = ("off", "normal", "full", "extra")
_BUSY_TIMEOUT_MS = 5_000
_CONNECT_TIMEOUT_S = 5
# Any constant will do: it only has to be the same in every Parley process.
_MIGRATION_LOCK = 0x7061726C6579

T = TypeVar("T")

_UNREACHABLE_FIX = (
    "check that the database is running and reachable and that DATABASE_URL is right; "
    "Parley serves again as soon as it answers"
)


class Database:
    """One database, shared by the stores built on it. Thread-safe.

    Make one with :meth:`connect`; :meth:`connection` and :meth:`transaction` lend a
    connection to the stores and turn every database failure into a ``StorageError``.
    """

    def __init__(
        self, engine: Engine, *, sqlite_path: Path | None = None, synchronous: str = "normal"
    ) -> None:
        self.engine = engine
        self._sqlite_path = sqlite_path
        self._sqlite_name = str(sqlite_path)
        # The stores' connections to a SQLite file (an in-memory database has one, shared
        # through SQLAlchemy's pool, so it goes that way).
        self._sqlite_pool = (
            _SqlitePool(sqlite_path, synchronous) if sqlite_path is not None else None
        )
        self._checkpointer = _Checkpointer(sqlite_path) if sqlite_path is not None else None
        # The (device, inode) of the SQLite file once it exists: see `_check_sqlite_file`.
        self._sqlite_file: tuple[int, int] | None = None
        self._guard = threading.Lock()
        # SQLite has one writer at a time. Writers of this process queue on this lock
        # rather than in SQLite's busy handler, which sleeps and retries: under load, that
        # polling (and the deadlock of two readers upgrading to writers) cost most turns.
        self._sqlite_writer: AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10, check: bool = True) -> Database:
        """The database at ``url`` (``sqlite:///PATH`` or ``postgresql://…``).

        With ``check`` (the default) it is reached once now, so a wrong URL or a database
        that is down fails at start-up with a ``StorageError`` rather than at the first
        conversation. ``pool_size`` is the number of PostgreSQL connections kept open.
        """
        parsed = _parse_url(url)
        backend = parsed.get_backend_name()
        sqlite_path: Path | None = None
        synchronous = "normal"
        options: dict[str, Any] = {}
        if backend == "sqlite":
            parsed, synchronous = _sqlite_synchronous(parsed)
            if parsed.database in (None, "", ":memory:"):
                # One shared connection: each new one would be a new, empty database.
                options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
            else:
                sqlite_path = Path(parsed.database or "").expanduser().absolute()
                parsed = parsed.set(database=str(sqlite_path))
                _make_parent(sqlite_path, parsed)
        else:
            options.update(
                pool_pre_ping=True,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_timeout=10,
                # Firewalls and poolers drop idle connections silently after a while.
                pool_recycle=1800,
            )
            if "connect_timeout" not in parsed.query:
                # Without it, an unreachable host holds a request until the OS gives up.
                options["connect_args"] = {"connect_timeout": _CONNECT_TIMEOUT_S}
        try:
            engine = create_engine(parsed, **options)
        except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
            raise StorageError(
                f"cannot use the database {_redact(parsed)}: {error}; write DATABASE_URL as "
                "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
            ) from None
        if backend == "sqlite":
            _configure_sqlite(engine, synchronous)
        database = cls(engine, sqlite_path=sqlite_path, synchronous=synchronous)
        if check:
            database.ping()
        return database

    @property
    def url(self) -> str:
        """The URL, with its password hidden: safe to log and to show."""
        return _redact(self.engine.url)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    __str__ = __repr__

    # -- lending connections -------------------------------------------------------------

    def connection(self) -> AbstractContextManager[Connection]:
        """A connection for reading; nothing it does is committed."""
        return self._lend(begin=False)

    def transaction(self) -> AbstractContextManager[Connection]:
        """A connection in a transaction, committed when the block ends, rolled back
        (all of it) when the block raises."""
        return self._lend(begin=True)

    def compile(self, statement: ClauseElement) -> str:
        """``statement`` as this database's driver SQL, taking its bind parameters by name
        from a dict: for the hot paths, which run it on ``conn.connection.cursor()`` and so
        skip SQLAlchemy's per-execution work (most of the time of a small query)."""
        dialect = self.engine.dialect
        if dialect.name == "sqlite":
            dialect = sqlite.dialect(paramstyle="named")
        return str(statement.compile(dialect=dialect))

    def fetch(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        """The rows of one query in driver SQL (see :meth:`compile`), read from one
        snapshot; nothing is committed."""
        if self._sqlite_pool is not None:
            return self._sqlite_fetch(self._sqlite_pool, sql, params)
        with self._lend(begin=False) as conn:
            cursor = conn.connection.cursor()
            try:
                cursor.execute(sql, params)
                return cursor.fetchall()
            finally:
                cursor.close()

    def write(self, work: Callable[[DBAPICursor], T]) -> T:
        """``work(cursor)`` in one transaction: committed when it returns, rolled back (all
        of it) when it raises. Its statements are driver SQL (see :meth:`compile`)."""
        if self._sqlite_pool is not None:
            return self._sqlite_write(self._sqlite_pool, work)
        with self._lend(begin=True) as conn:
            cursor = conn.connection.cursor()
            try:
                return work(cursor)
            finally:
                cursor.close()

    def _sqlite_fetch(
        self, pool: _SqlitePool, sql: str, params: dict[str, Any]
    ) -> Sequence[Sequence[Any]]:
        self._check_sqlite_file()
        with self._sqlite_connection(pool) as conn:
            rows: list[Any] = conn.execute(sql, params).fetchall()
            return rows

    def _sqlite_write(self, pool: _SqlitePool, work: Callable[[DBAPICursor], T]) -> T:
        self._check_sqlite_file()
        checkpointer = self._checkpointer
        if checkpointer is not None:  # always, with a pool: made together in __init__
            checkpointer.start()
        with self._sqlite_writer, self._sqlite_connection(pool) as conn:
            cursor = conn.cursor()
            # The write lock from the start: waited for here (busy timeout) while
            # another process holds it.
            cursor.execute("BEGIN IMMEDIATE")
            result = work(cast(DBAPICursor, cursor))
            cursor.execute("COMMIT")
            return result

    @contextmanager
    def _sqlite_connection(self, pool: _SqlitePool) -> Iterator[sqlite3.Connection]:
        """A connection of ``pool`` for the block: given back when it ends, handed to the
        pool's repair when it raises (rolled back, or closed when broken); SQLite's errors
        come out as ``StorageError``."""
        try:
            conn = pool.take()
        except sqlite3.Error as error:
            raise self._sqlite_error(error) from error
        try:
            yield conn
        except BaseException as error:
            pool.release_failed(conn, error)
            if isinstance(error, sqlite3.Error):
                raise self._sqlite_error(error) from error
            raise
        pool.give(conn)

    def _sqlite_error(self, error: sqlite3.Error) -> StorageError:
        wrapped: exc.StatementError = exc.DBAPIError.instance(
            None, None, error, sqlite3.Error, dialect=self.engine.dialect
        )
        return self.error(wrapped)

    @contextmanager
    def _lend(self, *, begin: bool) -> Iterator[Connection]:
        self._check_sqlite_file()
        driver_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        try:
            with (
                self._sqlite_writer if begin else nullcontext(),
                self.engine.begin() if begin else self.engine.connect() as conn,
            ):
                try:
                    yield conn
                except driver_error as error:
                    # Raised by a cursor of the driver's own: wrapped as SQLAlchemy would,
                    # dropping the connection from the pool when the database went away.
                    raise self._wrap(conn, error) from error
        except exc.SQLAlchemyError as error:
            raise self.error(error) from error

    def _wrap(self, conn: Connection, error: Any) -> exc.StatementError:
        dialect = self.engine.dialect
        gone = dialect.is_disconnect(error, conn.connection.dbapi_connection, None)
        if gone:
            conn.invalidate(error)
        wrapped: exc.StatementError = exc.DBAPIError.instance(
            None,
            None,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
        )
        return wrapped

    def error(self, error: exc.SQLAlchemyError) -> StorageError:
        """The ``StorageError`` to raise for a SQLAlchemy or driver error."""
        if isinstance(error, exc.DBAPIError):
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        else:
            reason = str(error).strip().splitlines()[0]
        if _missing_schema(reason):
            return StorageError(
                f"the database {self.url} lacks Parley's tables ({reason}); run the "
                "migrations: `Database.migrate()`, which the server does at start-up"
            )
        if isinstance(error, exc.IntegrityError):
            return StorageError(
                f"the database {self.url} refused a write ({reason}): another process wrote "
                "to the same conversation at the same moment; nothing of this write was kept, "
                "so it can be retried"
            )
        if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError) or (
            isinstance(error, exc.DBAPIError) and error.connection_invalidated
        ):
            return StorageError(
                f"the database {self.url} cannot be used: {reason}; {_UNREACHABLE_FIX}"
            )
        return StorageError(f"the database {self.url} failed: {reason}")

    # -- operations ----------------------------------------------------------------------

    def ping(self) -> None:
        """Raise ``StorageError`` unless the database answers a query now, on the
        connections the stores use."""
        self.fetch("SELECT 1", {})

    def migrate(self) -> None:
        """Bring the schema up to the newest revision; does nothing when it is there.
        Safe to run from several processes at once: they take turns."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.transaction() as conn:
            # Replicas starting together would otherwise both create the tables.
            if self.backend == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            else:
                # pysqlite opens a transaction only before DML; the migration's DDL must
                # be in one too, holding the write lock from the start.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            config.attributes["connection"] = conn
            try:
                command.upgrade(config, "head")
            except CommandError as error:
                raise StorageError(
                    f"cannot migrate the database {self.url}: {error}; it was migrated by a "
                    "newer Parley: run that version, or restore a backup made before"
                ) from None

    def close(self) -> None:
        """Close every pooled connection. The object stays usable: it reconnects."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()
        if self._sqlite_pool is not None:
            self._sqlite_pool.dispose()

    # -- SQLite file watch ---------------------------------------------------------------

    def _hold_sqlite_file(self, path: Path) -> None:
        """Keep the file open for as long as this object lives: its inode then cannot be
        freed and handed to a new file, which would pass for this one."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return
        stat = os.fstat(fd)
        self._sqlite_file = (stat.st_dev, stat.st_ino)
        weakref.finalize(self, os.close, fd)

    def _check_sqlite_file(self) -> None:
        """Refuse to go on when the SQLite file was moved, deleted or replaced.

        Open connections keep using a deleted file (its inode lives on), so without this
        check writes would land in a file nobody can open again, and be lost.
        """
        path = self._sqlite_path
        if path is None:
            return
        try:
            stat = os.stat(self._sqlite_name)
            identity: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
        except OSError:
            identity = None
        if identity is not None and identity == self._sqlite_file:
            return  # the common case; `_sqlite_file` is set once, so no lock is needed
        with self._guard:
            if self._sqlite_file is None:
                # Not created yet (the first connection creates it), or first sight of it.
                if identity is not None:
                    self._hold_sqlite_file(path)
                return
            if identity == self._sqlite_file:
                return
        # Connections to the vanished file must not serve again once it is back.
        self.close()
        state = "is gone" if identity is None else "was replaced by another file"
        raise StorageError(
            f"the SQLite database {path} {state} since Parley opened it; put the file back "
            "where it was (Parley resumes by itself), or restart Parley to use the new one"
        )


def _parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise StorageError(
            f"{url.rsplit('@', maxsplit=1)[-1]!r} is not a database URL; write DATABASE_URL as "
            "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if "+" not in parsed.drivername:
            # psycopg 3 is the driver Parley installs; SQLAlchemy defaults to psycopg2.
            parsed = parsed.set(drivername="postgresql+psycopg")
        elif backend == "postgres":
            parsed = parsed.set(drivername="postgresql" + parsed.drivername[len("postgres") :])
    elif backend != "sqlite":
        raise StorageError(
            f"the database {_redact(parsed)} is not supported; Parley stores its data in "
            "SQLite (sqlite:///PATH) or PostgreSQL (postgresql://USER:PASSWORD@HOST:PORT/DB)"
        )
    return parsed


def _sqlite_synchronous(url: URL) -> tuple[URL, str]:
    value = url.query.get("synchronous", "normal")
    if not isinstance(value, str) or value.lower() not in _SQLITE_SYNCHRONOUS:
        raise StorageError(
            f"the SQLite URL {_redact(url)} has synchronous={value!r}; valid values are: "
            f"{', '.join(_SQLITE_SYNCHRONOUS)}"
        )
    return url.difference_update_query(["synchronous"]), value.lower()


def _make_parent(path: Path, url: URL) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(
            f"cannot create the folder of the SQLite database {_redact(url)}: "
            f"{error.strerror or error}; create {path.parent} yourself, or point "
            "DATABASE_URL at a writable place"
        ) from None


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        _tune_sqlite(dbapi_connection, synchronous)


def _tune_sqlite(dbapi_connection: Any, synchronous: str, *, checkpoints: bool = True) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers and the writer do not block each other, and a commit is one
        # append to the log. With synchronous=NORMAL the log is written (not fsynced)
        # at each commit: a killed process loses nothing, an OS crash may lose the
        # last commits (FULL fsyncs every commit and loses nothing).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not checkpoints:
            # The committing thread would otherwise copy the log into the database file
            # (and fsync it) every thousand pages: a pause of every conversation served
            # on that thread. A _Checkpointer does it in a thread of its own.
            cursor.execute("PRAGMA wal_autocheckpoint=0")
    finally:
        cursor.close()


class _Checkpointer:
    """Copies a SQLite file's write-ahead log into the database file every second, from a
    thread of its own, so that no committing turn pays for it. PASSIVE: it never waits for
    (nor blocks) readers or the writer; what it cannot copy now it copies next time. It
    opens the file read-write without creating it: a file moved away must not come back
    as an empty database."""

    def __init__(self, path: Path, interval_s: float = 1.0) -> None:
        self._uri = f"{path.as_uri()}?mode=rw"
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    def start(self) -> None:
        if self._thread is not None:
            return
        with self._guard:
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="parley-sqlite-checkpoints", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        with self._guard:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self._interval_s):
                try:
                    if conn is None:
                        conn = sqlite3.connect(self._uri, uri=True, isolation_level=None)
                        conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as error:
                    # The file is away, or busy: the stores report it; try again later.
                    logger.debug("SQLite checkpoint skipped: %s", error)
                    if conn is not None:
                        conn.close()
                        conn = None
        finally:
            if conn is not None:
                conn.close()


class _SqliteConnection(sqlite3.Connection):
    generation = 0
    """The :class:`_SqlitePool` generation it was opened in."""


class _SqlitePool:
    """Open connections to a SQLite file, each used by one thread at a time, tuned like
    the engine's. pysqlite's own transaction handling is off (``isolation_level=None``):
    a connection is in a transaction only between the ``BEGIN`` and the ``COMMIT`` or
    ``ROLLBACK`` of :meth:`Database.write`, and is back in the pool outside of one.

    :meth:`dispose` closes the idle ones and retires those lent: they are closed when
    given back. A connection of an older generation is never lent again.
    """

    def __init__(self, path: Path, synchronous: str, *, keep: int = 8) -> None:
        self._path = str(path)
        self._synchronous = synchronous
        self._keep = keep
        # list.pop and list.append are atomic: lending takes no lock.
        self._idle: list[_SqliteConnection] = []
        self._generation = 0
        self._disposing = threading.Lock()

    def take(self) -> _SqliteConnection:
        idle = self._idle
        while idle:
            try:
                conn = idle.pop()
            except IndexError:  # another thread took the last one
                break
            if conn.generation == self._generation:
                return conn
            conn.close()
        generation = self._generation
        conn = sqlite3.connect(
            self._path,
            isolation_level=None,
            check_same_thread=False,
            factory=_SqliteConnection,
        )
        try:
            _tune_sqlite(conn, self._synchronous, checkpoints=False)
        except BaseException:
            conn.close()
            raise
        conn.generation = generation
        return conn

    def give(self, conn: _SqliteConnection) -> None:
        if conn.generation != self._generation or len(self._idle) >= self._keep:
            conn.close()
        else:
            self._idle.append(conn)

    def release_failed(self, conn: _SqliteConnection, error: BaseException) -> None:
        """Give back a connection whose work raised ``error``: rolled back to no
        transaction, or closed when that fails or the connection itself may be broken."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except BaseException:
            conn.close()
            return
        if isinstance(error, sqlite3.Error) and not isinstance(error, sqlite3.IntegrityError):
            # The file went away, the disk failed, the schema is missing…: a new
            # connection costs little next to trusting this one again.
            conn.close()
            return
        self.give(conn)

    def dispose(self) -> None:
        with self._disposing:
            self._generation += 1
        while self._idle:
            try:
                conn = self._idle.pop()
            except IndexError:
                break
            conn.close()


def _missing_schema(reason: str) -> bool:
    lowered = reason.lower()
    return "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered)


def _redact(url: URL) -> str:
    return url.render_as_string(hide_password=True)
