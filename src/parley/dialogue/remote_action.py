"""Custom actions run on an action server (Rasa SDK webhook protocol).

The request is ``{next_action, sender_id, tracker, domain, version}`` with the tracker in
Rasa's JSON; the reply ``{events, responses}``. Responses become ``bot`` events first (a
``response`` key names a domain response, filled with the other keys as values), then the
returned events follow, exactly as sent. A 400 ``{action_name, error}`` is a rejection.
"""

from __future__ import annotations

from typing import Any

from parley.core.events import Event, events_from_rasa
from parley.core.tracker import Tracker
from parley.dialogue.actions import Action, ActionContext, bot_event
from parley.errors import ActionError, ActionServerError, EventError


class RemoteAction(Action):
    def run(self, tracker: Tracker, context: ActionContext) -> list[Event]:
        if context.action_client is None:
            raise ActionServerError(
                f"custom action {self.name!r} needs an action server, and none is configured; "
                "set the action endpoint (endpoints.yml `action_endpoint: url:`, or "
                "PARLEY_ACTION_ENDPOINT)"
            )
        payload = {
            "next_action": self.name,
            "sender_id": tracker.sender_id,
            "tracker": tracker.to_rasa(events="all"),
            "domain": context.domain_json,
            "version": context.sdk_version,
        }
        reply = context.action_client.run(payload)
        return self.reply_events(reply, tracker, context)

    def reply_events(self, reply: Any, tracker: Tracker, context: ActionContext) -> list[Event]:
        if not isinstance(reply, dict):
            raise ActionServerError(
                f"the action server answered {self.name!r} with {type(reply).__name__}, "
                "not a JSON object with `events` and `responses`"
            )
        responses = reply.get("responses") or []
        if not isinstance(responses, list):
            raise ActionServerError(
                f"the action server's `responses` for {self.name!r} is not a list"
            )
        said: list[Event] = []
        for response in responses:
            if not isinstance(response, dict):
                raise ActionServerError(
                    f"the action server's responses for {self.name!r} hold a non-object"
                )
            said.extend(_said(dict(response), tracker, context))
        try:
            returned = events_from_rasa(reply.get("events") or [])
        except EventError as error:
            raise ActionError(
                f"custom action {self.name!r} returned an event Parley cannot read: {error}"
            ) from None
        return [*said, *returned]


def _said(response: dict[str, Any], tracker: Tracker, context: ActionContext) -> list[Event]:
    name = response.pop("response", None) or response.pop("template", None)
    draft: dict[str, Any] = {}
    if name:
        values = {k: v for k, v in response.items() if k not in {"buttons", "text"}}
        generated = context.responses.generate(name, tracker.slots, context.channel, **values)
        if generated is None:
            return []
        draft = generated
    buttons = response.pop("buttons", None) or []
    if buttons:
        draft.setdefault("buttons", []).extend(buttons)
    if "json_message" in response:
        response["custom"] = response.pop("json_message")
    draft.update({key: value for key, value in response.items() if value})
    return [bot_event(draft, response=name or None)]
