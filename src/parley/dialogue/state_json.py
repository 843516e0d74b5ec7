"""States in the JSON a model stores them as (policies persist lookups keyed by states)."""

from __future__ import annotations

from typing import Any

from parley.dialogue.state import State
from parley.errors import ModelError


def state_to_json(state: State) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ("intent", "text", "prev_action", "active_loop"):
        value = getattr(state, key)
        if value is not None:
            data[key] = value
    if state.entities:
        data["entities"] = sorted(state.entities)
    if state.slots:
        data["slots"] = {name: list(features) for name, features in state.slots}
    return data


def state_from_json(data: Any) -> State:
    if not isinstance(data, dict):
        raise ModelError("a stored dialogue state is not an object; train the model again")
    try:
        slots = data.get("slots", {})
        return State(
            intent=_text(data.get("intent")),
            text=_text(data.get("text")),
            prev_action=_text(data.get("prev_action")),
            active_loop=_text(data.get("active_loop")),
            entities=frozenset(str(e) for e in data.get("entities", [])),
            slots=tuple(
                (str(name), tuple(float(f) for f in features)) for name, features in slots.items()
            ),
        )
    except (TypeError, ValueError, AttributeError) as error:
        raise ModelError(f"a stored dialogue state is malformed ({error}); train again") from None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ModelError(f"a stored dialogue state holds {value!r} where text belongs; train again")
