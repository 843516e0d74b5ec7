"""The platform HTTP API of a running server, as the commands that manage it call it.

:class:`ApiClient` finds the server (``--url``, else this machine's ``server.port``) and its
token (``--token``, else ``PARLEY_AUTH_TOKEN`` / ``auth.auth_token``), and turns every
failure into one red line and exit code 1: the server's own error message (Rasa's error body)
for a refusal, the address and ``parley run`` when nothing answers. httpx is imported on
first use so that ``parley --help`` does not wait for it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from urllib.parse import quote

import typer

from parley.cli import console
from parley.cli.config import settings_loader
from parley.settings import Settings

if TYPE_CHECKING:
    import httpx

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        metavar="URL",
        help="The server.  \\[default: http://127.0.0.1:<server.port>]",
        show_default=False,
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        metavar="TOKEN",
        help="The server's API token (the one `parley run` printed).  "
        "\\[default: PARLEY_AUTH_TOKEN]",
        show_default=False,
    ),
]
ProjectOption = Annotated[
    str, typer.Option("--project", metavar="NAME", help="The project on the server.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the server's JSON, for tools.")]

TOKEN_HINT = (
    "give the server's API token with --token or PARLEY_AUTH_TOKEN (`parley run` printed it "
    "when it started)"
)


def connect(
    ctx: typer.Context, url: str | None, token: str | None, *, timeout: float = 30.0
) -> ApiClient:
    """:meth:`ApiClient.from_options` with the settings this invocation loads."""
    return ApiClient.from_options(settings_loader(ctx).load(), url, token, timeout=timeout)


def segment(name: str | int) -> str:
    """``name`` as one segment of a URL path."""
    return quote(str(name), safe="")


class ApiClient:
    """Requests to one server, with its token; the paths are relative to ``base``, which
    may carry a path prefix."""

    def __init__(
        self,
        base: str,
        token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx  # noqa: PLC0415 - see the module docstring

        self.base = base.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base + "/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def from_options(
        cls, settings: Settings, url: str | None, token: str | None, *, timeout: float = 30.0
    ) -> ApiClient:
        """The client for ``--url`` and ``--token`` as given (None: from the settings); with
        no token anywhere, the command ends with exit code 2 and how to give one."""
        base = url or f"http://127.0.0.1:{settings.server.port}"
        if token is None and settings.auth.auth_token is not None:
            token = settings.auth.auth_token.get_secret_value()
        if not token:
            console.print_error(TOKEN_HINT)
            raise typer.Exit(2)
        return cls(base, token, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(
        self, method: str, path: str, *, expect: Iterable[int] = (200,), **options: Any
    ) -> httpx.Response:
        """The answer to ``method path`` (``options`` go to httpx); any status but ``expect``
        ends the command."""
        import httpx  # noqa: PLC0415

        try:
            response = self._client.request(method, path.lstrip("/"), **options)
        except httpx.HTTPError as error:
            self._unreachable(error)
        if response.status_code not in set(expect):
            self._refused(response)
        return response

    def json(
        self, method: str, path: str, *, expect: Iterable[int] = (200,), **options: Any
    ) -> Any:
        """The JSON the server answers ``method path`` with."""
        response = self.request(method, path, expect=expect, **options)
        try:
            return response.json()
        except ValueError:
            console.print_error(
                f"{self.base} answered {method} {path} with something that is not JSON; is "
                "it a Parley server? Give its address with --url"
            )
            raise typer.Exit(1) from None

    def download(self, path: str, target: Path) -> int:
        """Write the body of ``GET path`` to ``target`` (whole or not at all); its size."""
        import httpx  # noqa: PLC0415

        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                try:
                    with self._client.stream("GET", path.lstrip("/")) as response:
                        if response.status_code != httpx.codes.OK:
                            response.read()
                            self._refused(response)
                        for chunk in response.iter_bytes():
                            file.write(chunk)
                except httpx.HTTPError as error:
                    self._unreachable(error)
                size = file.tell()
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return size

    def _unreachable(self, error: httpx.HTTPError) -> NoReturn:
        console.print_error(
            f"no Parley server answered at {self.base} ({str(error) or type(error).__name__}); "
            "start one with `parley run`, or give its address with --url"
        )
        raise typer.Exit(1) from None

    def _refused(self, response: httpx.Response) -> NoReturn:
        status = response.status_code
        message = _message(response)
        if status == 401:
            message = f"{message}; {TOKEN_HINT}"
        console.print_error(f"{self.base} answered HTTP {status}: {message}")
        raise typer.Exit(1)


def _message(response: httpx.Response) -> str:
    """The message of Rasa's error body, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "reason", "detail"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    text = " ".join(response.text.split())
    return (text[:200] + "…" if len(text) > 200 else text) or response.reason_phrase


def when(timestamp: float | None) -> str:
    """A time of the API (seconds since the epoch) in the local time zone, to the minute."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def size(count: int) -> str:
    """A number of bytes for people: ``812 B``, ``4.2 MB``."""
    amount = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if amount < 1000:
            return f"{count} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} TB"
