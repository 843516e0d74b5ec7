"""Custom actions of the shared ``formbot`` (see its ACTIONS.md), written for Parley's tests.

``validate_restaurant_form`` checks what the form extracted:

- ``cuisine`` must be one of :data:`CUISINES` (compared case-insensitively, stored lower-case);
  otherwise ``utter_wrong_cuisine`` and the slot is emptied.
- ``num_people`` must be a positive whole number (an int, a float such as ``3.0``, or digits in
  a string); otherwise ``utter_wrong_num_people``.
- ``outdoor_seating``: booleans pass through; text containing "out" means true, text containing
  "in" means false (so "outside" is true and "inside" false); anything else gets
  ``utter_wrong_outdoor_seating``.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]

CUISINES = frozenset(
    {
        "afghan",
        "american",
        "asian oriental",
        "brazilian",
        "british",
        "canapes",
        "caribbean",
        "chinese",
        "corsica",
        "english",
        "french",
        "german",
        "greek",
        "indian",
        "indonesian",
        "italian",
        "jamaican",
        "japanese",
        "kosher",
        "lebanese",
        "mediterranean",
        "mexican",
        "moroccan",
        "seafood",
        "spanish",
        "swedish",
        "thai",
        "turkish",
        "tuscan",
        "vietnamese",
        "world",
    }
)


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if number > 0 else None


class ValidateRestaurantForm(FormValidationAction):
    def name(self) -> str:
        return "validate_restaurant_form"

    def validate_cuisine(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, str) and value.strip().lower() in CUISINES:
            return {"cuisine": value.strip().lower()}
        dispatcher.utter_message(response="utter_wrong_cuisine")
        return {"cuisine": None}

    def validate_num_people(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = _positive_int(value)
        if number is None:
            dispatcher.utter_message(response="utter_wrong_num_people")
        return {"num_people": number}

    def validate_outdoor_seating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"outdoor_seating": value}
        if isinstance(value, str):
            text = value.lower()
            if "out" in text:
                return {"outdoor_seating": True}
            if "in" in text:
                return {"outdoor_seating": False}
        dispatcher.utter_message(response="utter_wrong_outdoor_seating")
        return {"outdoor_seating": None}
