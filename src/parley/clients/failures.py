"""How the HTTP clients describe a failed exchange in their error messages: the cause of a
transport error, an excerpt of a reply, and a URL without what must not be shown."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import httpx

EXCERPT = 200
"""Characters of a reply's body quoted in a message."""


def cause(error: httpx.HTTPError) -> str:
    return str(error) or type(error).__name__


def excerpt(response: httpx.Response) -> str:
    text = response.text
    more = "…" if len(text) > EXCERPT else ""
    return repr(text[:EXCERPT]) + more if text else "(an empty body)"


def without_secrets(url: str) -> str:
    """``url`` as messages show it: no password, no query (it may carry a token)."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        user = f"{parts.username}@" if parts.username else ""
    except ValueError:
        return url
    return urlunsplit(parts._replace(netloc=user + host, query="", fragment=""))
