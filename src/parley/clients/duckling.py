"""A Duckling HTTP server (``rasa/duckling`` or Facebook's ``duckling-example-exe``), reached
through its ``/parse`` endpoint, as Rasa's DucklingEntityExtractor reaches it.

The request is a form-encoded POST of ``text``, ``locale``, ``lang``, ``tz``, ``dims`` (a
JSON list; empty means every dimension) and ``reftime`` (milliseconds since the epoch). The
server falls back to its ``lang`` when it cannot read ``locale`` (``de`` alone, say), so the
locale's language is sent as ``lang`` too; otherwise it would fall back to English.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from parley.errors import DucklingError
from parley.nlu.duckling_engine import duckling_text

_REQUIRED = ("start", "end", "dim", "value")


class HttpDuckling:
    """Implements :class:`parley.core.ports.Duckling` over HTTP. Every failure (refused
    connection, timeout, an error status, a reply that is not Duckling's JSON) raises
    :class:`DucklingError` naming the server and the cause."""

    def __init__(
        self, url: str, timeout: float = 3.0, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/") + "/parse"
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpDuckling:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def parse(
        self,
        text: str,
        *,
        locale: str,
        timezone: str,
        dimensions: Sequence[str],
        reference_time: datetime,
    ) -> list[dict[str, Any]]:
        locale = locale.replace("-", "_")
        form = {
            "text": duckling_text(text),
            "locale": locale,
            "lang": locale.partition("_")[0],
            "tz": timezone,
            "dims": json.dumps(list(dimensions)),
            "reftime": str(int(reference_time.timestamp() * 1000)),
        }
        try:
            response = self._client.post(self.url, data=form)
        except httpx.TimeoutException as error:
            raise DucklingError(
                f"Duckling at {self.url} did not answer within {self.timeout:g} s"
            ) from error
        except httpx.HTTPError as error:
            raise DucklingError(
                f"Duckling at {self.url} cannot be reached ({error}); start it or fix "
                "PARLEY_DUCKLING_URL (unset, Duckling runs in-process)"
            ) from error
        if response.status_code != httpx.codes.OK:
            raise DucklingError(
                f"Duckling at {self.url} answered HTTP {response.status_code}: "
                f"{response.text[:200]!r}"
            )
        return _matches(response, self.url)


def _matches(response: httpx.Response, url: str) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError as error:  # JSONDecodeError and undecodable bytes
        raise DucklingError(
            f"Duckling at {url} answered something that is not JSON: {response.text[:200]!r}"
        ) from error
    if not isinstance(body, list) or not all(
        isinstance(match, dict)
        and all(key in match for key in _REQUIRED)
        and isinstance(match["start"], int)
        and isinstance(match["end"], int)
        and isinstance(match["value"], dict)
        for match in body
    ):
        raise DucklingError(
            f"Duckling at {url} answered JSON that is not a list of matches "
            f"({', '.join(_REQUIRED)}): {response.text[:200]!r}"
        )
    return body
