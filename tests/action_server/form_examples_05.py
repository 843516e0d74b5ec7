"""Custom action of ``rasa-3x-form-examples/05-validation`` (see the collection's ACTIONS.md).

``validate_name_form`` cleans ``first_name`` and ``last_name`` down to their letters (so
"J0hn!" becomes "Jhn"). A value with no letters left is refused: the bot says "That must've
been a typo." and the slot is emptied, so the form asks again. Once both names are known, a
combined name shorter than 3 letters is refused too ("That's a very short name. I'm sorry, I
don't think I spelled it right.") and both slots are emptied.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]

MIN_NAME_LETTERS = 3


def _letters(value: Any) -> str:
    return "".join(char for char in str(value or "") if char.isalpha())


class ValidateNameForm(FormValidationAction):
    def name(self) -> str:
        return "validate_name_form"

    def validate_first_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate("first_name", "last_name", value, dispatcher, tracker)

    def validate_last_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate("last_name", "first_name", value, dispatcher, tracker)

    @staticmethod
    def _validate(
        slot: str, other: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        cleaned = _letters(value)
        if not cleaned:
            dispatcher.utter_message(text="That must've been a typo.")
            return {slot: None}
        other_value = tracker.get_slot(other)
        if other_value and len(cleaned) + len(_letters(other_value)) < MIN_NAME_LETTERS:
            dispatcher.utter_message(
                text="That's a very short name. I'm sorry, I don't think I spelled it right."
            )
            return {"first_name": None, "last_name": None}
        return {slot: cleaned}
