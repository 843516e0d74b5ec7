"""The URL-valued setting types, each with the check that says what is wrong with a bad one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator

from parley.settings.marker import Allowed


@dataclass(frozen=True)
class UrlRule:
    """Checks a URL's scheme, host and port; with ``drivers``, ``scheme+driver`` is accepted."""

    schemes: tuple[str, ...]
    hostless: tuple[str, ...] = ()
    drivers: bool = False
    strip_slash: bool = False

    def __call__(self, value: str) -> str:
        text = value.strip()
        if any(char.isspace() for char in text):
            raise ValueError("a URL cannot contain spaces")
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        base = scheme.split("+", 1)[0] if self.drivers else scheme
        if not scheme or "://" not in text:
            raise ValueError(f"it is not a URL; write it as {self._example()}")
        if base not in self.schemes:
            raise ValueError(f"the scheme {scheme!r} is not supported; use {self._example()}")
        if base not in self.hostless and not parts.hostname:
            raise ValueError(f"the URL has no host; write it as {self._example()}")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked for it
        except ValueError:
            raise ValueError("the port is not a number from 0 to 65535") from None
        return text.rstrip("/") if self.strip_slash else text

    def _example(self) -> str:
        driver = " (optionally with a driver, e.g. postgresql+psycopg)" if self.drivers else ""
        return " or ".join(f"{scheme}://…" for scheme in self.schemes) + driver


HttpUrl = Annotated[
    str,
    AfterValidator(UrlRule(("http", "https"), strip_slash=True)),
    Allowed("`http://` or `https://` URL"),
]
DatabaseUrl = Annotated[
    str,
    AfterValidator(
        UrlRule(
            ("sqlite", "postgresql", "postgres"), hostless=("sqlite", "postgresql"), drivers=True
        )
    ),
    Allowed("`sqlite:///PATH` or `postgresql://USER:PASSWORD@HOST:PORT/DB` URL"),
]
RedisUrl = Annotated[
    str,
    AfterValidator(UrlRule(("redis", "rediss", "unix"), hostless=("unix",))),
    Allowed("`redis://`, `rediss://` or `unix://` URL"),
]
MailUrl = Annotated[
    str,
    AfterValidator(UrlRule(("smtp", "smtps"))),
    Allowed("`smtp://USER:PASSWORD@HOST:PORT` or `smtps://…` URL"),
]


def _check_origin(value: str) -> str:
    if value == "*":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(
            f"{value!r} is not a web origin; write `https://HOST[:PORT]` with no path, or `*`"
        )
    return value.rstrip("/")


WebOrigin = Annotated[str, AfterValidator(_check_origin)]
"""What a browser sends as ``Origin``: scheme, host and port, no path; ``*`` for any."""


def redact_url(text: str) -> str:
    """``text`` with the password of a URL replaced by ``***``; other text as it is."""
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return text
    if not password:
        return text
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
