"""The real Rasa SDK action server that integration tests run (``tests/support/action_server.py``)
and the actions it serves (``tests/action_server/``): every module imports and registers what its
bot's ACTIONS.md lists, and the server answers Rasa's webhook requests as documented.

The requests are written the way Rasa 3.x sends them: ``next_action``, ``sender_id``, the tracker
as ``current_state`` (every event), ``domain`` and ``version``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.action_server import (
    RASA_SDK_REQUIREMENT,
    ActionServerPool,
    ActionServerStartError,
    action_server_pool,
    documented_json,
    ensure_rasa_sdk_venv,
    require_rasa_sdk_venv,
    running_action_server,
    start_action_server,
)

pytestmark = pytest.mark.integration

T0 = 1_700_000_000.0
SDK_VERSION_SENT = "3.6.0"


@pytest.fixture(scope="module")
def action_servers() -> Iterator[ActionServerPool]:
    with action_server_pool() as pool:
        yield pool


# --- building requests ----------------------------------------------------------------------


def parse_data(
    text: str, intent: str, entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "intent": {"name": intent, "confidence": 0.97},
        "entities": entities or [],
        "text": text,
        "message_id": f"m-{abs(hash(text)) % 10_000}",
        "metadata": {},
        "intent_ranking": [
            {"name": intent, "confidence": 0.97},
            {"name": "nlu_fallback", "confidence": 0.03},
        ],
    }


def entity(name: str, value: Any, start: int = 0, end: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "entity": name,
        "start": start,
        "end": end,
        "confidence_entity": 0.9,
        "value": value,
        "extractor": "DIETClassifier",
        **extra,
    }


def action_event(name: str, at: float) -> dict[str, Any]:
    return {
        "event": "action",
        "timestamp": at,
        "name": name,
        "policy": None,
        "confidence": 1.0,
        "action_text": None,
        "hide_rule_turn": False,
    }


def user_event(message: dict[str, Any], at: float) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": at,
        "text": message["text"],
        "parse_data": message,
        "input_channel": "rest",
        "message_id": message["message_id"],
        "metadata": {},
    }


def slot_event(name: str, value: Any, at: float) -> dict[str, Any]:
    return {"event": "slot", "timestamp": at, "name": name, "value": value}


def tracker(
    *,
    slots: dict[str, Any],
    turns: list[dict[str, Any]],
    active_loop: str | None = None,
    trailing_slots: dict[str, Any] | None = None,
    sender_id: str = "t",
    followup_action: str | None = None,
    paused: bool = False,
) -> dict[str, Any]:
    """A tracker as Rasa 3.x's ``current_state`` gives it: a session start, one user turn
    (listen + user message) per parse result in ``turns`` with the loop's activation (its action
    and ``active_loop`` event) before the last one, then the ``trailing_slots`` a form extracted
    from the last message (what ``validate_<form>`` reads)."""
    events = [
        action_event("action_session_start", T0),
        {"event": "session_started", "timestamp": T0 + 0.1},
    ]
    at = T0 + 1
    for index, message in enumerate(turns):
        if active_loop is not None and index == len(turns) - 1:
            events += [
                action_event(active_loop, at),
                {"event": "active_loop", "timestamp": at + 0.1, "name": active_loop},
            ]
        events += [action_event("action_listen", at + 0.2), user_event(message, at + 0.5)]
        at += 1
    for name, value in (trailing_slots or {}).items():
        events.append(slot_event(name, value, at))
    latest = turns[-1] if turns else {}
    return {
        "sender_id": sender_id,
        "slots": {**slots, **(trailing_slots or {})},
        "latest_message": latest,
        "latest_event_time": events[-1]["timestamp"],
        "followup_action": followup_action,
        "paused": paused,
        "events": events,
        "latest_input_channel": "rest",
        "active_loop": (
            {"name": active_loop, "validate": True, "rejected": False, "trigger_message": latest}
            if active_loop
            else {}
        ),
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    }


def domain(
    slots: dict[str, str], forms: dict[str, list[str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """A domain as Rasa's ``Domain.as_dict()`` sends it (what the actions look at filled in)."""
    return {
        "version": "3.1",
        "config": {"store_entities_as_slots": True},
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
        "intents": ["greet", "inform", "affirm", "deny"],
        "entities": [],
        "slots": {
            name: {"type": kind, "influence_conversation": False, "mappings": [{"type": "custom"}]}
            for name, kind in slots.items()
        },
        "responses": {},
        "actions": [],
        "forms": {name: {"required_slots": required} for name, required in (forms or {}).items()},
        "e2e_actions": [],
        **extra,
    }


def call(
    url: str,
    action: str,
    tracker_state: dict[str, Any],
    domain_dict: dict[str, Any] | None,
    *,
    timeout: float = 30.0,
) -> httpx.Response:
    body: dict[str, Any] = {
        "next_action": action,
        "sender_id": tracker_state["sender_id"],
        "tracker": tracker_state,
        "version": SDK_VERSION_SENT,
    }
    if domain_dict is not None:
        body["domain"] = domain_dict
    return httpx.post(url, json=body, timeout=timeout)


def run_ok(
    url: str, action: str, tracker_state: dict[str, Any], domain_dict: dict[str, Any]
) -> dict[str, Any]:
    reply = call(url, action, tracker_state, domain_dict)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    assert set(result) == {"events", "responses"}
    return result


def texts(result: dict[str, Any]) -> list[str | None]:
    return [message["text"] for message in result["responses"]]


def response_names(result: dict[str, Any]) -> list[str | None]:
    return [message["response"] for message in result["responses"]]


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


EMPTY_TRACKER = tracker(slots={}, turns=[])
EMPTY_DOMAIN = domain({})


# --- the venv and the server process --------------------------------------------------------


def test_venv_is_made_once_and_stamped() -> None:
    python = require_rasa_sdk_venv()
    began = time.monotonic()
    assert ensure_rasa_sdk_venv() == python
    assert time.monotonic() - began < 2.0, "a ready venv must not be touched again"
    stamp = python.parents[1] / ".parley-requirement"
    assert stamp.read_text(encoding="utf-8").strip() == RASA_SDK_REQUIREMENT


def test_running_action_server_yields_the_webhook_url_and_stops_the_server() -> None:
    require_rasa_sdk_venv()
    with running_action_server("diagnostics", env={"ACTION_SLOW_SECONDS": "0.3"}) as url:
        assert httpx.get(url.replace("/webhook", "/health"), timeout=5).json() == {"status": "ok"}
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/webhook")
        began = time.monotonic()
        result = run_ok(url, "action_slow", EMPTY_TRACKER, EMPTY_DOMAIN)
        assert time.monotonic() - began >= 0.3
        assert texts(result) == ["done"]
        assert result["events"] == []
    with pytest.raises(httpx.TransportError):
        httpx.get(url.replace("/webhook", "/health"), timeout=2)


def test_a_server_that_dies_at_start_reports_its_log(tmp_path: Path) -> None:
    require_rasa_sdk_venv()
    missing = tmp_path / "no-such-knowledge-base.json"
    with (
        pytest.raises(ActionServerStartError, match=r"no-such-knowledge-base\.json") as error,
        start_action_server("knowledgebasebot", env={"KNOWLEDGEBASEBOT_DATA": str(missing)}),
    ):
        pass
    assert "exited with code" in str(error.value)


def test_an_unknown_actions_module_is_refused() -> None:
    with pytest.raises(ValueError, match="no actions module"), running_action_server("nope"):
        pass


def test_the_server_log_is_captured(action_servers: ActionServerPool) -> None:
    server = action_servers.server("diagnostics")
    assert server.get_json("/health") == {"status": "ok"}
    assert "Registered function for 'action_inspect_tracker'" in server.log()


def test_the_log_outlives_the_server() -> None:
    require_rasa_sdk_venv()
    with start_action_server("diagnostics") as server:
        reply = call(server.webhook_url, "action_crash", EMPTY_TRACKER, EMPTY_DOMAIN)
        assert reply.status_code == 500
    assert server.process.returncode is not None
    assert "RuntimeError: diagnostics crash" in server.log()


# --- every module imports and registers its bot's actions ----------------------------------

INSURANCE_ACTIONS = [
    "action_ask_recent_claims",
    "action_ask_scroll_claims",
    "action_ask_verify_address",
    "action_cancel_payment",
    "action_check_claim_balance",
    "action_claim_status",
    "action_file_new_claim_form",
    "action_get_address",
    "action_get_quote",
    "action_new_id_card",
    "action_pay_claim",
    "action_reset_address",
    "action_scroll_claims_form_exit",
    "action_stop_new_claim_form",
    "action_stop_quote",
    "action_update_address",
    "action_verify_address_form",
    "validate_change_address_form",
    "validate_claim_status_form",
    "validate_file_new_claim_form",
    "validate_get_claim_form",
    "validate_pay_claim_form",
    "validate_quote_form",
    "validate_scroll_claims_form",
    "validate_verify_address_form",
]

REGISTERED = {
    "diagnostics": [
        "action_crash",
        "action_emit_all_events",
        "action_emit_session_ended",
        "action_inspect_tracker",
        "action_reject",
        "action_slow",
    ],
    "formbot": ["validate_restaurant_form"],
    "form_examples_01": ["action_show_time"],
    "form_examples_02": ["action_say_shirt_size"],
    "form_examples_03": ["action_say_shirt_size"],
    "form_examples_05": ["validate_name_form"],
    "retail_demo": [
        "action_cancel_order",
        "action_give_name",
        "action_order_status",
        "action_product_search",
        "action_return",
        "action_survey_submit",
    ],
    "insurance_demo": INSURANCE_ACTIONS,
    "concertbot": [
        "action_search_concerts",
        "action_search_venues",
        "action_set_music_preference",
        "action_show_concert_reviews",
        "action_show_venue_reviews",
    ],
    "reminderbot": [
        "action_forget_reminders",
        "action_react_to_reminder",
        "action_set_reminder",
        "action_tell_id",
        "action_warn_dry",
    ],
    "rules": ["action_switch_faq", "action_validate_loop_q_form"],
    "knowledgebasebot": ["action_query_knowledge_base"],
}


@pytest.mark.parametrize("module", sorted(REGISTERED))
def test_each_module_registers_its_actions(
    action_servers: ActionServerPool, shared_dir: Path, module: str
) -> None:
    assert action_servers.server(module).action_names() == REGISTERED[module]


# --- the protocol, through the diagnostics actions -----------------------------------------


def test_emit_all_events_returns_the_documented_events_and_responses(
    action_servers: ActionServerPool,
) -> None:
    result = run_ok(
        action_servers.url("diagnostics"), "action_emit_all_events", EMPTY_TRACKER, EMPTY_DOMAIN
    )
    assert result["events"] == documented_json("diagnostics", "action_emit_all_events events")
    assert result["responses"] == documented_json("diagnostics", "action_emit_all_events responses")
    # every kind of event Rasa 3.x knows that an action may return
    assert {e["event"] for e in result["events"]} == {
        "action",
        "action_execution_rejected",
        "active_loop",
        "agent",
        "bot",
        "cancel_reminder",
        "export",
        "followup",
        "loop_interrupted",
        "pause",
        "reminder",
        "reset_slots",
        "restart",
        "resume",
        "rewind",
        "session_started",
        "slot",
        "undo",
        "user",
    }


def test_session_ended_is_an_sdk_only_event(action_servers: ActionServerPool) -> None:
    result = run_ok(
        action_servers.url("diagnostics"), "action_emit_session_ended", EMPTY_TRACKER, EMPTY_DOMAIN
    )
    assert result == {
        "events": [{"event": "session_ended", "timestamp": None, "metadata": {"reason": "diag"}}],
        "responses": [],
    }


def test_inspect_tracker_shows_what_rasa_sdk_made_of_the_request(
    action_servers: ActionServerPool,
) -> None:
    first = parse_data("hi", "greet")
    second = parse_data(
        "from Berlin to Paris, two of them",
        "inform",
        [
            entity("city", "Berlin", 5, 11, role="departure"),
            entity("city", "Paris", 15, 20, role="destination"),
            entity("number", 2, 22, 25, group="1"),
            entity("number", 3, 22, 25, group="1"),
        ],
    )
    state = tracker(
        slots={"city": "Berlin", "requested_slot": "number", "flag": True, "count": 2.0},
        turns=[first, second],
        active_loop="travel_form",
        trailing_slots={"city": "Paris"},
        sender_id="inspect-me",
        followup_action="utter_greet",
        paused=True,
    )
    doms = domain({"city": "text", "flag": "bool"}, {"travel_form": ["city"]})
    result = run_ok(action_servers.url("diagnostics"), "action_inspect_tracker", state, doms)
    assert result["events"] == []
    assert [m["text"] for m in result["responses"]] == [None]
    report = result["responses"][0]["custom"]
    assert report["sender_id"] == "inspect-me"
    assert report["slots"] == state["slots"]
    assert report["get_slot"] == state["slots"]
    assert report["latest_message"] == {
        "intent": "inform",
        "entities": second["entities"],
        "text": "from Berlin to Paris, two of them",
    }
    assert report["latest_entity_values"] == {
        "city:departure": ["Berlin"],
        "city:destination": ["Paris"],
        "number::1": [2, 3],
    }
    assert report["latest_action_name"] == "action_listen"
    assert report["active_loop"]["name"] == "travel_form"
    assert report["active_loop_name"] == "travel_form"
    assert report["followup_action"] == "utter_greet"
    assert report["paused"] is True
    assert report["event_types"] == [
        "action",
        "session_started",
        "action",
        "user",
        "action",
        "active_loop",
        "action",
        "user",
        "slot",
    ]
    assert report["event_count"] == 9
    assert report["applied_event_types"] == report["event_types"]
    assert report["latest_input_channel"] == "rest"
    assert report["intent_of_latest_message"] == "inform"
    assert report["slots_to_validate"] == {"city": "Paris"}
    assert report["user_id"] is None
    assert report["domain_keys"] == sorted(doms)
    assert report["sdk_version"].startswith("3.21.")


def test_a_rejected_action_answers_400_with_its_name(action_servers: ActionServerPool) -> None:
    reply = call(action_servers.url("diagnostics"), "action_reject", EMPTY_TRACKER, EMPTY_DOMAIN)
    assert reply.status_code == 400
    assert reply.json() == {
        "error": "Custom action 'action_reject' rejected execution.",
        "action_name": "action_reject",
    }


def test_a_crashing_action_answers_500(action_servers: ActionServerPool) -> None:
    reply = call(action_servers.url("diagnostics"), "action_crash", EMPTY_TRACKER, EMPTY_DOMAIN)
    assert reply.status_code == 500
    body = reply.json()
    assert body["error"] == "diagnostics crash"
    assert body["request_body"]["next_action"] == "action_crash"


def test_an_unknown_action_answers_404(action_servers: ActionServerPool) -> None:
    reply = call(action_servers.url("diagnostics"), "action_not_there", EMPTY_TRACKER, EMPTY_DOMAIN)
    assert reply.status_code == 404
    assert reply.json() == {
        "error": "No registered action found for name 'action_not_there'.",
        "action_name": "action_not_there",
    }


def test_a_request_without_domain_answers_449(action_servers: ActionServerPool) -> None:
    reply = call(action_servers.url("diagnostics"), "action_inspect_tracker", EMPTY_TRACKER, None)
    assert reply.status_code == 449
    assert reply.json()["action_name"] == "action_inspect_tracker"


# --- the bots' actions, a few calls each ----------------------------------------------------

RESTAURANT_SLOTS = ["cuisine", "num_people", "outdoor_seating", "preferences", "feedback"]
FORMBOT_DOMAIN = domain(
    {"cuisine": "text", "num_people": "float", "outdoor_seating": "text"},
    {"restaurant_form": RESTAURANT_SLOTS},
)


@pytest.mark.parametrize(
    ("slot", "value", "expected", "complaint"),
    [
        ("cuisine", "Italian", "italian", None),
        ("cuisine", "martian", None, "utter_wrong_cuisine"),
        ("num_people", 3.0, 3, None),
        ("num_people", "-2", None, "utter_wrong_num_people"),
        ("outdoor_seating", "outside please", True, None),
        ("outdoor_seating", "inside", False, None),
        ("outdoor_seating", True, True, None),
        ("outdoor_seating", "whatever", None, "utter_wrong_outdoor_seating"),
    ],
)
def test_formbot_validates_the_restaurant_form(
    action_servers: ActionServerPool, slot: str, value: Any, expected: Any, complaint: str | None
) -> None:
    state = tracker(
        slots={"requested_slot": slot},
        turns=[parse_data("im looking for a restaurant", "request_restaurant")],
        active_loop="restaurant_form",
        trailing_slots={slot: value},
    )
    result = run_ok(
        action_servers.url("formbot"), "validate_restaurant_form", state, FORMBOT_DOMAIN
    )
    assert result["events"] == [
        {"event": "slot", "timestamp": None, "name": slot, "value": expected}
    ]
    assert response_names(result) == ([complaint] if complaint else [])


def test_form_examples_say_the_shirt_size(action_servers: ActionServerPool) -> None:
    doms = domain({"shirt_size": "text"})
    for module in ("form_examples_02", "form_examples_03"):
        url = action_servers.url(module)
        known = tracker(slots={"shirt_size": "large"}, turns=[parse_data("?", "repeat_shirt_size")])
        assert texts(run_ok(url, "action_say_shirt_size", known, doms)) == [
            "Your shirt size is large!"
        ]
        unknown = tracker(slots={"shirt_size": None}, turns=[])
        assert texts(run_ok(url, "action_say_shirt_size", unknown, doms)) == [
            "I don't know your shirt size."
        ]


def test_form_examples_show_the_time(action_servers: ActionServerPool) -> None:
    result = run_ok(
        action_servers.url("form_examples_01"), "action_show_time", EMPTY_TRACKER, EMPTY_DOMAIN
    )
    (said,) = texts(result)
    assert said is not None
    assert said[:4].isdigit()


@pytest.mark.parametrize(
    ("slots", "trailing", "expected", "said"),
    [
        ({}, {"first_name": "J0hn!"}, {"first_name": "Jhn"}, []),
        ({}, {"first_name": "42"}, {"first_name": None}, ["That must've been a typo."]),
        (
            {"first_name": "A"},
            {"last_name": "B"},
            {"first_name": None, "last_name": None},
            ["That's a very short name. I'm sorry, I don't think I spelled it right."],
        ),
        ({"first_name": "Ada"}, {"last_name": "Lovelace"}, {"last_name": "Lovelace"}, []),
    ],
)
def test_form_examples_validate_names(
    action_servers: ActionServerPool,
    slots: dict[str, Any],
    trailing: dict[str, Any],
    expected: dict[str, Any],
    said: list[str],
) -> None:
    state = tracker(
        slots=slots,
        turns=[parse_data("x", "inform")],
        active_loop="name_form",
        trailing_slots=trailing,
    )
    doms = domain(
        {"first_name": "text", "last_name": "text"}, {"name_form": ["first_name", "last_name"]}
    )
    result = run_ok(action_servers.url("form_examples_05"), "validate_name_form", state, doms)
    assert slot_events(result) == expected
    assert texts(result) == said


RETAIL_DOMAIN = domain({"color": "text", "size": "text", "email": "text"})


@pytest.mark.parametrize(
    ("size", "color", "response"),
    [
        ("9", "Blue", "utter_in_stock"),
        (9.5, "grey", "utter_in_stock"),
        ("9", "orange", "utter_no_stock"),
        ("13", "black", "utter_no_stock"),
    ],
)
def test_retail_demo_searches_the_inventory(
    action_servers: ActionServerPool, size: Any, color: str, response: str
) -> None:
    state = tracker(slots={"size": size, "color": color}, turns=[parse_data("x", "inform")])
    result = run_ok(
        action_servers.url("retail_demo"), "action_product_search", state, RETAIL_DOMAIN
    )
    assert response_names(result) == [response]
    assert slot_events(result) == {"color": None, "size": None}


def test_retail_demo_order_status_cancel_and_return(action_servers: ActionServerPool) -> None:
    url = action_servers.url("retail_demo")

    def status_of(email: str) -> dict[str, Any]:
        state = tracker(slots={"email": email}, turns=[parse_data(email, "inform")])
        reply: dict[str, Any] = run_ok(url, "action_order_status", state, RETAIL_DOMAIN)
        return reply["responses"][0]

    shipped = status_of("example@rasa.com")
    assert (shipped["response"], shipped["status"]) == ("utter_order_status", "shipped")
    assert status_of("nobody@example.com")["response"] == "utter_no_order"

    cancel = run_ok(
        url, "action_cancel_order", tracker(slots={"email": "a@b.com"}, turns=[]), RETAIL_DOMAIN
    )
    assert response_names(cancel) == ["utter_order_cancel_finish"]
    assert status_of("A@B.com")["status"] == "cancelled"

    returned = run_ok(
        url, "action_return", tracker(slots={"email": "asdf@asdf.com"}, turns=[]), RETAIL_DOMAIN
    )
    assert response_names(returned) == ["utter_return_finish"]
    assert status_of("asdf@asdf.com")["status"] == "returning"

    nothing = run_ok(url, "action_return", tracker(slots={"email": None}, turns=[]), RETAIL_DOMAIN)
    assert response_names(nothing) == ["utter_no_order"]


def test_retail_demo_survey_and_name(action_servers: ActionServerPool) -> None:
    url = action_servers.url("retail_demo")
    survey = run_ok(url, "action_survey_submit", EMPTY_TRACKER, RETAIL_DOMAIN)
    assert response_names(survey) == ["utter_open_feedback", "utter_survey_end"]
    assert slot_events(survey) == {"survey_complete": True}
    name = run_ok(url, "action_give_name", EMPTY_TRACKER, RETAIL_DOMAIN)
    assert name["responses"] == []
    assert name["events"] == [
        {
            "event": "bot",
            "timestamp": None,
            "text": "my name is bot? idk",
            "data": None,
            "metadata": {"utter_action": "action_give_name", "source": "retail_demo"},
        }
    ]


QUOTE_SLOTS = ["AA_quote_insurance_type", "quote_number_persons", "quote_state"]
INSURANCE_DOMAIN = domain(
    dict.fromkeys(QUOTE_SLOTS, "any"), {"quote_form": QUOTE_SLOTS, "pay_claim_form": []}
)


def test_insurance_demo_quote(action_servers: ActionServerPool, shared_dir: Path) -> None:
    url = action_servers.url("insurance_demo")
    state = tracker(
        slots={"requested_slot": "quote_state"},
        turns=[parse_data("montana", "inform")],
        active_loop="quote_form",
        trailing_slots={"quote_state": "Montana"},
    )
    validated = run_ok(url, "validate_quote_form", state, INSURANCE_DOMAIN)
    assert slot_events(validated) == {"quote_state": "MT"}

    bad = tracker(
        slots={},
        turns=[parse_data("none", "inform")],
        active_loop="quote_form",
        trailing_slots={"quote_number_persons": "0"},
    )
    refused = run_ok(url, "validate_quote_form", bad, INSURANCE_DOMAIN)
    assert slot_events(refused) == {"quote_number_persons": None}

    filled = tracker(
        slots={"AA_quote_insurance_type": "home", "quote_state": "MT", "quote_number_persons": "2"},
        turns=[],
    )
    quote = run_ok(url, "action_get_quote", filled, INSURANCE_DOMAIN)
    (message,) = quote["responses"]
    assert message["response"] == "utter_final_quote"
    assert (message["final_quote"], message["insurance_type"]) == ("100", "home")
    assert (message["quote_state"], message["n_persons"]) == ("MT", 2)
    assert slot_events(quote) == dict.fromkeys(
        ["AA_quote_insurance_type", "quote_state", "quote_number_persons"]
    )


def test_insurance_demo_claims_and_payment(
    action_servers: ActionServerPool, shared_dir: Path
) -> None:
    url = action_servers.url("insurance_demo")
    status = run_ok(
        url,
        "action_claim_status",
        tracker(slots={"claim_id": "ab234567"}, turns=[], sender_id="payer"),
        INSURANCE_DOMAIN,
    )
    assert status["responses"][0]["response"] == "utter_claim_detail"
    assert status["responses"][0]["claim_status"] == "Pending"
    assert slot_events(status) == {
        "claim_id": "AB234567",
        "claim_balance": "5000",
        "has_outstanding_balance": True,
    }

    paid = run_ok(
        url,
        "action_pay_claim",
        tracker(
            slots={"claim_id": "AB234567", "claim_pay_amount": "1200", "confirm_payment": True},
            turns=[],
            sender_id="payer",
        ),
        INSURANCE_DOMAIN,
    )
    (message,) = paid["responses"]
    assert message["response"] == "utter_claim_payment_success"
    assert (message["amount_to_pay"], message["claim_balance"]) == ("1200", "3800")
    assert slot_events(paid)["claim_balance"] == "3800"

    other_member = run_ok(
        url,
        "action_claim_status",
        tracker(slots={"claim_id": "AB234567"}, turns=[], sender_id="someone-else"),
        INSURANCE_DOMAIN,
    )
    assert slot_events(other_member)["claim_balance"] == "5000"


def test_concertbot(action_servers: ActionServerPool) -> None:
    url = action_servers.url("concertbot")
    doms = domain({"concerts": "list", "venues": "list", "likes_music": "bool"})
    concerts = run_ok(url, "action_search_concerts", EMPTY_TRACKER, doms)
    assert texts(concerts) == ["Foo Fighters, Katy Perry"]
    stored = slot_events(concerts)["concerts"]
    assert [c["artist"] for c in stored] == ["Foo Fighters", "Katy Perry"]
    venues = run_ok(url, "action_search_venues", EMPTY_TRACKER, doms)
    assert texts(venues) == ["here are some venues I found", "Big Arena, Rock Cellar"]
    shown = run_ok(
        url, "action_show_concert_reviews", tracker(slots={"concerts": stored}, turns=[]), doms
    )
    assert texts(shown) == [f"concerts from slots: {stored}"]
    for intent, events in [
        ("affirm", [{"event": "slot", "timestamp": None, "name": "likes_music", "value": True}]),
        ("deny", [{"event": "slot", "timestamp": None, "name": "likes_music", "value": False}]),
        ("greet", []),
    ]:
        state = tracker(slots={}, turns=[parse_data("x", intent)])
        assert run_ok(url, "action_set_music_preference", state, doms)["events"] == events


def test_reminderbot(action_servers: ActionServerPool) -> None:
    url = action_servers.url("reminderbot")
    doms = domain({"PERSON": "text"})
    asked = parse_data("remind me to call John", "ask_remind_call", [entity("PERSON", "John")])
    scheduled = run_ok(url, "action_set_reminder", tracker(slots={}, turns=[asked]), doms)
    assert texts(scheduled) == ["I will remind you in 5 seconds."]
    (reminder,) = scheduled["events"]
    assert reminder["event"] == "reminder"
    assert (reminder["intent"], reminder["name"]) == ("EXTERNAL_reminder", "my_reminder")
    assert reminder["entities"] == asked["entities"]
    assert reminder["kill_on_user_msg"] is False
    assert reminder["date_time"].endswith("+00:00")

    fired = parse_data("EXTERNAL_reminder", "EXTERNAL_reminder", [entity("PERSON", "John")])
    reacted = run_ok(url, "action_react_to_reminder", tracker(slots={}, turns=[fired]), doms)
    assert texts(reacted) == ["Remember to call John!"]
    bare = tracker(slots={}, turns=[parse_data("EXTERNAL_reminder", "EXTERNAL_reminder")])
    assert texts(run_ok(url, "action_react_to_reminder", bare, doms)) == [
        "Remember to call someone!"
    ]

    dry = parse_data("EXTERNAL_dry_plant", "EXTERNAL_dry_plant", [entity("plant", "Orchid")])
    warned = run_ok(url, "action_warn_dry", tracker(slots={}, turns=[dry]), doms)
    assert texts(warned) == ["Your Orchid needs some water!"]
    told = run_ok(url, "action_tell_id", tracker(slots={}, turns=[], sender_id="abc"), doms)
    assert texts(told)[0] == "Your conversation ID is abc."
    forgot = run_ok(url, "action_forget_reminders", EMPTY_TRACKER, doms)
    assert forgot["events"] == [
        dict.fromkeys(["timestamp", "intent", "entities", "name"], None)
        | {"event": "cancel_reminder"}
    ]


def test_rules_bot(action_servers: ActionServerPool) -> None:
    url = action_servers.url("rules")
    doms = domain({"detailed_faq": "bool", "some_slot": "text"})
    for before, after in [(None, True), (True, False), (False, True)]:
        state = tracker(slots={"detailed_faq": before}, turns=[])
        assert slot_events(run_ok(url, "action_switch_faq", state, doms)) == {"detailed_faq": after}
    validated = run_ok(url, "action_validate_loop_q_form", EMPTY_TRACKER, doms)
    assert texts(validated) == ["validate_some_slot"]
    assert slot_events(validated) == {"some_slot": "sdk"}


def test_knowledgebasebot(action_servers: ActionServerPool, shared_dir: Path) -> None:
    url = action_servers.url("knowledgebasebot")
    names = ["object_type", "mention", "attribute", "hotel", "restaurant", "cuisine", "city"]
    doms = domain(dict.fromkeys(names, "text"))
    asked = parse_data(
        "italian restaurants",
        "query_knowledge_base",
        [entity("object_type", "restaurant"), entity("cuisine", "Italian")],
    )
    state = tracker(slots={"object_type": "restaurant", "cuisine": "Italian"}, turns=[asked])
    listed = run_ok(url, "action_query_knowledge_base", state, doms)
    said = texts(listed)
    # rasa-sdk's in-memory knowledge base shuffles the objects it lists.
    assert said[0] == "Found the following objects of type 'restaurant':"
    assert sorted(str(line).split(": ", 1)[-1] for line in said[1:]) == ["Donath", "I due forni"]
    assert sorted(slot_events(listed)["knowledge_base_listed_objects"]) == [0, 2]

    hotels = tracker(
        slots={"object_type": "hotel"},
        turns=[parse_data("hotels", "query_knowledge_base", [entity("object_type", "hotel")])],
    )
    shown = texts(run_ok(url, "action_query_knowledge_base", hotels, doms))
    # The SDK lists at most five objects, in shuffled order, each as "N: name (city)".
    listed_hotels = [str(text).split(": ", 1)[-1] for text in shown[1:]]
    assert len(listed_hotels) == 5
    assert all(re.fullmatch(r".+ \([A-Z][\w ]+\)", name) for name in listed_hotels), listed_hotels
