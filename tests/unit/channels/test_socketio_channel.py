"""The socket.io channel against a real python-socketio client over a real uvicorn server.

The conversations behind the channel are a small in-memory fake (the channel's own boundary);
the whole stack, model and storage included, is exercised by ``tests/e2e/test_webchat.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import socketio
import uvicorn

from parley.channels.socketio import SocketIOChannel, SocketIOOptions
from parley.channels.socketio_messages import bot_uttered_payloads
from parley.core.messages import BotMessage, UserMessage
from parley.errors import ConfigurationError, NotFoundError, ServiceError, StorageError

TIMEOUT_S = 5.0

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


BUTTONS = [
    {"title": "Small", "payload": '/inform{"size": "small"}'},
    {"title": "Large", "payload": '/inform{"size": "large"}'},
]


def _answers(message: UserMessage) -> list[BotMessage]:
    """What the fake assistant says: chosen by the user's text."""
    to = message.sender_id
    text = message.text or ""
    if text == "buttons":
        return [BotMessage(recipient_id=to, text="Which size?", buttons=BUTTONS)]
    if text == "image":
        return [BotMessage(recipient_id=to, image="https://example.org/cup.png")]
    if text == "custom":
        return [BotMessage(recipient_id=to, custom={"kind": "map", "lat": 1.5})]
    if text == "two":
        return [
            BotMessage(recipient_id=to, text="one"),
            BotMessage(recipient_id=to, text="two"),
        ]
    return [BotMessage(recipient_id=to, text=f"echo: {text}")]


ENVIRONMENTS = ("production", "development")


class FakeConversations:
    """Answers with :func:`_answers`; ``gate`` holds a turn mid-way; ``error`` fails turns."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []
        self.completed: list[UserMessage] = []
        self.started = asyncio.Event()
        self.gate: asyncio.Event | None = None
        self.error: Exception | None = None

    def check_environment(self, name: str | None) -> None:
        if name not in {None, *ENVIRONMENTS}:
            raise NotFoundError("environment", str(name), ENVIRONMENTS)

    async def handle(self, message: UserMessage) -> list[BotMessage]:
        self.received.append(message)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        self.completed.append(message)
        return _answers(message)


class OtherApp:
    """The app the channel wraps: answers every request with its path, and records the
    lifespan events it gets, each with the channel's turns in progress at that moment."""

    def __init__(self) -> None:
        self.channel: SocketIOChannel | None = None
        self.lifespan: list[tuple[str, int]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                turns = self.channel.turns_in_progress if self.channel else 0
                self.lifespan.append((message["type"], turns))
                await send({"type": f"{message['type']}.complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        body = f"other app: {scope['path']}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def serving(channel: SocketIOChannel, other: OtherApp | None = None) -> AsyncIterator[str]:
    """``channel`` (wrapping ``other``) on a real uvicorn server on a free port."""
    other = other or OtherApp()
    other.channel = channel
    config = uvicorn.Config(
        channel.asgi_app(other), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(TIMEOUT_S):
        while not server.started:
            if task.done():
                task.result()  # raises the server's startup error
            await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Client:
    """A python-socketio client recording what the server sends it."""

    def __init__(self, namespace: str | None = None, bot_event: str = "bot_uttered") -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.namespace = namespace or "/"
        self.events: dict[str, asyncio.Queue[Any]] = {}
        for name in ("session_confirm", bot_event, "parley_error"):
            queue: asyncio.Queue[Any] = asyncio.Queue()
            self.events[name] = queue
            self.sio.on(name, _recorder(queue), namespace=self.namespace)
        self.bot_event = bot_event

    async def connect(self, url: str, path: str = "/socket.io") -> Client:
        await self.sio.connect(
            url, namespaces=[self.namespace], socketio_path=path, wait_timeout=TIMEOUT_S
        )
        return self

    async def emit(self, event: str, data: Any) -> None:
        await self.sio.emit(event, data, namespace=self.namespace)

    async def session(self, session_id: str | None = None) -> str:
        await self.emit("session_request", {"session_id": session_id})
        confirmed: str = await self.next("session_confirm")
        return confirmed

    async def say(self, text: str, session_id: str | None, **extra: Any) -> None:
        await self.emit("user_uttered", {"message": text, "session_id": session_id, **extra})

    async def next(self, event: str | None = None) -> Any:
        async with asyncio.timeout(TIMEOUT_S):
            return await self.events[event or self.bot_event].get()

    async def nothing(self, event: str | None = None, wait_s: float = 0.3) -> None:
        await asyncio.sleep(wait_s)
        assert self.events[event or self.bot_event].empty()

    async def close(self) -> None:
        await self.sio.disconnect()


def _recorder(queue: asyncio.Queue[Any]) -> Callable[..., Any]:
    async def record(data: Any = None) -> None:
        await queue.put(data)

    return record


@contextlib.asynccontextmanager
async def chat(
    options: SocketIOOptions | None = None, conversations: FakeConversations | None = None
) -> AsyncIterator[tuple[SocketIOChannel, FakeConversations, str]]:
    conversations = conversations or FakeConversations()
    channel = SocketIOChannel(conversations, options)
    async with serving(channel) as url:
        yield channel, conversations, url


# The session handshake.


async def test_session_request_confirms_the_given_session_id() -> None:
    async with chat() as (_, _conversations, url):
        client = await Client().connect(url)
        assert await client.session("abc-123") == "abc-123"
        await client.close()


@pytest.mark.parametrize("data", [{"session_id": None}, {}, None, "junk", {"session_id": ""}])
async def test_session_request_without_a_usable_id_gets_a_new_one(data: Any) -> None:
    async with chat() as (_, _conversations, url):
        client = await Client().connect(url)
        await client.emit("session_request", data)
        first = await client.next("session_confirm")
        other = await Client().connect(url)
        await other.emit("session_request", data)
        second = await other.next("session_confirm")
        assert isinstance(first, str)
        assert len(first) == 32
        assert first != second
        await client.close()
        await other.close()


async def test_a_too_long_session_id_is_replaced() -> None:
    async with chat() as (_, _conversations, url):
        client = await Client().connect(url)
        confirmed = await client.session("x" * 256)
        assert confirmed != "x" * 256
        await client.close()


# Turns.


async def test_user_uttered_becomes_a_user_message_and_the_answer_a_bot_uttered() -> None:
    async with chat() as (_, conversations, url):
        client = await Client().connect(url)
        session_id = await client.session()
        await client.say("hi", session_id, customData={"language": "en"})
        assert await client.next() == {"text": "echo: hi"}
        [message] = conversations.received
        assert message.text == "hi"
        assert message.sender_id == session_id
        assert message.input_channel == "socketio"
        assert message.metadata == {"language": "en"}
        assert message.environment is None
        await client.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "buttons",
            [
                {
                    "text": "Which size?",
                    "quick_replies": [
                        {
                            "content_type": "text",
                            "title": "Small",
                            "payload": '/inform{"size": "small"}',
                        },
                        {
                            "content_type": "text",
                            "title": "Large",
                            "payload": '/inform{"size": "large"}',
                        },
                    ],
                }
            ],
        ),
        (
            "image",
            [{"attachment": {"type": "image", "payload": {"src": "https://example.org/cup.png"}}}],
        ),
        ("custom", [{"kind": "map", "lat": 1.5}]),
        ("two", [{"text": "one"}, {"text": "two"}]),
    ],
)
async def test_rich_answers_arrive_as_the_widget_expects(text: str, expected: list[Any]) -> None:
    async with chat() as (_, _conversations, url):
        client = await Client().connect(url)
        session_id = await client.session()
        await client.say(text, session_id)
        assert [await client.next() for _ in expected] == expected
        await client.nothing()
        await client.close()


async def test_the_session_id_of_session_request_serves_messages_that_omit_it() -> None:
    async with chat() as (_, conversations, url):
        client = await Client().connect(url)
        session_id = await client.session("remembered")
        await client.emit("user_uttered", {"message": "hi"})
        assert await client.next() == {"text": "echo: hi"}
        assert conversations.received[0].sender_id == session_id
        await client.close()


async def test_custom_data_as_a_json_string_is_read_and_anything_else_dropped() -> None:
    async with chat() as (_, conversations, url):
        client = await Client().connect(url)
        session_id = await client.session()
        await client.say("a", session_id, customData='{"userId": "7"}')
        await client.next()
        await client.say("b", session_id, customData=[1, 2])
        await client.next()
        assert [m.metadata for m in conversations.received] == [{"userId": "7"}, {}]
        await client.close()


async def test_the_environment_comes_from_the_socket_url() -> None:
    async with chat() as (_, conversations, url):
        client = await Client().connect(f"{url}?environment=development")
        await client.say("hi", await client.session())
        await client.next()
        assert conversations.received[0].environment == "development"
        await client.close()


async def test_an_unknown_environment_is_refused_at_connect() -> None:
    async with chat() as (_, conversations, url):
        client = Client()
        refusals: list[Any] = []
        client.sio.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(f"{url}?environment=staging")
        # The client learns why: the valid environments.
        assert "development, production" in str(refusals)
        assert conversations.received == []


# Options.


async def test_custom_event_names_namespace_and_path() -> None:
    options = SocketIOOptions(
        user_message_evt="user_says",
        bot_message_evt="bot_says",
        namespace="/chat",
        socketio_path="/rt/ws",
    )
    async with chat(options) as (_, conversations, url):
        client = await Client(namespace="/chat", bot_event="bot_says").connect(url, "/rt/ws")
        session_id = await client.session("s")
        await client.emit("user_uttered", {"message": "old name", "session_id": session_id})
        await client.emit("user_says", {"message": "hi", "session_id": session_id})
        assert await client.next() == {"text": "echo: hi"}
        assert [m.text for m in conversations.received] == ["hi"]
        await client.close()
        # The default namespace has no handlers: the server refuses to connect it.
        with pytest.raises(socketio.exceptions.ConnectionError):
            await Client().connect(url, "/rt/ws")
        # The default path is no longer socket.io: it reaches the wrapped app.
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{url}/socket.io/?EIO=4&transport=polling")
        assert answer.text == "other app: /socket.io/"


async def test_other_requests_reach_the_wrapped_app() -> None:
    async with chat() as (_, _conversations, url), httpx.AsyncClient() as http:
        answer = await http.get(f"{url}/health")
    assert answer.status_code == 200
    assert answer.text == "other app: /health"


def test_options_from_credentials() -> None:
    options = SocketIOOptions.from_credentials(
        {"user_message_evt": "u", "bot_message_evt": "b", "session_persistence": False}
    )
    assert (options.user_message_evt, options.bot_message_evt) == ("u", "b")
    assert options.session_persistence is False
    assert SocketIOOptions.from_credentials(None) == SocketIOOptions()


def test_unknown_or_bad_credentials_name_the_valid_keys() -> None:
    with pytest.raises(ConfigurationError, match=r"jwt_key.*valid keys are: user_message_evt"):
        SocketIOOptions.from_credentials({"jwt_key": "secret"})
    with pytest.raises(ConfigurationError, match="must start with '/': write '/chat'"):
        SocketIOOptions.from_credentials({"namespace": "chat"})


# Session persistence.


async def test_sockets_of_one_session_share_its_answers_and_a_reconnect_rejoins() -> None:
    async with chat() as (_, conversations, url):
        first = await Client().connect(url)
        second = await Client().connect(url)
        assert await first.session("shared") == "shared"
        assert await second.session("shared") == "shared"
        await first.say("hi", "shared")
        assert await first.next() == {"text": "echo: hi"}
        assert await second.next() == {"text": "echo: hi"}

        await first.close()
        again = await Client().connect(url)
        assert await again.session("shared") == "shared"
        await second.say("still here", "shared")
        assert await again.next() == {"text": "echo: still here"}
        assert await second.next() == {"text": "echo: still here"}
        assert {m.sender_id for m in conversations.received} == {"shared"}
        await second.close()
        await again.close()


async def test_a_new_session_request_leaves_the_old_room() -> None:
    async with chat() as (_, _conversations, url):
        mover = await Client().connect(url)
        stayer = await Client().connect(url)
        await mover.session("old")
        await stayer.session("old")
        await mover.session("new")
        await stayer.say("hi", "old")
        await stayer.next()
        await mover.nothing()
        await mover.close()
        await stayer.close()


async def test_without_persistence_each_socket_is_its_own_conversation() -> None:
    options = SocketIOOptions(session_persistence=False)
    async with chat(options) as (_, conversations, url):
        first = await Client().connect(url)
        second = await Client().connect(url)
        await first.session("same")
        await second.session("same")
        await first.say("hi", "same")
        assert await first.next() == {"text": "echo: hi"}
        await second.nothing()
        assert conversations.received[0].sender_id == first.sio.get_sid("/")
        await first.close()
        await second.close()


# What goes wrong.


@pytest.mark.parametrize(
    "data",
    [
        "hi",
        ["hi"],
        None,
        {"message": None, "session_id": "s"},
        {"message": 42, "session_id": "s"},
        {"message": {"text": "hi"}, "session_id": "s"},
    ],
)
async def test_malformed_messages_are_logged_and_the_connection_kept(
    data: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with chat() as (_, conversations, url):
        client = await Client().connect(url)
        await client.session("s")
        with caplog.at_level(logging.WARNING, logger="parley.channels.socketio"):
            await client.emit("user_uttered", data)
            await client.nothing()
        assert "ignored" in caplog.text
        assert conversations.received == []
        await client.say("hi", "s")
        assert await client.next() == {"text": "echo: hi"}
        await client.close()


async def test_the_empty_opening_of_a_widget_without_init_payload_is_ignored_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with chat() as (_, conversations, url):
        client = await Client().connect(url)
        session_id = await client.session()
        with caplog.at_level(logging.INFO, logger="parley.channels.socketio"):
            # What rasa-webchat sends on a new session when it has no initPayload.
            await client.emit("user_uttered", {"customData": {}, "session_id": session_id})
            await client.nothing()
        assert caplog.text == ""
        assert conversations.received == []
        await client.close()


async def test_with_persistence_a_message_needs_a_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with chat() as (_, conversations, url):
        client = await Client().connect(url)
        with caplog.at_level(logging.WARNING, logger="parley.channels.socketio"):
            await client.emit("user_uttered", {"message": "hi"})
            await client.nothing()
        assert "never sent session_request" in caplog.text
        assert conversations.received == []
        await client.close()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ServiceError("the model is loading"), "unavailable"),
        (StorageError("database away"), "unavailable"),
        (RuntimeError("bug"), "internal"),
    ],
)
async def test_a_turn_that_fails_sends_an_error_event_not_a_bot_message(
    error: Exception, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    conversations = FakeConversations()
    conversations.error = error
    async with chat(conversations=conversations) as (_, _conversations, url):
        client = await Client().connect(url)
        await client.say("hi", await client.session())
        with caplog.at_level(logging.WARNING, logger="parley.channels.socketio"):
            problem = await client.next("parley_error")
        assert problem["error"] == code
        assert "bug" not in problem["message"]  # internals stay in the log
        await client.nothing()
        assert str(error) in caplog.text
        # The connection stays, and the next turn is answered.
        conversations.error = None
        await client.say("again", await client.session())
        assert await client.next() == {"text": "echo: again"}
        await client.close()


async def test_a_client_leaving_mid_turn_lets_the_turn_finish_and_the_server_serve() -> None:
    conversations = FakeConversations()
    conversations.gate = asyncio.Event()
    async with chat(conversations=conversations) as (channel, _conversations, url):
        leaver = await Client().connect(url)
        await leaver.say("bye", await leaver.session("leaver"))
        async with asyncio.timeout(TIMEOUT_S):
            await conversations.started.wait()
        assert channel.turns_in_progress == 1
        await leaver.close()
        conversations.gate.set()
        async with asyncio.timeout(TIMEOUT_S):
            await channel.drain()
        assert [m.text for m in conversations.completed] == ["bye"]
        assert channel.turns_in_progress == 0

        stayer = await Client().connect(url)
        await stayer.say("hi", await stayer.session())
        assert await stayer.next() == {"text": "echo: hi"}
        await stayer.close()


async def test_a_message_read_after_its_client_left_is_dropped_whole(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # python-socketio runs the handler in a task of its own, which can start after the
    # disconnect was processed; the handler is called directly to pin that ordering.
    conversations = FakeConversations()
    channel = SocketIOChannel(conversations)
    with caplog.at_level(logging.INFO, logger="parley.channels.socketio"):
        await channel._on_user_message("gone-sid", {"message": "hi", "session_id": "s"})
    assert "left before its user_uttered was read" in caplog.text
    assert conversations.received == []


async def test_shutdown_lets_the_turns_in_progress_finish_before_the_app_stops() -> None:
    conversations = FakeConversations()
    conversations.gate = asyncio.Event()
    channel = SocketIOChannel(conversations)
    other = OtherApp()
    async with serving(channel, other) as url:
        leaver = await Client().connect(url)
        await leaver.say("bye", await leaver.session())
        async with asyncio.timeout(TIMEOUT_S):
            await conversations.started.wait()
        await leaver.close()
        # The server stops while the turn is held; the turn is let go a moment later.
        asyncio.get_running_loop().call_later(0.2, conversations.gate.set)
    assert [m.text for m in conversations.completed] == ["bye"]
    assert other.lifespan == [("lifespan.startup", 0), ("lifespan.shutdown", 0)]


async def test_a_shutdown_does_not_wait_forever(caplog: pytest.LogCaptureFixture) -> None:
    conversations = FakeConversations()
    conversations.gate = asyncio.Event()
    channel = SocketIOChannel(conversations)
    async with serving(channel) as url:
        client = await Client().connect(url)
        await client.say("stuck", await client.session())
        async with asyncio.timeout(TIMEOUT_S):
            await conversations.started.wait()
        await client.close()
        with caplog.at_level(logging.WARNING, logger="parley.channels.socketio"):
            await channel.shutdown(timeout_s=0.1)
        assert "1 socket.io turn(s) still running after 0.1 s" in caplog.text
        conversations.gate.set()


# The payloads themselves.


def test_a_bot_message_with_every_part_makes_events_in_rasas_order() -> None:
    message = BotMessage(
        recipient_id="u",
        text="Pick one",
        quick_replies=[{"title": "A", "payload": "/a"}],
        buttons=[{"title": "ignored", "payload": "/x"}],
        custom={"k": 1},
        image="https://example.org/i.png",
        attachment={"type": "video", "payload": {"src": "https://example.org/v.mp4"}},
        elements=[{"title": "card", "buttons": []}],
    )
    assert bot_uttered_payloads(message) == [
        {
            "text": "Pick one",
            "quick_replies": [{"content_type": "text", "title": "A", "payload": "/a"}],
        },
        {"k": 1},
        {"attachment": {"type": "image", "payload": {"src": "https://example.org/i.png"}}},
        {"attachment": {"type": "video", "payload": {"src": "https://example.org/v.mp4"}}},
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "generic",
                    "elements": [{"title": "card", "buttons": []}],
                },
            }
        },
    ]


def test_buttons_missing_a_title_or_payload_or_linking_out() -> None:
    message = BotMessage(
        recipient_id="u",
        # quick_replies is free-form (buttons are typed), so junk can reach the channel there.
        quick_replies=[{"payload": "/yes"}, {"title": "Docs", "url": "https://example.org"}, "x"],
    )
    assert bot_uttered_payloads(message) == [
        {
            "text": "",
            "quick_replies": [
                {"content_type": "text", "title": "/yes", "payload": "/yes"},
                {
                    "content_type": "text",
                    "title": "Docs",
                    "payload": "Docs",
                    "type": "web_url",
                    "url": "https://example.org",
                },
            ],
        }
    ]


def test_an_empty_bot_message_makes_no_event() -> None:
    assert bot_uttered_payloads(BotMessage(recipient_id="u")) == []
    assert bot_uttered_payloads(BotMessage(recipient_id="u", text="")) == []
