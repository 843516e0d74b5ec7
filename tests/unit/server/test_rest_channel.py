"""The REST channel: ``POST /webhooks/rest/webhook`` answers as Rasa's does."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient
from tests.support.fake_action_server import reply
from tests.unit.server.helpers import GREETINGS, Served

from parley.core.events import UserUttered

SIZE_QUESTIONS = {"Small, medium or large?", "Which size: small, medium or large?"}


def post(client: TestClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/webhooks/rest/webhook", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    answer: list[dict[str, Any]] = response.json()
    return answer


def test_a_greeting_is_answered(client: TestClient) -> None:
    answer = post(client, {"sender": "ann", "message": "hello"})
    assert len(answer) == 1
    # Exactly Rasa's keys: no `null` for the parts a message does not have.
    assert set(answer[0]) == {"recipient_id", "text"}
    assert answer[0]["recipient_id"] == "ann"
    assert answer[0]["text"] in GREETINGS


def test_an_order_goes_through_the_form(client: TestClient, served: Served) -> None:
    served.actions["action_place_order"] = lambda request: reply()
    post(client, {"sender": "bo", "message": "hi"})

    asked = post(client, {"sender": "bo", "message": "can I get a latte?"})
    assert [m["text"] for m in asked] in [[q] for q in SIZE_QUESTIONS]
    assert set(asked[0]) == {"recipient_id", "text", "buttons"}
    assert asked[0]["buttons"] == [
        {"title": "Small", "payload": '/inform{"size": "small"}'},
        {"title": "Medium", "payload": '/inform{"size": "medium"}'},
        {"title": "Large", "payload": '/inform{"size": "large"}'},
    ]

    # A button's payload is read without NLU.
    confirm = post(client, {"sender": "bo", "message": asked[0]["buttons"][2]["payload"]})
    assert confirm[0]["text"] == "So that's a large latte. Shall I put the order through?"
    assert [b["payload"] for b in confirm[0]["buttons"]] == ["/affirm", "/deny"]

    placed = post(client, {"sender": "bo", "message": "yes please"})
    assert served.actions.called == ["action_place_order"]
    assert served.actions.last_request("action_place_order")["tracker"]["slots"]["size"] == "large"
    assert [m["text"] for m in placed] == [
        "Done! Your latte will be ready at the counter in a few minutes."
    ]


def test_rich_responses_from_a_custom_action(client: TestClient, served: Served) -> None:
    served.actions["action_place_order"] = lambda request: reply(
        responses=[
            {"image": "https://example.org/latte.png"},
            {"custom": {"kind": "receipt", "total": 3.5}},
            {"text": "Pick one", "buttons": [{"title": "A", "payload": "/affirm"}]},
        ]
    )
    answer = client.post(
        "/conversations/cy/execute", params={"token": "t"}, json={"name": "action_place_order"}
    )
    assert answer.status_code == 200, answer.text
    messages = answer.json()["messages"]
    assert {"recipient_id": "cy", "image": "https://example.org/latte.png"} in messages
    assert {"recipient_id": "cy", "custom": {"kind": "receipt", "total": 3.5}} in messages
    assert {
        "recipient_id": "cy",
        "text": "Pick one",
        "buttons": [{"title": "A", "payload": "/affirm"}],
    } in messages


def test_rich_responses_over_rest(client: TestClient, served: Served) -> None:
    served.actions["action_place_order"] = lambda request: reply(
        responses=[
            {"image": "https://example.org/latte.png"},
            {"custom": {"kind": "receipt"}},
        ]
    )
    post(client, {"sender": "dee", "message": "hi"})
    post(client, {"sender": "dee", "message": "can I get a latte?"})
    post(client, {"sender": "dee", "message": '/inform{"size": "small"}'})
    answer = post(client, {"sender": "dee", "message": "/affirm"})
    assert answer[:2] == [
        {"recipient_id": "dee", "image": "https://example.org/latte.png"},
        {"recipient_id": "dee", "custom": {"kind": "receipt"}},
    ]


def test_metadata_reaches_the_tracker_and_the_action_server(
    client: TestClient, served: Served
) -> None:
    served.actions["action_place_order"] = lambda request: reply()
    post(client, {"sender": "eve", "message": "hi", "metadata": {"table": 7}})
    user = [e for e in served.store.retrieve_all("eve") if isinstance(e, UserUttered)]
    assert user[-1].metadata == {"table": 7}
    assert user[-1].input_channel == "rest"


def test_the_sender_defaults_as_in_rasa(client: TestClient, served: Served) -> None:
    answer = post(client, {"message": "hello"})
    assert answer[0]["recipient_id"] == "default"
    assert served.store.sender_ids() == ["default"]


def test_conversations_are_kept_apart(client: TestClient, served: Served) -> None:
    post(client, {"sender": "fay", "message": "can I get a latte?"})
    post(client, {"sender": "gus", "message": "hi"})
    assert served.store.sender_ids() == ["fay", "gus"]
    gus = client.get("/conversations/gus/tracker", params={"token": "t"}).json()
    assert gus["slots"]["drink"] is None
    assert gus["active_loop"] == {}


def test_an_empty_message_is_answered(client: TestClient) -> None:
    answer = post(client, {"sender": "hal", "message": ""})
    assert all(m["recipient_id"] == "hal" for m in answer)


def test_no_model_is_a_conflict_in_rasa_error_body(client: TestClient, served: Served) -> None:
    assert client.delete("/model", params={"token": "t"}).status_code == 204
    response = client.post("/webhooks/rest/webhook", json={"sender": "ian", "message": "hi"})
    assert response.status_code == 409
    assert response.json()["status"] == "failure"
    assert not served.store.exists("ian")
