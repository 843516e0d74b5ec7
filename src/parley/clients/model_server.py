"""A model server speaking Rasa's pull protocol (a Parley API, or Rasa X / Enterprise), which
a bot process polls to follow the model carrying a tag.

``GET {base}/api/projects/{project}/models/tags/{tag}`` with ``If-None-Match: "<fingerprint>"``
of the model held: 304 means it is still the one, 404 that no model carries the tag, 200 sends
the artifact with its fingerprint as the ``ETag``. Downloads land in a cache folder under their
fingerprint, written to a temporary file first so a broken transfer never leaves a partial
model where a loader would find it.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from parley.clients import failures
from parley.errors import ModelServerError
from parley.models.artifact import ARTIFACT_SUFFIX

_FINGERPRINT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
"""What a fingerprint may be: it becomes a file name, so no separators and no leading dot."""
_FIX_URL = "fix model_server.url (PARLEY_MODEL_SERVER_URL)"


@dataclass(frozen=True)
class Download:
    """A model the server sent: its fingerprint (the ETag) and where it now lies."""

    fingerprint: str
    path: Path


class Unchanged(enum.Enum):
    """The server still tags the model whose fingerprint was given."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


class ModelServerClient:
    """Fetches the model carrying a tag. Every failure (refused connection, timeout, a broken
    transfer, an error status, a reply without a usable ETag) raises
    :class:`ModelServerError` naming the URL and what to do; a failed download leaves nothing
    in ``cache_dir``, which keeps the newest ``keep`` models and deletes older ones."""

    def __init__(
        self,
        base_url: str,
        *,
        project: str = "default",
        token: str | None,
        cache_dir: Path,
        timeout: float = 60.0,
        keep: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.project = project
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.keep = keep
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=timeout, headers=headers, transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ModelServerClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def url(self, tag: str) -> str:
        project, tag = quote(self.project, safe=""), quote(tag, safe="")
        return f"{self.base_url}/api/projects/{project}/models/tags/{tag}"

    def fetch(self, tag: str, etag: str | None) -> Download | Unchanged | None:
        """The model carrying ``tag``: :data:`UNCHANGED` when it is the one whose fingerprint
        is ``etag``; None when no model carries the tag."""
        url = self.url(tag)
        shown = failures.without_secrets(url)
        headers = {"If-None-Match": f'"{etag}"'} if etag else {}
        answered = False
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                answered = True
                status = response.status_code
                if status == httpx.codes.NOT_MODIFIED:
                    return UNCHANGED
                if status == httpx.codes.NOT_FOUND:
                    return None
                if status != httpx.codes.OK:
                    response.read()
                    raise _refusal(response, shown)
                fingerprint = _fingerprint(response, shown)
                path = self._save(response, fingerprint, shown)
        except httpx.HTTPError as error:
            raise _failure(error, shown, self.timeout, answered=answered) from error
        self._prune()
        return Download(fingerprint=fingerprint, path=path)

    def _save(self, response: httpx.Response, fingerprint: str, shown: str) -> Path:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        target = self.cache_dir / f"{fingerprint}{ARTIFACT_SUFFIX}"
        handle, temporary = tempfile.mkstemp(dir=self.cache_dir, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                for chunk in response.iter_bytes():
                    file.write(chunk)
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit():
                received = response.num_bytes_downloaded
                if received != int(expected):
                    raise ModelServerError(
                        f"the model server at {shown} sent {received} of the {expected} bytes "
                        "of the model; nothing was kept, and the next pull tries again"
                    )
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return target

    def _prune(self) -> None:
        """Delete all but the ``keep`` most recently written models of the cache."""
        models = [path for path in self.cache_dir.glob(f"*{ARTIFACT_SUFFIX}") if path.is_file()]
        models.sort(key=lambda path: (path.stat().st_mtime, path.name), reverse=True)
        for old in models[self.keep :]:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()


def _fingerprint(response: httpx.Response, shown: str) -> str:
    """The ETag without its quotes and weak marker ``W/``."""
    etag: str | None = response.headers.get("ETag")
    if etag is None:
        raise ModelServerError(
            f"the model server at {shown} sent a model without an ETag, so it cannot be told "
            f"apart from the next one; is it a Parley (or Rasa X) server? If not, {_FIX_URL}"
        )
    fingerprint = etag.strip().removeprefix("W/").strip('"')
    if not _FINGERPRINT.match(fingerprint):
        raise ModelServerError(
            f"the model server at {shown} sent the ETag {etag!r}, which is not a model "
            f"fingerprint (letters, digits, '_', '-', '.'); is it a Parley (or Rasa X) server? "
            f"If not, {_FIX_URL}"
        )
    return fingerprint


def _failure(
    error: httpx.HTTPError, shown: str, timeout: float, *, answered: bool
) -> ModelServerError:
    cause = failures.cause(error)
    if answered:
        return ModelServerError(
            f"the model server at {shown} broke off sending the model ({cause}); nothing was "
            "kept, and the next pull tries again"
        )
    if isinstance(error, httpx.TimeoutException):
        return ModelServerError(
            f"the model server at {shown} did not answer within {timeout:g} s ({cause}); "
            f"check that it is up, or {_FIX_URL}"
        )
    return ModelServerError(
        f"the model server at {shown} cannot be reached ({cause}); start it, or {_FIX_URL}"
    )


def _refusal(response: httpx.Response, shown: str) -> ModelServerError:
    status = response.status_code
    if status in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
        fix = "set model_server.token (PARLEY_MODEL_SERVER__TOKEN) to the server's API token"
    else:
        fix = f"its log tells why; if it is not a Parley server, {_FIX_URL}"
    return ModelServerError(
        f"the model server at {shown} answered HTTP {status}: {failures.excerpt(response)}; {fix}"
    )
