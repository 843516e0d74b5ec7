"""The socket.io channel, speaking the protocol of the ``rasa-webchat`` widget (Rasa's
``socketio`` channel) through python-socketio.

The conversation, as the widget drives it::

    client → session_request {session_id}        server → session_confirm "<session id>"
    client → user_uttered {message, session_id, customData}
                                                  server → bot_uttered {...}  (one per part)

With ``session_persistence`` (the default here; Rasa's default is off) the session id is the
conversation's ``sender_id`` and every socket that confirmed it joins a room of that name, so
a reload or a second tab with the same id gets the bot's answers. Without it, each socket is a
conversation of its own, named by its socket id. A session id is a bearer name: whoever knows
one can join that conversation, exactly as with Rasa.

Failures are kept inside the connection: a malformed event is logged and ignored; a turn the
server cannot answer (:class:`~parley.errors.ParleyError` from the conversations, such as the
database or the model being unavailable) sends ``error_evt`` to the client instead of a fake
bot message, because nothing of that turn is stored and the transcript must not show an
answer the conversation never had. A client that disconnects mid-turn does not stop the turn:
python-socketio runs each event in a task of its own, which finishes, is stored, and emits to
a room nobody is in any more (a no-op). :meth:`SocketIOChannel.drain` waits for those tasks.

The bot messages become events in :mod:`parley.channels.socketio_messages`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Literal
from urllib.parse import parse_qs

import socketio
from pydantic import Field, ValidationError, field_validator

from parley.channels.channel import Conversations
from parley.channels.socketio_messages import bot_uttered_payloads
from parley.core.messages import MAX_TEXT_LENGTH, UserMessage
from parley.core.model import Model
from parley.errors import ConfigurationError, NotFoundError, ParleyError

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application (the same shape as Starlette's ``ASGIApp``)."""

INPUT_CHANNEL = "socketio"
MAX_SESSION_ID_LENGTH = 255
"""Longer ids are refused: a session id becomes a ``sender_id``, a key the stores index."""

SHUTDOWN_TIMEOUT_S = 30.0
"""How long a shutdown waits for turns in progress (a turn's own calls have shorter limits)."""

_UNAVAILABLE = "the assistant cannot answer right now; please try again in a moment"


class SocketIOOptions(Model):
    """How the channel speaks socket.io; the keys of the ``socketio:`` section of Rasa's
    ``credentials.yml`` (see :meth:`from_credentials`)."""

    user_message_evt: str = Field("user_uttered", min_length=1)
    bot_message_evt: str = Field("bot_uttered", min_length=1)
    namespace: str | None = None
    """The socket.io namespace (``/chat``); ``None`` is the default namespace ``/``."""
    socketio_path: str = "/socket.io"
    session_persistence: bool = True
    metadata_key: str = Field("customData", min_length=1)
    """The key of ``user_uttered`` whose object becomes the message's ``metadata``."""
    cors_allowed_origins: Literal["*"] | list[str] = "*"
    """Origins whose pages may connect. Any by default: the widget is made to be embedded in
    other sites' pages, and the channel trusts no cookie, so an origin grants nothing."""
    error_evt: str | None = "parley_error"
    """Sent when a turn cannot be answered (``{"error": "unavailable" | "internal",
    "message": ...}``); ``None`` sends nothing. The widget ignores it."""

    @field_validator("namespace", "socketio_path")
    @classmethod
    def _starts_with_slash(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"must start with '/': write '/{value}'")
        return value

    @classmethod
    def from_credentials(cls, section: Mapping[str, Any] | None) -> SocketIOOptions:
        """Options from the ``socketio:`` section of a ``credentials.yml`` (``None`` when the
        section is there but empty). Unknown keys are refused rather than ignored: Rasa's
        ``jwt_key``, say, would otherwise look like authentication that is not there."""
        try:
            return cls.model_validate(dict(section or {}))
        except ValidationError as error:
            valid = ", ".join(cls.model_fields)
            problems = "; ".join(
                f"{'.'.join(str(part) for part in e['loc']) or 'socketio'}: {e['msg']}"
                for e in error.errors()
            )
            raise ConfigurationError(
                f"the socketio channel's credentials are invalid ({problems}); "
                f"valid keys are: {valid}"
            ) from None


class SocketIOChannel:
    """Serves ``conversations`` to socket.io clients such as ``rasa-webchat``.

    ``client_manager`` is python-socketio's manager of rooms and emits; give an
    ``AsyncRedisManager`` so that replicas behind a load balancer share rooms (the default
    keeps them in this process). Mount it in front of the HTTP app with :meth:`asgi_app`.
    """

    def __init__(
        self,
        conversations: Conversations,
        options: SocketIOOptions | None = None,
        *,
        client_manager: socketio.AsyncManager | None = None,
    ) -> None:
        self.conversations = conversations
        self.options = options or SocketIOOptions()
        self.server: socketio.AsyncServer = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=client_manager,
            cors_allowed_origins=self.options.cors_allowed_origins,
            # Only the channel's namespace: python-socketio accepts "/" too unless told.
            namespaces=[self.options.namespace or "/"],
        )
        self._turns: set[asyncio.Task[Any]] = set()
        self._shut_down = False
        namespace = self.options.namespace
        self.server.on("connect", self._on_connect, namespace=namespace)
        self.server.on("session_request", self._on_session_request, namespace=namespace)
        self.server.on(self.options.user_message_evt, self._on_user_message, namespace=namespace)

    def asgi_app(self, other_asgi_app: ASGIApp | None = None) -> ASGIApp:
        """An ASGI app answering socket.io at ``socketio_path`` and passing every other
        request, and the lifespan events, to ``other_asgi_app``.

        At the lifespan's shutdown the channel runs :meth:`shutdown` first, then lets
        ``other_asgi_app`` shut down: the turns still running need what that app closes."""
        if other_asgi_app is None:
            bare: ASGIApp = socketio.ASGIApp(
                self.server, socketio_path=self.options.socketio_path, on_shutdown=self.shutdown
            )
            return bare
        # python-socketio forwards the lifespan only when it has no hooks of its own, so the
        # channel's shutdown is slipped into the receive channel of the wrapped app instead.
        serving: ASGIApp = socketio.ASGIApp(
            self.server, other_asgi_app=other_asgi_app, socketio_path=self.options.socketio_path
        )

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "lifespan":
                await serving(scope, receive, send)
                return

            async def receive_after_shutdown() -> Message:
                message = await receive()
                if message.get("type") == "lifespan.shutdown":
                    await self.shutdown()
                return message

            await other_asgi_app(scope, receive_after_shutdown, send)

        return app

    async def shutdown(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> None:
        """Wait (up to ``timeout_s``) for the turns in progress, whose clients may have gone,
        so that they finish and are stored; then stop python-socketio's background tasks.
        Only the first call does anything."""
        if self._shut_down:
            return
        self._shut_down = True
        if self._turns:
            logger.info("waiting for %d socket.io turn(s) in progress", len(self._turns))
            # asyncio.wait, not a timeout around gather: a timeout would cancel the turns.
            _, running = await asyncio.wait(set(self._turns), timeout=timeout_s)
            if running:
                logger.warning(
                    "%d socket.io turn(s) still running after %s s; stopping without them",
                    len(running),
                    timeout_s,
                )
        await self.server.shutdown()

    async def drain(self) -> None:
        """Wait for the turns in progress (a turn whose client has gone still finishes)."""
        while self._turns:
            await asyncio.wait(set(self._turns))

    @property
    def turns_in_progress(self) -> int:
        return len(self._turns)

    async def _on_connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
        # ``?environment=`` on the socket URL names the environment its messages are for.
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        environment = query.get("environment", [None])[-1] or None
        try:
            self.conversations.check_environment(environment)
        except NotFoundError as error:
            # Refused at once, with the valid names, rather than failing every message.
            raise socketio.exceptions.ConnectionRefusedError(str(error)) from None
        await self.server.save_session(
            sid, {"environment": environment, "session_id": None}, namespace=self.options.namespace
        )
        logger.debug("socket.io client %s connected", sid)

    async def _on_session_request(self, sid: str, data: Any = None) -> None:
        requested = data.get("session_id") if isinstance(data, Mapping) else None
        if requested is not None and _valid_session_id(requested) is None:
            logger.warning(
                "socket.io client %s asked for an invalid session id %.80r; "
                "it gets a new one (a session id is a non-empty string of at most %d characters)",
                sid,
                requested,
                MAX_SESSION_ID_LENGTH,
            )
        session_id = _valid_session_id(requested) or uuid.uuid4().hex
        await self._join(sid, session_id)
        await self.server.emit(
            "session_confirm", session_id, to=sid, namespace=self.options.namespace
        )

    async def _on_user_message(self, sid: str, data: Any = None) -> None:
        message = await self._user_message(sid, data)
        if message is None:
            return
        task = asyncio.current_task()
        if task is not None:
            self._turns.add(task)
        try:
            await self._answer(message)
        finally:
            if task is not None:
                self._turns.discard(task)

    async def _user_message(self, sid: str, data: Any) -> UserMessage | None:
        """The message ``data`` asks for; ``None`` (logged) when it is malformed."""
        event = self.options.user_message_evt
        if not isinstance(data, Mapping):
            logger.warning(
                "socket.io client %s sent %s with a %s instead of an object; ignored",
                sid,
                event,
                type(data).__name__,
            )
            return None
        text = data.get("message")
        if text is None and "message" not in data:
            # rasa-webchat opens every new session so when it has no initPayload to send.
            logger.debug("socket.io client %s sent %s without a message; ignored", sid, event)
            return None
        if not isinstance(text, str):
            logger.warning(
                "socket.io client %s sent %s whose 'message' is not a string (%s); ignored",
                sid,
                event,
                type(text).__name__,
            )
            return None
        if len(text) > MAX_TEXT_LENGTH:
            logger.warning(
                "socket.io client %s sent %s of %d characters, over the limit of %d; ignored",
                sid,
                event,
                len(text),
                MAX_TEXT_LENGTH,
            )
            return None
        session = await self._session(sid)
        if session is None:
            logger.info("socket.io client %s left before its %s was read; dropped", sid, event)
            return None
        if self.options.session_persistence:
            sender_id = _valid_session_id(data.get("session_id")) or session.get("session_id")
            if sender_id is None:
                logger.warning(
                    "socket.io client %s sent %s without a valid session_id and never sent "
                    "session_request; ignored (the client must ask for a session first)",
                    sid,
                    event,
                )
                return None
            # A client may name its session in the message alone; it must get the answers.
            await self._join(sid, sender_id)
        else:
            sender_id = sid
        return UserMessage(
            text=text,
            sender_id=sender_id,
            metadata=self._metadata(sid, data.get(self.options.metadata_key)),
            input_channel=INPUT_CHANNEL,
            environment=session.get("environment"),
        )

    def _metadata(self, sid: str, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if isinstance(value, str):
            # Some clients send customData as a JSON string; Rasa reads it too.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        if isinstance(value, Mapping):
            return dict(value)
        logger.warning(
            "socket.io client %s sent %s that is not an object; the message goes without it",
            sid,
            self.options.metadata_key,
        )
        return {}

    async def _answer(self, message: UserMessage) -> None:
        room = message.sender_id
        try:
            replies = await self.conversations.handle(message)
        except ParleyError as error:
            logger.warning("socket.io turn of %s not answered: %s", room, error)
            await self._emit_error(room, "unavailable")
            return
        except Exception:
            logger.exception("socket.io turn of %s failed", room)
            await self._emit_error(room, "internal")
            return
        try:
            for reply in replies:
                for payload in bot_uttered_payloads(reply):
                    await self.server.emit(
                        self.options.bot_message_evt,
                        payload,
                        to=room,
                        namespace=self.options.namespace,
                    )
        except Exception:
            # The turn is stored already; a manager that cannot publish (Redis away) loses
            # the delivery only, which the client recovers by reloading the conversation.
            logger.exception("socket.io answers to %s could not be delivered", room)

    async def _emit_error(self, room: str, code: str) -> None:
        if self.options.error_evt is None:
            return
        try:
            await self.server.emit(
                self.options.error_evt,
                {"error": code, "message": _UNAVAILABLE},
                to=room,
                namespace=self.options.namespace,
            )
        except Exception:
            logger.exception("socket.io error event to %s could not be delivered", room)

    async def _session(self, sid: str) -> dict[str, Any] | None:
        """The state kept for socket ``sid``; ``None`` once it has disconnected (python-socketio
        runs each event in a task of its own, which may start after the client has left)."""
        try:
            session: dict[str, Any] = await self.server.get_session(
                sid, namespace=self.options.namespace
            )
        except KeyError:
            return None
        return session

    async def _join(self, sid: str, session_id: str) -> None:
        namespace = self.options.namespace
        session = await self._session(sid)
        if session is None:
            return
        previous = session.get("session_id")
        if previous == session_id:
            return
        session["session_id"] = session_id
        await self.server.save_session(sid, session, namespace=namespace)
        if not self.options.session_persistence:
            return
        if previous is not None:
            await self.server.leave_room(sid, previous, namespace=namespace)
        await self.server.enter_room(sid, session_id, namespace=namespace)


def _valid_session_id(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= MAX_SESSION_ID_LENGTH:
        return value
    return None


__all__ = ["ASGIApp", "SocketIOChannel", "SocketIOOptions", "bot_uttered_payloads"]
