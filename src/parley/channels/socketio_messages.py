"""A bot message as the ``bot_uttered`` events the ``rasa-webchat`` widget renders.

The widget recognises a message by its exact set of keys (a text message is an object with
``text`` alone; buttons are ``text`` plus ``quick_replies`` and nothing else), so these
payloads never carry ``recipient_id`` or any other field of :class:`BotMessage`.

One bot message can make several events, in the order Rasa's output channels send them:
the text (with its buttons or quick replies), then ``custom``, ``image``, ``attachment``
and ``elements``. Two deliberate differences from Rasa's socket.io channel:

* ``elements`` is sent as one carousel whose ``elements`` is the whole list (Rasa emits one
  event per element with a single element where the widget expects a list, which the
  widget does not draw);
* ``custom`` is the event's payload as it is (Rasa spreads the dict into the arguments of
  its emit call, so only a ``data`` key reached the client, and a ``room`` key could
  redirect the message to another conversation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.core.messages import BotMessage


def bot_uttered_payloads(message: BotMessage) -> list[Any]:
    """The payloads of the ``bot_uttered`` events that show ``message``, in sending order."""
    payloads: list[Any] = []
    # Rasa's precedence: quick replies win over buttons, and either carries the text.
    replies = message.quick_replies or message.buttons
    if replies:
        payloads.append({"text": message.text or "", "quick_replies": _quick_replies(replies)})
    elif message.text:
        payloads.append({"text": message.text})
    if message.custom is not None:
        payloads.append(message.custom)
    if message.image:
        payloads.append({"attachment": {"type": "image", "payload": {"src": message.image}}})
    if message.attachment:
        payloads.append({"attachment": message.attachment})
    if message.elements:
        elements = message.elements if isinstance(message.elements, list) else [message.elements]
        payloads.append(
            {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "generic", "elements": elements},
                }
            }
        )
    return payloads


def _quick_replies(buttons: Any) -> list[dict[str, Any]]:
    if not isinstance(buttons, list):
        return []
    return [_quick_reply(button) for button in buttons if isinstance(button, Mapping)]


def _quick_reply(button: Mapping[str, Any]) -> dict[str, Any]:
    title = button.get("title")
    payload = button.get("payload")
    # A button given only one of the two still shows and still answers with something.
    reply: dict[str, Any] = {
        "content_type": "text",
        "title": title if title is not None else payload,
        "payload": payload if payload is not None else title,
    }
    # The widget draws a link instead of a reply for these (Rasa's "url" buttons).
    url = button.get("url")
    if url is not None:
        reply["type"] = "web_url"
        reply["url"] = url
    return reply
