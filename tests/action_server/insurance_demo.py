"""Custom actions of the shared ``insurance-demo`` bot (see its ACTIONS.md), written for Parley's
tests.

The member's data is the bot's own ``mock_data.json``, read where it lies: the file named by
``INSURANCE_DEMO_MOCK_DATA``, else ``$PARLEY_SHARED_BOTS_DIR/insurance-demo/mock_data.json``
(``tests/support/action_server.py`` sets ``PARLEY_SHARED_BOTS_DIR``). It is read on the first
action run, not at import. Each conversation (``sender_id``) works on its own copy, so a payment,
a new claim or a new address in one conversation never shows in another.

What the actions do, in this implementation's own terms:

- Quotes: ``validate_quote_form`` accepts an insurance type of home, health, life or auto
  (any case; stored lower-case), a US state by name or two-letter code (stored as the code, e.g.
  "Montana" → "MT"), and a whole number of persons ≥ 1 (stored as digits, e.g. "2").
  ``action_get_quote`` quotes ``policy_quote.insurance_type[<type>] × persons`` per month with
  ``utter_final_quote`` (``final_quote``, ``insurance_type``, ``quote_state``, ``n_persons``) and
  clears the three slots; ``action_stop_quote`` clears them (and ``requested_slot``).
- Address: ``action_ask_verify_address`` fills ``address_*`` and ``full_address`` ("7 Maple Ave.,
  Lynn, MA 01902") from the address on file and utters ``utter_confirm_address``;
  ``action_get_address`` utters "The address we have on file is: <full address>";
  ``validate_change_address_form`` accepts a US state (stored as its code);
  ``action_update_address`` makes the ``address_*`` slots the address on file and utters "Your
  address has been updated to: <full address>"; ``action_reset_address`` clears the address
  slots; ``validate_verify_address_form`` and ``action_verify_address_form`` turn a yes/no into
  the boolean ``verify_address`` (the latter falls back on the latest intent, affirm or deny, and
  clears the address slots on a no).
- ``action_new_id_card`` utters "Thank you! We'll send you a new ID card."
- Claims (from ``claims``, newest ``claim_date`` first; dates shown as YYYY-MM-DD, amounts as
  "5000" or "12.50"): ``action_claim_status`` utters ``utter_claim_detail`` for slot
  ``claim_id`` (or the newest claim), sets ``claim_id`` and ``claim_balance``, and sets
  ``has_outstanding_balance`` to true when money is owed; an unknown ID gets "I couldn't find
  claim <id>." and clears ``claim_id``. ``action_check_claim_balance`` sets
  ``has_outstanding_balance`` for slot ``claim_id`` (or: whether any claim is owed).
  ``validate_get_claim_form`` / ``validate_claim_status_form`` accept only the member's claim IDs
  (any case). ``action_ask_recent_claims`` utters ``utter_claim_detail`` for the 3 claims of page
  ``page`` (0 when unset) and sets ``page`` to the next page (back to 0 after the last).
- Scrolling: ``action_ask_scroll_claims`` (the form's question for ``scroll_claims``) shows the
  claim at index ``page`` and then ``utter_scroll_status_next`` (first claim),
  ``utter_scroll_status_prev`` (last claim) or ``utter_scroll_status_prev_next``, and sets
  ``page`` and ``scroll_active_claim``. ``validate_scroll_claims_form`` reads the choice from the
  latest ``scroll_status`` entity, else the slot value: "next"/"prev" (or "previous") move
  ``page`` and empty ``scroll_claims`` (so the question comes again), "select"/"cancel" fill it;
  ``scroll_status`` is set to the choice. ``action_scroll_claims_form_exit`` sets ``claim_id`` to
  ``scroll_active_claim`` on "select" (to null on "cancel"), sets ``scroll_status`` to the choice
  and clears ``scroll_claims``, ``page`` and ``scroll_active_claim``.
- New claims: ``validate_file_new_claim_form`` accepts an insurance type, an amount > 0 (numbers,
  "$1,200", "1200 dollars"; stored like "1200") and a yes/no confirmation (stored as a boolean).
  ``action_file_new_claim_form`` files it on a yes (new claim ID ``NC100001``, ``NC100002``… per
  conversation, status "Submitted") and utters "Your claim has been submitted. Your new claim ID
  is <id>.", or utters ``utter_cancel_new_claim_file``; it clears the form's slots, as does
  ``action_stop_new_claim_form``.
- Payments: ``validate_pay_claim_form`` accepts a claim ID of the member that is not fully paid
  (also setting ``claim_balance``; a fully paid one gets ``utter_zero_balance``), an amount > 0
  and ≤ the balance, and a yes/no. ``action_pay_claim`` pays on a yes
  (``utter_claim_payment_success`` with ``amount_to_pay`` and the new ``claim_balance``),
  reports ``utter_zero_balance`` for a fully paid claim, or utters ``utter_cancel_payment``; it
  clears ``claim_pay_amount``, ``confirm_payment``, ``amount-of-money`` and ``requested_slot``
  and updates ``claim_balance`` and ``has_outstanding_balance``. ``action_cancel_payment``
  utters ``utter_cancel_payment`` and clears the same slots.

The domain's ``action_ask_recent_claim`` and ``action_recent_claims`` have no implementation in the
original either; they are not defined here.
"""

from __future__ import annotations

import copy
import json
import os
import re
from abc import ABC, abstractmethod
from datetime import date
from pathlib import Path
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]
Member = dict[str, Any]

DATA_ENV = "INSURANCE_DEMO_MOCK_DATA"
SHARED_BOTS_ENV = "PARLEY_SHARED_BOTS_DIR"

INSURANCE_TYPES = ("home", "health", "life", "auto")
TYPE_SLOT = "AA_quote_insurance_type"
QUOTE_SLOTS = (TYPE_SLOT, "quote_state", "quote_number_persons")
ADDRESS_PARTS = ("address_street", "address_city", "address_state", "address_zip")
NEW_CLAIM_SLOTS = (TYPE_SLOT, "claim_amount_submit", "confirm_file_new_claim", "requested_slot")
PAYMENT_SLOTS = ("claim_pay_amount", "confirm_payment", "amount-of-money", "requested_slot")
CLAIMS_PER_PAGE = 3

US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "washington dc": "DC", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY",
    "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE",
    "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH",
    "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI",
    "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT",
    "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY",
}  # fmt: skip
STATE_CODES = frozenset(US_STATES.values())

_TRUE = frozenset({"true", "yes", "y", "yeah", "yep", "sure", "affirm", "ok", "okay"})
_FALSE = frozenset({"false", "no", "n", "nope", "deny", "cancel"})

_mock_data: dict[str, Any] | None = None
_members: dict[str, Member] = {}


def _data_path() -> Path:
    explicit = os.environ.get(DATA_ENV)
    if explicit:
        return Path(explicit)
    shared = os.environ.get(SHARED_BOTS_ENV)
    if not shared:
        raise RuntimeError(
            f"insurance-demo needs its mock_data.json: set {DATA_ENV} to the file, or "
            f"{SHARED_BOTS_ENV} to the shared bots folder"
        )
    return Path(shared) / "insurance-demo" / "mock_data.json"


def _member(tracker: Tracker) -> Member:
    """This conversation's copy of the mock member data."""
    global _mock_data  # noqa: PLW0603 - read once per server process
    if _mock_data is None:
        _mock_data = json.loads(_data_path().read_text(encoding="utf-8"))
    if tracker.sender_id not in _members:
        member = copy.deepcopy(_mock_data)
        member["new_claims_filed"] = 0
        _members[tracker.sender_id] = member
    return _members[tracker.sender_id]


def _state_code(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.upper() in STATE_CODES:
        return text.upper()
    return US_STATES.get(" ".join(text.lower().replace(".", "").split()))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return _number(value.get("value"))
    match = re.search(r"\d[\d,]*(?:\.\d+)?|\.\d+", str(value))
    if not match:
        return None
    return float(match.group().replace(",", ""))


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower().strip("/")
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _money(amount: float) -> str:
    return str(int(amount)) if float(amount).is_integer() else f"{amount:.2f}"


def _claims_newest_first(member: Member) -> list[dict[str, Any]]:
    return sorted(member["claims"], key=lambda claim: int(claim["claim_date"]), reverse=True)


def _find_claim(member: Member, claim_id: Any) -> dict[str, Any] | None:
    if claim_id is None:
        return None
    wanted = str(claim_id).strip().upper()
    return next((c for c in member["claims"] if str(c["claim_id"]).upper() == wanted), None)


def _claim_date(claim: dict[str, Any]) -> str:
    digits = str(claim["claim_date"])
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}" if len(digits) == 8 else digits


def _utter_claim(dispatcher: CollectingDispatcher, claim: dict[str, Any]) -> None:
    dispatcher.utter_message(
        response="utter_claim_detail",
        claim_id=claim["claim_id"],
        claim_date=_claim_date(claim),
        claim_balance=_money(claim["claim_balance"]),
        claim_status=claim["claim_status"],
    )


def _full_address(parts: dict[str, Any]) -> str:
    street, city, state, zip_code = (parts.get(key) or "" for key in ADDRESS_PARTS)
    return f"{street}, {city}, {state} {zip_code}".strip()


def _cleared(names: tuple[str, ...]) -> list[EventType]:
    return [SlotSet(name, None) for name in names]


def _validate_insurance_type(value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    if isinstance(value, str) and value.strip().lower() in INSURANCE_TYPES:
        return {TYPE_SLOT: value.strip().lower()}
    dispatcher.utter_message(
        text="I can help with home, health, life or auto insurance. Which one would you like?"
    )
    return {TYPE_SLOT: None}


def _validate_state(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    code = _state_code(value)
    if code is None:
        dispatcher.utter_message(
            text="I don't know that state. Please give a US state, for example Texas or TX."
        )
    return {slot: code}


def _validate_yes_no(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    answer = _boolean(value)
    if answer is None:
        dispatcher.utter_message(text="Please answer yes or no.")
    return {slot: answer}


# --- quotes ---------------------------------------------------------------------------------


class ValidateQuoteForm(FormValidationAction):
    def name(self) -> str:
        return "validate_quote_form"

    def validate_AA_quote_insurance_type(  # noqa: N802 - named after the slot
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _validate_insurance_type(value, dispatcher)

    def validate_quote_state(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _validate_state("quote_state", value, dispatcher)

    def validate_quote_number_persons(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = _number(value)
        if number is None or not number.is_integer() or number < 1:
            dispatcher.utter_message(text="Please tell me how many people, as a number: 1 or more.")
            return {"quote_number_persons": None}
        return {"quote_number_persons": str(int(number))}


class ActionGetQuote(Action):
    def name(self) -> str:
        return "action_get_quote"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        member = _member(tracker)
        insurance_type = str(tracker.get_slot(TYPE_SLOT) or "").lower()
        persons = int(_number(tracker.get_slot("quote_number_persons")) or 1)
        price = member["policy_quote"]["insurance_type"].get(insurance_type)
        if price is None:
            dispatcher.utter_message(text=f"Sorry, I cannot quote {insurance_type!r} insurance.")
        else:
            dispatcher.utter_message(
                response="utter_final_quote",
                final_quote=_money(float(price) * persons),
                insurance_type=insurance_type,
                quote_state=tracker.get_slot("quote_state"),
                n_persons=persons,
            )
        return _cleared(QUOTE_SLOTS)


class ActionStopQuote(Action):
    def name(self) -> str:
        return "action_stop_quote"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return _cleared((*QUOTE_SLOTS, "requested_slot"))


# --- address and ID card --------------------------------------------------------------------


def _address_on_file(tracker: Tracker) -> dict[str, Any]:
    address: dict[str, Any] = _member(tracker)["member_info"]["home_address"]
    return address


class ActionAskVerifyAddress(Action):
    def name(self) -> str:
        return "action_ask_verify_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        address = _address_on_file(tracker)
        full = _full_address(address)
        dispatcher.utter_message(response="utter_confirm_address", full_address=full)
        return [
            *(SlotSet(part, address.get(part)) for part in ADDRESS_PARTS),
            SlotSet("full_address", full),
        ]


class ActionVerifyAddressForm(Action):
    def name(self) -> str:
        return "action_verify_address_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        confirmed = _boolean(tracker.get_slot("verify_address"))
        if confirmed is None:
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            confirmed = intent == "affirm"
        events: list[EventType] = [SlotSet("verify_address", confirmed)]
        if not confirmed:
            events += _cleared((*ADDRESS_PARTS, "full_address"))
        return events


class ActionResetAddress(Action):
    def name(self) -> str:
        return "action_reset_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return _cleared((*ADDRESS_PARTS, "full_address"))


class ValidateVerifyAddressForm(FormValidationAction):
    def name(self) -> str:
        return "validate_verify_address_form"

    def validate_verify_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _validate_yes_no("verify_address", value, dispatcher)


class ActionGetAddress(Action):
    def name(self) -> str:
        return "action_get_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        full = _full_address(_address_on_file(tracker))
        dispatcher.utter_message(text=f"The address we have on file is: {full}")
        return [SlotSet("full_address", full)]


class ActionUpdateAddress(Action):
    def name(self) -> str:
        return "action_update_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        address = _address_on_file(tracker)
        for part in ADDRESS_PARTS:
            value = tracker.get_slot(part)
            if value is not None:
                address[part] = value
        full = _full_address(address)
        dispatcher.utter_message(text=f"Your address has been updated to: {full}")
        return [SlotSet("full_address", full)]


class ValidateChangeAddressForm(FormValidationAction):
    def name(self) -> str:
        return "validate_change_address_form"

    def validate_address_state(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _validate_state("address_state", value, dispatcher)


class ActionNewIdCard(Action):
    def name(self) -> str:
        return "action_new_id_card"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text="Thank you! We'll send you a new ID card.")
        return []


# --- claims ---------------------------------------------------------------------------------


class ActionCheckClaimBalance(Action):
    def name(self) -> str:
        return "action_check_claim_balance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        member = _member(tracker)
        claim = _find_claim(member, tracker.get_slot("claim_id"))
        claims = [claim] if claim is not None else member["claims"]
        owed = any(float(c["claim_balance"]) > 0 for c in claims)
        return [SlotSet("has_outstanding_balance", owed)]


class ActionAskRecentClaims(Action):
    def name(self) -> str:
        return "action_ask_recent_claims"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        claims = _claims_newest_first(_member(tracker))
        page = int(_number(tracker.get_slot("page")) or 0)
        shown = claims[page * CLAIMS_PER_PAGE : (page + 1) * CLAIMS_PER_PAGE]
        if not shown:
            page, shown = 0, claims[:CLAIMS_PER_PAGE]
        for claim in shown:
            _utter_claim(dispatcher, claim)
        more = (page + 1) * CLAIMS_PER_PAGE < len(claims)
        return [SlotSet("page", page + 1 if more else 0)]


class ActionClaimStatus(Action):
    def name(self) -> str:
        return "action_claim_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        member = _member(tracker)
        claim_id = tracker.get_slot("claim_id")
        if claim_id is None:
            claim = _claims_newest_first(member)[0]
        else:
            claim = _find_claim(member, claim_id)
            if claim is None:
                dispatcher.utter_message(text=f"I couldn't find claim {claim_id}.")
                return [SlotSet("claim_id", None)]
        _utter_claim(dispatcher, claim)
        events = [
            SlotSet("claim_id", claim["claim_id"]),
            SlotSet("claim_balance", _money(claim["claim_balance"])),
        ]
        if float(claim["claim_balance"]) > 0:
            events.append(SlotSet("has_outstanding_balance", True))
        return events


class _ValidateClaimIdForm(FormValidationAction, ABC):
    """Accepts only the member's own claim IDs; abstract, so rasa_sdk does not register it."""

    @abstractmethod
    def name(self) -> str: ...

    def validate_claim_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        claim = _find_claim(_member(tracker), value)
        if claim is None:
            dispatcher.utter_message(
                text=f"I couldn't find a claim with ID {value}. Please check the ID and try again."
            )
            return {"claim_id": None}
        return {"claim_id": claim["claim_id"]}


class ValidateGetClaimForm(_ValidateClaimIdForm):
    def name(self) -> str:
        return "validate_get_claim_form"


class ValidateClaimStatusForm(_ValidateClaimIdForm):
    def name(self) -> str:
        return "validate_claim_status_form"


# --- scrolling through claims ---------------------------------------------------------------


class ActionAskScrollClaims(Action):
    def name(self) -> str:
        return "action_ask_scroll_claims"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        claims = _claims_newest_first(_member(tracker))
        last = len(claims) - 1
        page = min(max(int(_number(tracker.get_slot("page")) or 0), 0), last)
        _utter_claim(dispatcher, claims[page])
        if page == last and last > 0:
            dispatcher.utter_message(response="utter_scroll_status_prev")
        elif page == 0:
            dispatcher.utter_message(response="utter_scroll_status_next")
        else:
            dispatcher.utter_message(response="utter_scroll_status_prev_next")
        return [SlotSet("page", page), SlotSet("scroll_active_claim", claims[page]["claim_id"])]


class ValidateScrollClaimsForm(FormValidationAction):
    def name(self) -> str:
        return "validate_scroll_claims_form"

    def validate_scroll_claims(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        choice = next(tracker.get_latest_entity_values("scroll_status"), None) or value
        choice = str(choice or "").strip().lower()
        choice = {"previous": "prev", "back": "prev"}.get(choice, choice)
        if choice in {"next", "prev"}:
            last = len(_member(tracker)["claims"]) - 1
            page = int(_number(tracker.get_slot("page")) or 0) + (1 if choice == "next" else -1)
            return {
                "scroll_claims": None,
                "scroll_status": choice,
                "page": min(max(page, 0), last),
            }
        if choice in {"select", "cancel"}:
            return {"scroll_claims": choice, "scroll_status": choice}
        dispatcher.utter_message(text="Please choose next, previous, select or cancel.")
        return {"scroll_claims": None}


class ActionScrollClaimsFormExit(Action):
    def name(self) -> str:
        return "action_scroll_claims_form_exit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        status = tracker.get_slot("scroll_status")
        events: list[EventType] = []
        if status == "select":
            events.append(SlotSet("claim_id", tracker.get_slot("scroll_active_claim")))
        elif status == "cancel":
            events.append(SlotSet("claim_id", None))
        events.append(SlotSet("scroll_status", status))
        return events + _cleared(("scroll_claims", "page", "scroll_active_claim"))


# --- filing a claim -------------------------------------------------------------------------


class ValidateFileNewClaimForm(FormValidationAction):
    def name(self) -> str:
        return "validate_file_new_claim_form"

    def validate_AA_quote_insurance_type(  # noqa: N802 - named after the slot
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _validate_insurance_type(value, dispatcher)

    def validate_claim_amount_submit(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        amount = _number(value)
        if amount is None or amount <= 0:
            dispatcher.utter_message(text="Please give the claim amount as a positive number.")
            return {"claim_amount_submit": None}
        return {"claim_amount_submit": _money(amount)}

    def validate_confirm_file_new_claim(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _validate_yes_no("confirm_file_new_claim", value, dispatcher)


class ActionFileNewClaimForm(Action):
    def name(self) -> str:
        return "action_file_new_claim_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if _boolean(tracker.get_slot("confirm_file_new_claim")):
            member = _member(tracker)
            member["new_claims_filed"] += 1
            claim_id = f"NC{100000 + member['new_claims_filed']}"
            member["claims"].append(
                {
                    "claim_id": claim_id,
                    "claim_date": int(date.today().strftime("%Y%m%d")),
                    "claim_balance": _number(tracker.get_slot("claim_amount_submit")) or 0,
                    "claim_status": "Submitted",
                }
            )
            dispatcher.utter_message(
                text=f"Your claim has been submitted. Your new claim ID is {claim_id}."
            )
        else:
            dispatcher.utter_message(response="utter_cancel_new_claim_file")
        return _cleared(NEW_CLAIM_SLOTS)


class ActionStopNewClaimForm(Action):
    def name(self) -> str:
        return "action_stop_new_claim_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return _cleared(NEW_CLAIM_SLOTS)


# --- paying a claim -------------------------------------------------------------------------


class ValidatePayClaimForm(FormValidationAction):
    def name(self) -> str:
        return "validate_pay_claim_form"

    def validate_claim_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        claim = _find_claim(_member(tracker), value)
        if claim is None:
            dispatcher.utter_message(
                text=f"I couldn't find a claim with ID {value}. Please check the ID and try again."
            )
            return {"claim_id": None}
        if float(claim["claim_balance"]) <= 0:
            dispatcher.utter_message(response="utter_zero_balance", claim_id=claim["claim_id"])
            return {"claim_id": None}
        return {"claim_id": claim["claim_id"], "claim_balance": _money(claim["claim_balance"])}

    def validate_claim_pay_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        amount = _number(value)
        claim = _find_claim(_member(tracker), tracker.get_slot("claim_id"))
        balance = float(claim["claim_balance"]) if claim is not None else 0.0
        if amount is None or amount <= 0 or amount > balance:
            dispatcher.utter_message(
                text=f"Please enter an amount greater than $0 and at most ${_money(balance)}."
            )
            return {"claim_pay_amount": None}
        return {"claim_pay_amount": _money(amount)}

    def validate_confirm_payment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _validate_yes_no("confirm_payment", value, dispatcher)


class ActionPayClaim(Action):
    def name(self) -> str:
        return "action_pay_claim"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        claim = _find_claim(_member(tracker), tracker.get_slot("claim_id"))
        events: list[EventType] = []
        if claim is None:
            dispatcher.utter_message(text="I couldn't find the claim to pay.")
        elif float(claim["claim_balance"]) <= 0:
            dispatcher.utter_message(response="utter_zero_balance", claim_id=claim["claim_id"])
        elif _boolean(tracker.get_slot("confirm_payment")):
            balance = float(claim["claim_balance"])
            amount = min(_number(tracker.get_slot("claim_pay_amount")) or 0.0, balance)
            claim["claim_balance"] = balance - amount
            dispatcher.utter_message(
                response="utter_claim_payment_success",
                amount_to_pay=_money(amount),
                claim_id=claim["claim_id"],
                claim_balance=_money(claim["claim_balance"]),
            )
        else:
            dispatcher.utter_message(response="utter_cancel_payment")
        if claim is not None:
            events += [
                SlotSet("claim_balance", _money(claim["claim_balance"])),
                SlotSet("has_outstanding_balance", float(claim["claim_balance"]) > 0),
            ]
        return events + _cleared(PAYMENT_SLOTS)


class ActionCancelPayment(Action):
    def name(self) -> str:
        return "action_cancel_payment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancel_payment")
        return _cleared(PAYMENT_SLOTS)
