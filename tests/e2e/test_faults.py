"""Faults against ``parley run`` as a real process: the server killed with ``SIGKILL`` under
load loses no acknowledged turn and leaves no half turn; a database that goes away makes
turns and ``/ready`` answer 503, stores nothing, and serves again by itself when it is back.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text
from tests.support.parley_server import ParleyProcess, parley_process, running_parley

from parley.storage.sql.database import Database

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONVERSATIONS = 20
LOAD_SECONDS = 3.0
RECOVERY_TIMEOUT_S = 15.0
# What each conversation says, over and over; nothing in it calls the action server.
SCRIPT = (
    "hello",
    "can I get a latte?",
    '/inform{"size": "medium"}',
    "no",
    "bye",
)
WEBHOOK = "/webhooks/rest/webhook"


# -- helpers ------------------------------------------------------------------------------


def client_for(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        timeout=30.0,
        trust_env=False,
        headers={"Authorization": f"Bearer {token}"},
    )


def say(client: httpx.Client, sender: str, text: str) -> list[dict[str, Any]]:
    response = client.post(WEBHOOK, json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    answer: list[dict[str, Any]] = response.json()
    return answer


def stored_events(client: httpx.Client, sender: str) -> list[dict[str, Any]]:
    """Every stored event of the conversation (all sessions); [] when it does not exist."""
    response = client.get(f"/conversations/{sender}/tracker", params={"include_events": "ALL"})
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def user_texts(events: list[dict[str, Any]]) -> list[str]:
    return [event["text"] for event in events if event["event"] == "user"]


def wait_for(
    probe: Callable[[], httpx.Response], accept: Callable[[httpx.Response], bool], what: str
) -> httpx.Response:
    """Poll ``probe`` until ``accept`` takes its answer; fail after RECOVERY_TIMEOUT_S."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    last: object = "no answer"
    while time.monotonic() < deadline:
        try:
            answer = probe()
        except httpx.TransportError as error:
            last = repr(error)
        else:
            if accept(answer):
                return answer
            last = f"{answer.status_code} {answer.text}"
        time.sleep(0.05)  # polling, not a timing assertion
    pytest.fail(f"{what} did not happen within {RECOVERY_TIMEOUT_S:.0f} s; last: {last}")


def assert_whole_turns(sender: str, events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Every ``user`` event is followed by the bot's actions up to one ``action_listen`` and
    nothing else, and turns do not interleave: everything stored before a ``user`` event is
    older than it, everything after newer. Returns each turn's events after its ``user``.

    (Within a turn timestamps need not grow: as in Rasa, an action's ``action`` event is
    made after the events the action returned.)"""
    stamps = [event["timestamp"] for event in events]
    for i, event in enumerate(events):
        if event["event"] == "user":
            assert max(stamps[:i], default=0.0) <= stamps[i] <= min(stamps[i:]), (
                f"{sender}: events out of order around user event {i}: {events}"
            )
    if not events:
        return []
    last = (events[-1]["event"], events[-1].get("name"))
    assert last == ("action", "action_listen"), (
        f"{sender}: a partial turn is stored, the last event is {events[-1]}"
    )
    turns: list[list[dict[str, Any]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([])
        elif turns:
            turns[-1].append(event)
    for number, turn in enumerate(turns, start=1):
        listens = [
            i for i, e in enumerate(turn) if e["event"] == "action" and e["name"] == "action_listen"
        ]
        assert listens == [len(turn) - 1], (
            f"{sender}: turn {number} does not end with exactly one action_listen: {turn}"
        )
    return turns


# -- kill -9 under load -------------------------------------------------------------------


@dataclass
class Conversation:
    sender: str
    sent: list[str] = field(default_factory=list)
    """Texts whose request was started, in order."""
    replies: list[list[str | None]] = field(default_factory=list)
    """The bot's texts of each acknowledged (HTTP 200) turn, in order."""
    cut: bool = False
    """Its last request was sent and then lost its connection: it was in flight."""
    refused: list[str] = field(default_factory=list)
    """Answers other than 200 (none are expected)."""


class Load:
    """``CONVERSATIONS`` threads, each talking in its own conversation as fast as answered,
    until :meth:`stop` or until the server goes away."""

    def __init__(self, base_url: str, conversations: list[Conversation]) -> None:
        self.base_url = base_url
        self.conversations = conversations
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self.in_flight = 0
        self._threads = [
            threading.Thread(target=self._talk, args=(c,), daemon=True) for c in conversations
        ]

    @property
    def busy(self) -> int:
        """Requests sent and not yet answered."""
        with self._guard:
            return self.in_flight

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
            assert not thread.is_alive(), "a load thread did not finish"

    def _talk(self, conversation: Conversation) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30.0, trust_env=False) as client:
            turn = 0
            while not self._stop.is_set():
                text = SCRIPT[turn % len(SCRIPT)]
                turn += 1
                conversation.sent.append(text)
                with self._guard:
                    self.in_flight += 1
                try:
                    answer = client.post(
                        WEBHOOK, json={"sender": conversation.sender, "message": text}
                    )
                except httpx.ConnectError:
                    return  # the server was gone before this request reached it
                except httpx.TransportError:
                    conversation.cut = True
                    return
                finally:
                    with self._guard:
                        self.in_flight -= 1
                if answer.status_code != 200:
                    conversation.refused.append(f"{answer.status_code} {answer.text}")
                    return
                conversation.replies.append([reply.get("text") for reply in answer.json()])


def test_kill_9_under_load_loses_no_acknowledged_turn(
    project: Path, tmp_path: Path, database_url: str
) -> None:
    home = tmp_path / "home"
    env = {"DATABASE_URL": database_url}
    conversations = [Conversation(f"load-{n:02d}") for n in range(CONVERSATIONS)]

    with parley_process(project, home=home, env=env) as server:
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        # The pid is the Python process serving, not a shell around it.
        assert any(part.endswith(b"parley") for part in cmdline), cmdline
        assert b"run" in cmdline, cmdline
        load = Load(server.base_url, conversations)
        load.start()
        started = time.monotonic()
        deadline = started + LOAD_SECONDS + 10
        # Kill mid-load: after LOAD_SECONDS, at a moment most conversations wait for an answer.
        while True:
            now = time.monotonic()
            if now - started >= LOAD_SECONDS and load.busy >= CONVERSATIONS // 2:
                break
            assert now < deadline, f"the load never had {CONVERSATIONS // 2} requests in flight"
            time.sleep(0.005)  # polling for the moment to kill
        status = server.kill()
        load.stop()
        assert status == -9, f"the server exited with {status}, not by SIGKILL"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.base_url}/health", timeout=2.0, trust_env=False)

    refused = {c.sender: c.refused for c in conversations if c.refused}
    assert not refused, f"turns refused before the kill: {refused}"
    acknowledged = sum(len(c.replies) for c in conversations)
    assert acknowledged >= CONVERSATIONS, f"only {acknowledged} turns answered in the load"
    assert any(c.cut for c in conversations), "no request was in flight when the server died"

    with (
        running_parley(project, home=home, env=env) as (base_url, token),
        client_for(base_url, token) as client,
    ):
        for conversation in conversations:
            sender = conversation.sender
            events = stored_events(client, sender)
            said = user_texts(events)
            acked = len(conversation.replies)
            # Every acknowledged turn is stored; at most the one in flight besides.
            assert acked <= len(said) <= len(conversation.sent), (
                f"{sender}: {acked} turns acknowledged, {len(conversation.sent)} sent, "
                f"{len(said)} stored"
            )
            assert said == conversation.sent[: len(said)], f"{sender}: stored {said}"
            turns = assert_whole_turns(sender, events)
            for number, replies in enumerate(conversation.replies):
                stored = [e.get("text") for e in turns[number] if e["event"] == "bot"]
                assert stored == replies, (
                    f"{sender}: turn {number + 1} was answered {replies}, stored {stored}"
                )
            bots = sum(1 for e in events if e["event"] == "bot")
            assert bots >= sum(len(replies) for replies in conversation.replies)
            # The restarted server carries on with the conversation.
            assert say(client, sender, "hello")
            after = stored_events(client, sender)
            assert user_texts(after) == [*said, "hello"]
            assert_whole_turns(sender, after)


# -- the database goes away and comes back ------------------------------------------------


def assert_outage(server: ParleyProcess, client: httpx.Client, sender: str, needle: str) -> None:
    """While the database is away: not ready (saying why), turns and reads 503 with Rasa's
    error body, and the process alive and live."""
    ready = wait_for(
        lambda: client.get("/ready"), lambda r: r.status_code == 503, "/ready answering 503"
    )
    body = ready.json()
    assert body["status"] == "not ready"
    assert body["database"] == "unavailable"
    assert any(needle in problem for problem in body["problems"]), body

    for who, message in ((sender, "large please"), ("newcomer", "hello")):
        turn = client.post(WEBHOOK, json={"sender": who, "message": message})
        assert turn.status_code == 503, turn.text
        error = turn.json()
        assert error["status"] == "failure"
        assert error["reason"] == "ServiceUnavailable"
        assert error["code"] == 503
        assert needle in error["message"], error
        assert set(error) == {"version", "status", "message", "reason", "details", "help", "code"}
        assert turn.headers.get("Retry-After") == "1"

    read = client.get(f"/conversations/{sender}/tracker")
    assert read.status_code == 503, read.text
    assert read.json()["reason"] == "ServiceUnavailable"

    assert client.get("/health").status_code == 200
    assert server.process.poll() is None, f"the server died:\n{server.output()}"


def assert_recovered(
    server: ParleyProcess, client: httpx.Client, sender: str, before: list[dict[str, Any]]
) -> None:
    """The database is back: ready again without a restart, the conversation goes on from
    where it was, and the turns that failed left nothing."""
    wait_for(lambda: client.get("/ready"), lambda r: r.status_code == 200, "/ready back to 200")
    pid = server.pid
    # The size question was the last thing the bot asked before the outage.
    answer = say(client, sender, '/inform{"size": "medium"}')
    assert [a.get("text") for a in answer] == [
        "So that's a medium latte. Shall I put the order through?"
    ]
    events = stored_events(client, sender)
    assert events[: len(before)] == before, "the events stored before the outage changed"
    assert user_texts(events) == ["hello", "can I get a latte?", '/inform{"size": "medium"}']
    assert "large please" not in str(events)
    assert_whole_turns(sender, events)
    # The conversation the outage refused never began.
    assert stored_events(client, "newcomer") == []
    assert server.process.poll() is None
    assert server.pid == pid


def start_conversation(client: httpx.Client, sender: str) -> list[dict[str, Any]]:
    say(client, sender, "hello")
    asked = say(client, sender, "can I get a latte?")
    assert asked[0]["text"] in {"Small, medium or large?", "Which size: small, medium or large?"}
    before = stored_events(client, sender)
    assert_whole_turns(sender, before)
    return before


StartServer = Callable[[str], AbstractContextManager[ParleyProcess]]


@pytest.fixture
def outage_server(project: Path, tmp_path: Path) -> StartServer:
    def start(database_url: str) -> AbstractContextManager[ParleyProcess]:
        return parley_process(project, home=tmp_path / "home", env={"DATABASE_URL": database_url})

    return start


def test_postgres_goes_away_and_comes_back(
    outage_server: StartServer,
    postgres_url: str,
    postgres_admin: psycopg.Connection[tuple[object, ...]],
) -> None:
    name = postgres_url.rsplit("/", 1)[1]
    with outage_server(postgres_url) as server, client_for(server.base_url, server.token) as client:
        before = start_conversation(client, "pat")

        postgres_admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            postgres_admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            assert_outage(server, client, "pat", name)
        finally:
            postgres_admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

        assert_recovered(server, client, "pat", before)


def test_sqlite_file_goes_away_and_comes_back(outage_server: StartServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = data / "parley.db"
    away = tmp_path / "away"
    away.mkdir()
    files = [path, path.with_name("parley.db-wal"), path.with_name("parley.db-shm")]
    with (
        outage_server(f"sqlite:///{path}") as server,
        client_for(server.base_url, server.token) as client,
    ):
        before = start_conversation(client, "pat")
        present = [f for f in files if f.exists()]
        assert path in present

        # Moved away (with its WAL and shared-memory files), as an operator might.
        for f in present:
            f.rename(away / f.name)
        try:
            assert_outage(server, client, "pat", str(path))
            # Parley wrote nothing in the meantime: no new, empty database where it was.
            assert not path.exists()

            # Another file in its place is refused: it is not the database Parley opened.
            shutil.copyfile(away / path.name, path)
            assert_outage(server, client, "pat", "replaced by another file")
            path.unlink()
        finally:
            for f in present:
                (away / f.name).rename(f)

        assert_recovered(server, client, "pat", before)


# -- a write that fails half way ----------------------------------------------------------

MARKER = "zz-fault-zz"
# Fails a turn's append at its last row (the closing action_listen), after the
# conversation's seq numbers were claimed and the turn's other rows inserted, when the turn
# holds a user message with MARKER: the write fails half way through, as when the
# database goes away in the middle of it.
_FAIL_POSTGRES = (
    f"""
    CREATE FUNCTION parley_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.type = 'action' AND NEW.data LIKE '%"action_listen"%' AND EXISTS (
        SELECT 1 FROM events
        WHERE conversation_id = NEW.conversation_id AND data LIKE '%{MARKER}%'
      ) THEN
        RAISE EXCEPTION 'injected failure of the write';
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER parley_test_fail BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION parley_test_fail()
    """,
)
_FAIL_SQLITE = (
    f"""
    CREATE TRIGGER parley_test_fail BEFORE INSERT ON events
    WHEN NEW.type = 'action' AND NEW.data LIKE '%"action_listen"%' AND EXISTS (
      SELECT 1 FROM events
      WHERE conversation_id = NEW.conversation_id AND data LIKE '%{MARKER}%'
    )
    BEGIN SELECT RAISE(ABORT, 'injected failure of the write'); END
    """,
)


def test_a_turn_whose_write_fails_half_way_leaves_no_trace(
    outage_server: StartServer, database_url: str
) -> None:
    with outage_server(database_url) as server, client_for(server.base_url, server.token) as client:
        before = start_conversation(client, "pat")
        database = Database.connect(database_url)
        try:
            with database.transaction() as conn:
                for statement in (
                    _FAIL_POSTGRES if database.backend == "postgresql" else _FAIL_SQLITE
                ):
                    conn.execute(text(statement))

            # Would set the size and end the form, were any of it kept.
            turn = client.post(WEBHOOK, json={"sender": "pat", "message": f"large {MARKER}"})
            assert turn.status_code == 503, turn.text
            assert turn.json()["reason"] == "ServiceUnavailable"
            assert "injected failure of the write" in turn.json()["message"]

            with database.connection() as conn:
                last_seq = conn.execute(
                    text("SELECT last_seq FROM conversations WHERE sender_id = 'pat'")
                ).scalar_one()
                seqs = (
                    conn.execute(
                        text(
                            "SELECT seq FROM events JOIN conversations c ON c.id = conversation_id "
                            "WHERE c.sender_id = 'pat' ORDER BY seq"
                        )
                    )
                    .scalars()
                    .all()
                )
            assert last_seq == len(before)
            assert seqs == list(range(1, len(before) + 1))
            assert stored_events(client, "pat") == before

            # The conversation goes on from before the failed turn (the size is still asked
            # for), in this process's memory as in the database.
            assert client.get("/ready").status_code == 200
            answer = say(client, "pat", '/inform{"size": "medium"}')
            assert [a.get("text") for a in answer] == [
                "So that's a medium latte. Shall I put the order through?"
            ]
            events = stored_events(client, "pat")
            assert events[: len(before)] == before
            assert user_texts(events) == [
                "hello",
                "can I get a latte?",
                '/inform{"size": "medium"}',
            ]
            assert MARKER not in str(events)
            assert_whole_turns("pat", events)
            with database.connection() as conn:
                seqs = conn.execute(text("SELECT seq FROM events ORDER BY seq")).scalars().all()
            assert seqs == list(range(1, len(events) + 1))
        finally:
            database.close()
