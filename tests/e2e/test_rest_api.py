"""``parley run`` as a process: the REST channel and the Rasa HTTP API over real HTTP, with
conversations kept in a real database (a SQLite file, and PostgreSQL) across a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.parley_server import running_parley

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GREETINGS = {
    "Hello, welcome to the Corner Café! What can I get you?",
    "Hi there! What would you like to drink today?",
}
SIZE_QUESTIONS = {"Small, medium or large?", "Which size: small, medium or large?"}


@pytest.fixture
def server(project: Path, tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    with (
        running_parley(project, home=tmp_path / "home") as (base_url, token),
        httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client,
    ):
        yield client, token


def say(client: httpx.Client, sender: str, text: str) -> list[dict[str, Any]]:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    answer: list[dict[str, Any]] = response.json()
    return answer


def test_rest_conversation_with_the_demo_bot(server: tuple[httpx.Client, str]) -> None:
    client, _ = server
    hello = say(client, "ann", "hello")
    assert len(hello) == 1
    assert set(hello[0]) == {"recipient_id", "text"}
    assert hello[0]["recipient_id"] == "ann"
    assert hello[0]["text"] in GREETINGS

    asked = say(client, "ann", "can I get a latte?")
    assert asked[0]["text"] in SIZE_QUESTIONS
    assert [b["title"] for b in asked[0]["buttons"]] == ["Small", "Medium", "Large"]

    confirm = say(client, "ann", asked[0]["buttons"][1]["payload"])
    assert confirm[0]["text"] == "So that's a medium latte. Shall I put the order through?"

    cancelled = say(client, "ann", "no")
    assert cancelled[0]["text"] == (
        "No problem, I've cancelled it. Just say when you'd like something else."
    )


def test_rasa_http_api_flow(server: tuple[httpx.Client, str]) -> None:
    client, token = server
    auth = {"token": token}
    assert client.get("/version").status_code == 200
    assert client.get("/status").status_code == 401
    status = client.get("/status", headers={"Authorization": f"Bearer {token}"}).json()
    assert status["model_file"].endswith(".tar.gz")

    parsed = client.post("/model/parse", params=auth, json={"text": "can I get a latte?"})
    assert parsed.json()["intent"]["name"] == "order_drink"

    assert client.get("/conversations/bo/tracker", params=auth).status_code == 404
    logged = client.post(
        "/conversations/bo/messages", params=auth, json={"text": "hi", "sender": "user"}
    )
    assert logged.status_code == 200, logged.text
    assert logged.json()["latest_message"]["intent"]["name"] == "greet"

    predicted = client.post("/conversations/bo/predict", params=auth).json()
    assert predicted["scores"][0]["action"] == "utter_greet"

    triggered = client.post(
        "/conversations/bo/trigger_intent",
        params=auth,
        json={"name": "order_drink", "entities": {"drink": "tea"}},
    ).json()
    assert triggered["tracker"]["slots"]["drink"] == "tea"
    assert triggered["messages"][0]["text"] in SIZE_QUESTIONS

    appended = client.post(
        "/conversations/bo/tracker/events",
        params=auth,
        json=[{"event": "slot", "name": "size", "value": "small"}],
    )
    assert appended.json()["slots"]["size"] == "small"

    executed = client.post(
        "/conversations/bo/execute", params=auth, json={"name": "utter_greet"}
    ).json()
    assert executed["messages"][0]["text"] in GREETINGS

    tracker = client.get(
        "/conversations/bo/tracker", params={**auth, "include_events": "ALL"}
    ).json()
    kinds = [e["event"] for e in tracker["events"]]
    assert kinds.count("user") == 2
    assert tracker["slots"] == {
        "drink": "tea",
        "size": "small",
        "requested_slot": tracker["slots"]["requested_slot"],
        "session_started_metadata": tracker["slots"].get("session_started_metadata"),
    }

    metrics = client.get("/metrics").text
    assert "parley_turns_total" in metrics
    assert "parley_turn_seconds_bucket" in metrics

    # Bad input gets Rasa's error body and leaves the server serving.
    bad = client.post(
        "/webhooks/rest/webhook",
        content=b'{"sender": ',
        headers={"content-type": "application/json"},
    )
    assert bad.status_code == 400
    assert bad.json()["status"] == "failure"
    too_big = client.post(
        "/webhooks/rest/webhook",
        content=b'{"message": "' + b"a" * (10 * 1024 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert too_big.status_code == 413
    assert say(client, "bo2", "hi")[0]["text"] in GREETINGS


def test_put_model_over_http(server: tuple[httpx.Client, str], project: Path) -> None:
    client, token = server
    (model,) = (project / "models").glob("*.tar.gz")
    corrupt = project / "corrupt.tar.gz"
    corrupt.write_bytes(b"not a model")
    refused = client.put("/model", params={"token": token}, json={"model_file": str(corrupt)})
    assert refused.status_code == 400
    assert refused.json()["status"] == "failure"
    swapped = client.put("/model", params={"token": token}, json={"model_file": str(model)})
    assert swapped.status_code == 204
    assert say(client, "cy", "hi")[0]["text"] in GREETINGS


def test_conversations_survive_a_restart(project: Path, tmp_path: Path, database_url: str) -> None:
    env = {"DATABASE_URL": database_url}
    home = tmp_path / "home"
    with (
        running_parley(project, home=home, env=env) as (base_url, token),
        httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client,
    ):
        say(client, "dee", "hi")
        say(client, "dee", "can I get a latte?")
        before = client.get(
            "/conversations/dee/tracker", params={"token": token, "include_events": "ALL"}
        ).json()

    if database_url.startswith("sqlite"):
        assert Path(database_url.removeprefix("sqlite:///")).is_file()

    with (
        running_parley(project, home=home, env=env) as (base_url, token),
        httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client,
    ):
        after = client.get(
            "/conversations/dee/tracker", params={"token": token, "include_events": "ALL"}
        ).json()
        assert after["events"] == before["events"]
        assert after["slots"]["drink"] == "latte"
        assert after["active_loop"]["name"] == "order_form"
        # The conversation goes on where it was: the form asked for the size.
        answer = say(client, "dee", '/inform{"size": "large"}')
        assert answer[0]["text"] == "So that's a large latte. Shall I put the order through?"
