"""An action server speaking the Rasa SDK webhook protocol (``rasa run actions``, or any
server that answers like it), reached as Rasa reaches it through ``endpoints.yml``'s
``action_endpoint``.

The request is a JSON POST of ``{next_action, sender_id, tracker, domain, version}`` to the
webhook URL; the reply is ``{events, responses}``. HTTP 400 ``{action_name, error}`` means the
action refused to run; the Rasa SDK answers 404 ``{action_name, error}`` for an action it does
not have. As in Rasa's ``EndpointConfig``, a ``token`` is sent as the query parameter
``token_name`` (``token`` by default), beside any ``params``; ``headers`` and ``basic_auth``
go with every request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from parley.clients import failures
from parley.errors import ActionRejectedError, ActionServerError

_REPLY_LISTS = ("events", "responses")


class HttpActionClient:
    """Implements :class:`parley.core.ports.ActionClient` over HTTP. A 400 rejection raises
    :class:`ActionRejectedError`; every other failure (refused connection, timeout, another
    error status, a reply that is not the Rasa SDK's JSON) raises :class:`ActionServerError`
    naming the action, the server and what to do."""

    def __init__(
        self,
        url: str,
        timeout: float = 10.0,
        *,
        token: str | None = None,
        token_name: str = "token",
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        query = dict(params or {})
        if token:
            query[token_name] = token
        self._at = f"the action server at {failures.without_secrets(url)}"
        options: dict[str, Any] = {
            "timeout": timeout,
            "params": query,
            "headers": dict(headers or {}),
            "auth": basic_auth,
        }
        self._client = httpx.Client(transport=transport, **options)
        self._async_options = options
        self._async_client: httpx.AsyncClient | None = None

    def close(self) -> None:
        self._client.close()

    async def aclose(self) -> None:
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    def __enter__(self) -> HttpActionClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        action, at = _action_name(payload), self._at
        with self._failures(action, at):
            response = self._client.post(self.url, json=payload)
        return self._answer(response, action, at)

    async def run_async(self, payload: dict[str, Any]) -> dict[str, Any]:
        """:meth:`run` for an event loop: the server awaits the action server instead of
        blocking while it works."""
        action, at = _action_name(payload), self._at
        if self._async_client is None:
            # Made on first use, inside the loop it belongs to.
            self._async_client = httpx.AsyncClient(**self._async_options)
        with self._failures(action, at):
            response = await self._async_client.post(self.url, json=payload)
        return self._answer(response, action, at)

    @contextmanager
    def _failures(self, action: str, at: str) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException as error:
            raise ActionServerError(
                f"{at} did not answer custom action {action!r} within {self.timeout:g} s "
                f"({type(error).__name__}); make the action faster, or raise the timeout "
                "(actions.timeout, PARLEY_ACTIONS__TIMEOUT)"
            ) from error
        except httpx.HTTPError as error:
            raise ActionServerError(
                f"{at} cannot be reached to run custom action {action!r} "
                f"({failures.cause(error)}); start the action server (`rasa run actions`), or "
                "fix its URL (PARLEY_ACTION_ENDPOINT, or endpoints.yml `action_endpoint: url:`)"
            ) from error

    def _answer(self, response: httpx.Response, action: str, at: str) -> dict[str, Any]:
        status = response.status_code
        if status == httpx.codes.BAD_REQUEST:
            raise _rejection(response, action, at)
        if status == httpx.codes.NOT_FOUND:
            raise _not_found(response, action, at)
        if status != httpx.codes.OK:
            raise ActionServerError(
                f"{at} answered HTTP {status} to custom action {action!r}: "
                f"{failures.excerpt(response)}; its log tells why"
            )
        return _reply(response, action, at)


def _action_name(payload: dict[str, Any]) -> str:
    return str(payload.get("next_action", "?"))


def _reply(response: httpx.Response, action: str, at: str) -> dict[str, Any]:
    body = _json(response)
    if body is None:
        raise ActionServerError(
            f"{at} answered custom action {action!r} with something that is not JSON: "
            f"{failures.excerpt(response)}; is the URL the action server's webhook?"
        )
    if not isinstance(body, dict) or any(
        key in body and not isinstance(body[key], list) for key in _REPLY_LISTS
    ):
        raise ActionServerError(
            f"{at} answered custom action {action!r} with JSON that is not a Rasa SDK reply "
            f"(an object whose `events` and `responses` are lists): {failures.excerpt(response)}"
        )
    return body


def _rejection(
    response: httpx.Response, action: str, at: str
) -> ActionRejectedError | ActionServerError:
    body = _json(response)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        name = body.get("action_name")
        return ActionRejectedError(
            name if isinstance(name, str) and name else action, body["error"]
        )
    return ActionServerError(
        f"{at} answered HTTP 400 to custom action {action!r} without the Rasa SDK's "
        f"`{{action_name, error}}`: {failures.excerpt(response)}"
    )


def _not_found(response: httpx.Response, action: str, at: str) -> ActionServerError:
    body = _json(response)
    if isinstance(body, dict) and "action_name" in body:
        return ActionServerError(
            f"{at} has no action named {action!r}; implement it on the action server (an "
            f"Action whose name() returns {action!r}), or remove it from the domain's actions"
        )
    return ActionServerError(
        f"{at} answered HTTP 404 to custom action {action!r}: {failures.excerpt(response)}; check "
        "the URL: the Rasa SDK's webhook is at /webhook (e.g. http://localhost:5055/webhook)"
    )


def _json(response: httpx.Response) -> Any:
    """The body's JSON; None when it is not JSON (a JSON ``null`` is no reply either)."""
    try:
        return response.json()
    except ValueError:  # JSONDecodeError and undecodable bytes
        return None
