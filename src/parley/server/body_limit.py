"""Refuses request bodies over a size limit with 413 before they are read into memory: a
client cannot make the server buffer a 10 MB body to parse it."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.server.errors import error_response


class BodyTooLargeError(HTTPException):
    """Raised while the body is read; an HTTPException, as FastAPI turns any other error
    while reading a body into a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message)


def _too_large(max_bytes: int, setting: str) -> str:
    return f"the request body is larger than {max_bytes} bytes, the limit (setting {setting})"


class BodyLimit:
    """``uploads`` matches the paths that take files (models, whole projects): their bodies
    may reach ``max_upload_bytes`` instead."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        uploads: re.Pattern[str] | None = None,
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.max_bytes, "server.max_body_size"
        if self.uploads is not None and self.uploads.fullmatch(scope.get("path", "")):
            limit, setting = self.max_upload_bytes, "server.max_upload_size"
        refusal = _too_large(limit, setting)
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, refusal)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError(refusal)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            # A chunked body without Content-Length went over the limit while being read.
            if not started:
                await self._refuse(scope, receive, send, refusal)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, message: str) -> None:
        await error_response(413, message)(scope, receive, send)
