"""An in-memory twin of the action server, for unit tests of the dialogue engine.

:class:`FakeActionServer` is an :class:`parley.core.ports.ActionClient`: it maps action names
to Python callables that take the Rasa SDK request payload (``{next_action, sender_id,
tracker, domain, version}``) and return the reply (``{events, responses}``), or raise
:class:`~parley.errors.ActionRejectedError` (the server's HTTP 400) or
:class:`~parley.errors.ActionServerError` (down, too slow, nonsense), as the real client
does. It records every request, so tests can read what Parley sent. The real ``rasa-sdk``
server is exercised by the integration tests (``tests/support/action_server.py``).

Typical use::

    server = FakeActionServer({"action_hello": lambda request: reply(text="Hi!")})
    agent = Agent(dialogue, action_client=server)
    ...
    assert server.called == ["action_hello"]
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from parley.errors import ActionRejectedError, ActionServerError

Request = dict[str, Any]
Reply = dict[str, Any]
Handler = Callable[[Request], Reply]


class FakeActionServer:
    """Runs custom actions in process; unknown names fail as a real server's 404 does."""

    def __init__(self, actions: Mapping[str, Handler] | None = None) -> None:
        self.actions: dict[str, Handler] = dict(actions or {})
        self.requests: list[Request] = []

    def __setitem__(self, name: str, handler: Handler) -> None:
        self.actions[name] = handler

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        # The real client sends JSON: a payload that does not survive it is a bug.
        request: Request = json.loads(json.dumps(payload))
        self.requests.append(request)
        name = request.get("next_action")
        handler = self.actions.get(name) if isinstance(name, str) else None
        if handler is None:
            known = ", ".join(sorted(self.actions)) or "(none)"
            raise ActionServerError(
                f"the action server has no action {name!r} (HTTP 404); it knows: {known}"
            )
        answer = handler(copy.deepcopy(request))
        # Passed on as sent, a reply that is not an object too: the engine checks it.
        return cast(dict[str, Any], json.loads(json.dumps(answer)))

    @property
    def called(self) -> list[str]:
        """The names of the actions requested, in order."""
        return [str(request.get("next_action")) for request in self.requests]

    def requests_for(self, name: str) -> list[Request]:
        return [request for request in self.requests if request.get("next_action") == name]

    def last_request(self, name: str) -> Request:
        found = self.requests_for(name)
        assert found, f"{name} was never requested; requested: {self.called}"
        return found[-1]


# -- replies -----------------------------------------------------------------------------


def reply(
    *events: Mapping[str, Any],
    text: str | None = None,
    responses: Iterable[Mapping[str, Any]] = (),
) -> Reply:
    """A reply: these events, and ``responses`` (plus one with ``text`` when given)."""
    said = [dict(response) for response in responses]
    if text is not None:
        said.append({"text": text})
    return {"events": [dict(event) for event in events], "responses": said}


def answers(*events: Mapping[str, Any], text: str | None = None) -> Handler:
    """A handler that always gives the same reply."""
    fixed = reply(*events, text=text)
    return lambda request: copy.deepcopy(fixed)


def rejects(error: str = "cannot run now") -> Handler:
    """A handler that refuses to run, as a server answering HTTP 400 does."""

    def handler(request: Request) -> Reply:
        raise ActionRejectedError(str(request["next_action"]), error)

    return handler


def fails(reason: str = "connection refused") -> Handler:
    """A handler for a server that is down, too slow, or answers an error status."""

    def handler(request: Request) -> Reply:
        raise ActionServerError(
            f"the action server did not answer {request['next_action']!r}: {reason}"
        )

    return handler


# -- Rasa event JSON, as rasa-sdk writes it ----------------------------------------------


def slot_set(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def followup(name: str) -> dict[str, Any]:
    return {"event": "followup", "timestamp": None, "name": name}


def active_loop(name: str | None) -> dict[str, Any]:
    return {"event": "active_loop", "timestamp": None, "name": name}


# -- reading a request as rasa-sdk does --------------------------------------------------


def slots_to_validate(request: Request) -> dict[str, Any]:
    """The slot candidates a validation action gets: the ``slot`` events at the end of the
    tracker's events (rasa-sdk's ``Tracker.slots_to_validate``)."""
    events = request["tracker"]["events"]
    count = 0
    for event in reversed(events):
        if event.get("event") != "slot":
            break
        count += 1
    tail = events[len(events) - count :] if count else []
    return {event["name"]: event["value"] for event in tail}


def latest_intent(request: Request) -> str | None:
    intent = request["tracker"]["latest_message"].get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None
