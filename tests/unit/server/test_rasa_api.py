"""Rasa's HTTP API: ``/version``, ``/status``, ``/model/parse`` and the conversation
endpoints, with the token where Rasa asks for one."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.support.fake_action_server import answers
from tests.unit.server.helpers import AUTH, GREETINGS, TOKEN, Served, assert_error_body

import parley

TRACKER_KEYS = {
    "sender_id",
    "slots",
    "latest_message",
    "latest_event_time",
    "followup_action",
    "paused",
    "events",
    "latest_input_channel",
    "active_loop",
    "latest_action",
    "latest_action_name",
}


def say(client: TestClient, sender: str, text: str) -> list[dict[str, Any]]:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()
    return messages


def tracker(client: TestClient, sender: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/conversations/{sender}/tracker", params={**AUTH, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def event_names(events: list[dict[str, Any]]) -> list[str]:
    return [e.get("name") or e["event"] for e in events]


# -- the token ------------------------------------------------------------------------------


MANAGEMENT = [
    ("GET", "/status", None),
    ("POST", "/model/parse", {"text": "hi"}),
    ("PUT", "/model", {"model_file": "/nowhere.tar.gz"}),
    ("DELETE", "/model", None),
    ("GET", "/conversations/someone/tracker", None),
    ("POST", "/conversations/someone/tracker/events", {"event": "restart"}),
    ("POST", "/conversations/someone/messages", {"text": "hi", "sender": "user"}),
    ("POST", "/conversations/someone/trigger_intent", {"name": "greet"}),
    ("POST", "/conversations/someone/predict", None),
    ("POST", "/conversations/someone/execute", {"name": "utter_greet"}),
]


@pytest.mark.parametrize(("method", "path", "body"), MANAGEMENT)
def test_management_endpoints_need_the_token(
    client: TestClient, served: Served, method: str, path: str, body: Any
) -> None:
    missing = client.request(method, path, json=body)
    assert "token" in assert_error_body(missing, 401)["message"]
    wrong = client.request(method, path, json=body, params={"token": "not-it"})
    assert_error_body(wrong, 401)
    wrong_bearer = client.request(
        method, path, json=body, headers={"Authorization": "Bearer not-it"}
    )
    assert_error_body(wrong_bearer, 401)
    # Refused before anything happened: the model still serves, nothing is stored.
    assert served.bot.served is not None
    assert served.store.sender_ids() == []


@pytest.mark.parametrize("how", ["query", "bearer"])
def test_the_token_is_accepted_as_query_or_bearer(client: TestClient, how: str) -> None:
    if how == "query":
        response = client.get("/status", params={"token": TOKEN})
    else:
        response = client.get("/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/version"), ("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics")],
)
def test_public_endpoints_need_no_token(client: TestClient, method: str, path: str) -> None:
    assert client.request(method, path).status_code == 200


def test_the_rest_channel_needs_no_token(client: TestClient) -> None:
    assert client.get("/webhooks/rest/").json() == {"status": "ok"}
    assert say(client, "anonymous", "hello")


# -- server ---------------------------------------------------------------------------------


def test_version(client: TestClient) -> None:
    body = client.get("/version").json()
    assert body["version"] == parley.__version__
    assert isinstance(body["minimum_compatible_version"], str)


def test_status_names_the_loaded_model(client: TestClient, served: Served) -> None:
    body = client.get("/status", params=AUTH).json()
    assert served.bot.served is not None
    assert body["model_file"] == str(served.bot.served.path)
    assert body["model_id"] == served.bot.served.model.manifest.fingerprint
    assert body["fingerprint"]
    assert body["num_active_training_jobs"] == 0


def test_parse(client: TestClient) -> None:
    response = client.post(
        "/model/parse", params=AUTH, json={"text": "can I get a latte?", "message_id": "m1"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "can I get a latte?"
    assert body["intent"]["name"] == "order_drink"
    assert 0 < body["intent"]["confidence"] <= 1
    assert [e["value"] for e in body["entities"]] == ["latte"]
    assert body["intent_ranking"][0]["name"] == "order_drink"
    assert body["message_id"] == "m1"


def test_parse_reads_an_intent_payload(client: TestClient) -> None:
    body = client.post("/model/parse", params=AUTH, json={"text": '/inform{"size": "large"}'})
    assert body.json()["intent"] == {"name": "inform", "confidence": 1.0}
    assert [(e["entity"], e["value"]) for e in body.json()["entities"]] == [("size", "large")]


def test_parse_with_an_nlu_only_model(client: TestClient, nlu_only_model: Any) -> None:
    assert (
        client.put("/model", params=AUTH, json={"model_file": str(nlu_only_model)}).status_code
        == 204
    )
    body = client.post("/model/parse", params=AUTH, json={"text": "hello"}).json()
    assert body["intent"]["name"] == "greet"
    # It parses, but cannot converse.
    refused = client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
    assert "NLU-only" in assert_error_body(refused, 409)["message"]


# -- the tracker ----------------------------------------------------------------------------


def test_tracker_after_a_conversation(client: TestClient) -> None:
    say(client, "ann", "hi")
    say(client, "ann", "can I get a latte?")
    body = tracker(client, "ann")
    assert set(body) == TRACKER_KEYS
    assert body["sender_id"] == "ann"
    assert body["slots"]["drink"] == "latte"
    assert body["slots"]["requested_slot"] == "size"
    assert body["active_loop"]["name"] == "order_form"
    assert body["latest_message"]["text"] == "can I get a latte?"
    assert body["latest_message"]["intent"]["name"] == "order_drink"
    assert body["latest_input_channel"] == "rest"
    assert body["latest_action_name"] == "action_listen"
    names = event_names(body["events"])
    assert names[:3] == ["action_session_start", "session_started", "action_listen"]
    assert names.count("user") == 2
    assert "utter_greet" in names
    assert "order_form" in names


def test_tracker_event_verbosity(client: TestClient) -> None:
    say(client, "bo", "hi")
    client.post(
        "/conversations/bo/tracker/events", params=AUTH, json=[{"event": "restart"}]
    ).raise_for_status()
    say(client, "bo", "are you a bot?")

    everything = tracker(client, "bo", include_events="ALL")["events"]
    after_restart = tracker(client, "bo", include_events="AFTER_RESTART")["events"]
    applied = tracker(client, "bo", include_events="APPLIED")["events"]
    none = tracker(client, "bo", include_events="NONE")

    assert "restart" in event_names(everything)
    assert "utter_greet" in event_names(everything)
    # After the restart: only the second exchange.
    assert "restart" not in event_names(after_restart)
    assert "utter_greet" not in event_names(after_restart)
    assert [e.get("text") for e in after_restart if e["event"] == "user"] == ["are you a bot?"]
    assert after_restart == everything[-len(after_restart) :]
    # The events that make the state: the restart undid the greeting.
    assert "utter_greet" not in event_names(applied)
    assert [e.get("text") for e in applied if e["event"] == "user"] == ["are you a bot?"]
    assert none["events"] is None
    # The state is the same, whichever events are shown.
    assert none["latest_message"]["text"] == "are you a bot?"
    # The default is AFTER_RESTART, as in Rasa.
    assert tracker(client, "bo")["events"] == after_restart


def test_tracker_rejects_an_unknown_verbosity(client: TestClient) -> None:
    say(client, "cy", "hi")
    response = client.get("/conversations/cy/tracker", params={**AUTH, "include_events": "SOME"})
    assert_error_body(response, 422)


def test_tracker_until_replays_up_to_a_time(client: TestClient) -> None:
    say(client, "di", "hi")
    first = tracker(client, "di", include_events="ALL")
    cut = first["latest_event_time"]
    say(client, "di", "are you a bot?")
    assert tracker(client, "di")["latest_message"]["text"] == "are you a bot?"

    back = tracker(client, "di", include_events="ALL", until=cut)
    assert back["events"] == first["events"]
    assert back["latest_message"]["text"] == "hi"
    assert all(event["timestamp"] <= cut for event in back["events"])


@pytest.mark.parametrize("until", ["nan", "inf", "yesterday"])
def test_tracker_until_must_be_a_time(client: TestClient, until: str) -> None:
    say(client, "ed", "hi")
    response = client.get("/conversations/ed/tracker", params={**AUTH, "until": until})
    assert_error_body(response, 422)


def test_unknown_conversation_is_not_found(client: TestClient, served: Served) -> None:
    assert_error_body(client.get("/conversations/nobody/tracker", params=AUTH), 404)
    assert_error_body(client.post("/conversations/nobody/predict", params=AUTH), 404)
    assert not served.store.exists("nobody")


# -- adding to a conversation ---------------------------------------------------------------


def test_append_events(client: TestClient, served: Served) -> None:
    say(client, "fay", "hi")
    before = len(served.store.retrieve_all("fay"))
    response = client.post(
        "/conversations/fay/tracker/events",
        params=AUTH,
        json=[
            {"event": "slot", "name": "drink", "value": "mocha"},
            {"event": "slot", "name": "size", "value": "small"},
        ],
    )
    assert response.status_code == 200, response.text
    assert response.json()["slots"]["drink"] == "mocha"
    assert response.json()["slots"]["size"] == "small"
    assert len(served.store.retrieve_all("fay")) == before + 2
    # One event alone (not in a list) is accepted too, as Rasa does.
    one = client.post(
        "/conversations/fay/tracker/events",
        params=AUTH,
        json={"event": "slot", "name": "size", "value": "large"},
    )
    assert one.json()["slots"]["size"] == "large"


def test_append_events_to_a_new_conversation_creates_it(client: TestClient) -> None:
    response = client.post(
        "/conversations/new/tracker/events",
        params=AUTH,
        json=[{"event": "slot", "name": "drink", "value": "tea"}],
    )
    assert response.status_code == 200, response.text
    assert tracker(client, "new")["slots"]["drink"] == "tea"


def test_append_refuses_a_bad_event_and_stores_none_of_the_batch(
    client: TestClient, served: Served
) -> None:
    say(client, "gus", "hi")
    stored = served.store.retrieve_all("gus")
    response = client.post(
        "/conversations/gus/tracker/events",
        params=AUTH,
        json=[
            {"event": "slot", "name": "drink", "value": "tea"},
            {"event": "no_such_event"},
        ],
    )
    assert 400 <= response.status_code < 500
    assert_error_body(response, response.status_code)
    assert served.store.retrieve_all("gus") == stored


def test_add_message_logs_it_without_answering(client: TestClient, served: Served) -> None:
    response = client.post(
        "/conversations/hal/messages",
        params=AUTH,
        json={"text": "can I get a latte?", "sender": "user", "metadata": {"from": "test"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["latest_message"]["text"] == "can I get a latte?"
    assert body["latest_message"]["intent"]["name"] == "order_drink"
    # Slots are filled by their mappings, but nothing is predicted nor said (Rasa semantics).
    assert body["slots"]["drink"] == "latte"
    events = served.store.retrieve_all("hal")
    kinds = [type(event).__name__ for event in events]
    assert "BotUttered" not in kinds
    assert kinds.count("UserUttered") == 1
    assert body["events"][-1]["event"] in {"user", "slot"}
    assert served.actions.requests == []


def test_add_message_from_the_bot_is_refused(client: TestClient, served: Served) -> None:
    response = client.post(
        "/conversations/ian/messages", params=AUTH, json={"text": "hi", "sender": "bot"}
    )
    assert_error_body(response, 422)
    assert not served.store.exists("ian")


def test_trigger_intent_answers(client: TestClient) -> None:
    response = client.post(
        "/conversations/jo/trigger_intent", params=AUTH, json={"name": "greet", "entities": {}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"tracker", "messages"}
    assert body["messages"][0]["text"] in GREETINGS
    assert body["messages"][0]["recipient_id"] == "jo"
    assert body["tracker"]["latest_message"]["intent"]["name"] == "greet"


def test_trigger_intent_with_entities_fills_slots(client: TestClient) -> None:
    body = client.post(
        "/conversations/kim/trigger_intent",
        params=AUTH,
        json={"name": "order_drink", "entities": {"drink": "tea"}},
    ).json()
    assert body["tracker"]["slots"]["drink"] == "tea"
    assert body["tracker"]["slots"]["requested_slot"] == "size"
    assert body["messages"][0]["text"] in {
        "Small, medium or large?",
        "Which size: small, medium or large?",
    }


def test_trigger_an_unknown_intent_is_not_found(client: TestClient, served: Served) -> None:
    response = client.post("/conversations/lee/trigger_intent", params=AUTH, json={"name": "dance"})
    assert "greet" in assert_error_body(response, 404)["message"]
    assert not served.store.exists("lee")


def test_predict_stores_nothing(client: TestClient, served: Served) -> None:
    say(client, "max", "hi")
    stored = served.store.retrieve_all("max")
    response = client.post("/conversations/max/predict", params=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"scores", "policy", "confidence", "tracker"}
    assert body["scores"]
    assert all(set(score) == {"action", "score"} for score in body["scores"])
    assert body["tracker"]["sender_id"] == "max"
    assert served.store.retrieve_all("max") == stored


def test_execute_runs_the_action(client: TestClient, served: Served) -> None:
    served.actions["action_place_order"] = answers(text="sent to the till")
    say(client, "ned", "hi")
    response = client.post(
        "/conversations/ned/execute", params=AUTH, json={"name": "action_place_order"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert served.actions.called == ["action_place_order"]
    assert body["messages"][0] == {"recipient_id": "ned", "text": "sent to the till"}
    assert "action_place_order" in event_names(body["tracker"]["events"])


def test_execute_a_response(client: TestClient) -> None:
    body = client.post(
        "/conversations/oz/execute", params=AUTH, json={"name": "utter_greet"}
    ).json()
    assert body["messages"][0]["text"] in GREETINGS


def test_execute_an_unknown_action_is_not_found(client: TestClient, served: Served) -> None:
    response = client.post("/conversations/pat/execute", params=AUTH, json={"name": "utter_nope"})
    assert_error_body(response, 404)
    assert not served.store.exists("pat")


def test_openapi_document_lists_the_api(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = set(document["paths"])
    assert {
        "/version",
        "/status",
        "/health",
        "/ready",
        "/metrics",
        "/model",
        "/model/parse",
        "/conversations/{sender_id}/tracker",
        "/conversations/{sender_id}/tracker/events",
        "/conversations/{sender_id}/messages",
        "/conversations/{sender_id}/trigger_intent",
        "/conversations/{sender_id}/predict",
        "/conversations/{sender_id}/execute",
        "/webhooks/rest/webhook",
    } <= paths
