"""``/health``, ``/ready`` and ``/metrics``."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient
from tests.support.fake_action_server import FakeActionServer, answers, fails
from tests.unit.server.helpers import AUTH, BrokenStore, make_served

from parley.errors import StorageError


def sample(metrics: str, name: str, labels: str = "") -> float:
    """The value of one sample of the Prometheus text ``metrics`` (0 when absent)."""
    pattern = "^" + re.escape(name) + (re.escape("{" + labels + "}") if labels else "") + r" (\S+)$"
    found = re.search(pattern, metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_health_answers_without_a_model(model_a: Path) -> None:
    with TestClient(make_served().app) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_with_a_model_and_a_database(model_a: Path) -> None:
    served = make_served(initial_model=model_a, ping=lambda: None)
    with TestClient(served.app) as client:
        response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "model": model_a.name,
        "database": "ok",
        "problems": [],
    }


def test_not_ready_without_a_model() -> None:
    with TestClient(make_served().app) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["model"] is None
    assert body["problems"] == ["no model is loaded"]


def test_not_ready_when_the_model_is_unloaded(client: TestClient) -> None:
    assert client.get("/ready").status_code == 200
    assert client.delete("/model", params=AUTH).status_code == 204
    assert client.get("/ready").status_code == 503
    assert client.get("/health").status_code == 200


def test_not_ready_while_the_database_is_unreachable(model_a: Path) -> None:
    down = {"now": True}

    def ping() -> None:
        if down["now"]:
            raise StorageError("cannot reach the database at postgresql://db:5432/parley")

    served = make_served(initial_model=model_a, ping=ping)
    with TestClient(served.app) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["database"] == "unavailable"
        assert body["model"] == model_a.name
        assert any("cannot reach the database" in problem for problem in body["problems"])
        # Alive all the same: a restart would not help.
        assert client.get("/health").status_code == 200
        down["now"] = False
        assert client.get("/ready").status_code == 200


def test_not_ready_lists_every_reason() -> None:
    def ping() -> None:
        raise StorageError("database is down")

    with TestClient(make_served(ping=ping).app) as client:
        body = client.get("/ready").json()
    assert body["problems"] == ["no model is loaded", "database is down"]


def test_metrics_count_turns_latency_fallbacks_and_action_server_errors(
    model_a: Path,
) -> None:
    actions = FakeActionServer({"action_place_order": fails("connection refused")})
    served = make_served(initial_model=model_a, actions=actions)
    with TestClient(served.app) as client:
        before = client.get("/metrics")
        assert before.status_code == 200
        assert before.headers["content-type"].startswith("text/plain")
        assert sample(before.text, "parley_turns_total", 'channel="rest",outcome="ok"') == 0

        for text in ["hi", "can I get a latte?", '/inform{"size": "large"}', "/affirm"]:
            client.post("/webhooks/rest/webhook", json={"sender": "a", "message": text})
        # Gibberish NLU cannot classify confidently.
        fallback = client.post(
            "/webhooks/rest/webhook", json={"sender": "b", "message": "zqxj vbnm wxyz"}
        )
        assert fallback.json()[0]["text"] == (
            "Sorry, I didn't catch that. Could you say it another way?"
        )
        text = client.get("/metrics").text

    assert sample(text, "parley_turns_total", 'channel="rest",outcome="ok"') == 5
    assert sample(text, "parley_turn_seconds_count", 'channel="rest"') == 5
    assert sample(text, "parley_turn_seconds_sum", 'channel="rest"') > 0
    assert sample(text, "parley_turn_seconds_bucket", 'channel="rest",le="+Inf"') == 5
    assert "# TYPE parley_turn_seconds histogram" in text
    assert sample(text, "parley_nlu_fallbacks_total") == 1
    assert actions.called == ["action_place_order"]
    assert sample(text, "parley_action_server_errors_total") == 1
    assert sample(text, "parley_model_loads_total", 'outcome="ok"') == 1


def test_metrics_count_failed_turns(model_a: Path) -> None:
    store = BrokenStore()
    store.broken = True
    served = make_served(tracker_store=store, initial_model=model_a)
    with TestClient(served.app, raise_server_exceptions=False) as client:
        response = client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
        assert response.status_code == 503
        text = client.get("/metrics").text
    assert sample(text, "parley_turns_total", 'channel="rest",outcome="ok"') == 0
    assert sample(text, "parley_turns_total", 'channel="rest",outcome="error"') == 1


def test_successful_custom_actions_are_no_errors(model_a: Path) -> None:
    actions = FakeActionServer({"action_place_order": answers(text="ok")})
    served = make_served(initial_model=model_a, actions=actions)
    with TestClient(served.app) as client:
        client.post("/conversations/a/execute", params=AUTH, json={"name": "action_place_order"})
        text = client.get("/metrics").text
    assert actions.called == ["action_place_order"]
    assert sample(text, "parley_action_server_errors_total") == 0


def test_each_server_counts_apart(model_a: Path) -> None:
    first = make_served(initial_model=model_a)
    second = make_served(initial_model=model_a)
    with TestClient(first.app) as one, TestClient(second.app) as two:
        one.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
        assert sample(one.get("/metrics").text, "parley_turns_total", 'channel="rest",outcome="ok"')
        assert not sample(
            two.get("/metrics").text, "parley_turns_total", 'channel="rest",outcome="ok"'
        )
