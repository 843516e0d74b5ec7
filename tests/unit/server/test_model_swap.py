"""``PUT /model`` and ``DELETE /model``: a swap replaces the served model at once, turns in
flight finish on the old one, the old one's memory is released, and a model that cannot be
loaded leaves the old one serving."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from starlette.testclient import TestClient
from tests.support.fake_action_server import Request, reply
from tests.unit.server.helpers import (
    AUTH,
    B_GREETING,
    B_PLACED,
    GREETINGS,
    HttpResponse,
    Served,
    assert_error_body,
    make_served,
)

WAIT_S = 10.0


def greet(client: TestClient, sender: str = "g") -> str:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hi"})
    assert response.status_code == 200, response.text
    text: str = response.json()[0]["text"]
    return text


def put_model(client: TestClient, path: Path | str) -> HttpResponse:
    return client.put("/model", params=AUTH, json={"model_file": str(path)})


def test_put_model_swaps_the_served_model(
    client: TestClient, served: Served, model_a: Path, model_b: Path
) -> None:
    assert greet(client, "one") in GREETINGS
    response = put_model(client, model_b)
    assert response.status_code == 204
    assert response.text == ""
    assert greet(client, "two") == B_GREETING
    status = client.get("/status", params=AUTH).json()
    assert status["model_file"] == str(model_b)
    assert served.bot.served is not None
    assert status["model_id"] == served.bot.served.model.manifest.fingerprint
    assert client.get("/ready").json()["model"] == model_b.name
    # The conversation goes on with the new model.
    assert greet(client, "one") == B_GREETING
    assert put_model(client, model_a).status_code == 204
    assert greet(client, "three") in GREETINGS


def test_a_corrupt_model_is_refused_and_the_old_one_keeps_serving(
    client: TestClient, served: Served, model_a: Path, corrupt_model: Path
) -> None:
    before = client.get("/status", params=AUTH).json()
    response = put_model(client, corrupt_model)
    assert str(corrupt_model) in assert_error_body(response, 400)["message"]
    assert client.get("/status", params=AUTH).json() == before
    assert greet(client) in GREETINGS
    assert client.get("/ready").status_code == 200
    assert 'parley_model_loads_total{outcome="error"} 1.0' in client.get("/metrics").text


def test_a_model_that_is_not_a_tar_gz_is_refused(
    client: TestClient, tmp_path: Path, model_a: Path
) -> None:
    text_file = tmp_path / "model.tar.gz"
    text_file.write_text("version: 3.1\n", encoding="utf-8")
    assert_error_body(put_model(client, text_file), 400)
    assert_error_body(put_model(client, tmp_path), 400)  # a folder
    assert greet(client) in GREETINGS


@pytest.mark.parametrize(
    "body",
    [
        {"model_file": "/no/such/model.tar.gz"},
        {},
        {"model_server": {"url": "http://models.example.org/model.tar.gz"}},
        {"remote_storage": "aws"},
    ],
)
def test_put_model_needs_a_model_file_on_the_server(
    client: TestClient, served: Served, body: dict[str, Any]
) -> None:
    before = served.bot.served
    assert_error_body(client.put("/model", params=AUTH, json=body), 400)
    assert served.bot.served is before


def test_delete_model_unloads_it(client: TestClient, served: Served, model_a: Path) -> None:
    assert client.delete("/model", params=AUTH).status_code == 204
    assert served.bot.served is None
    assert client.get("/status", params=AUTH).json()["model_file"] is None
    refused = client.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
    assert assert_error_body(refused, 409)["reason"] == "NoModel"
    assert_error_body(client.post("/model/parse", params=AUTH, json={"text": "hi"}), 409)
    assert_error_body(client.get("/conversations/a/tracker", params=AUTH), 409)
    assert not served.store.exists("a")
    # Deleting again is harmless; loading one serves again.
    assert client.delete("/model", params=AUTH).status_code == 204
    assert put_model(client, model_a).status_code == 204
    assert greet(client) in GREETINGS


def test_a_server_started_without_a_model_takes_one(model_a: Path) -> None:
    served = make_served()
    with TestClient(served.app) as client:
        assert client.get("/ready").status_code == 503
        assert put_model(client, model_a).status_code == 204
        assert client.get("/ready").status_code == 200
        assert greet(client) in GREETINGS


async def _to_confirmation(client: httpx.AsyncClient, sender: str) -> None:
    for text in ["hi", "can I get a latte?", '/inform{"size": "large"}']:
        response = await client.post(
            "/webhooks/rest/webhook", json={"sender": sender, "message": text}
        )
        assert response.status_code == 200, response.text


@pytest.mark.anyio
async def test_turns_in_flight_finish_on_the_old_model_which_is_then_released(
    aclient: httpx.AsyncClient, served: Served, model_b: Path
) -> None:
    entered = threading.Event()
    release = threading.Event()

    def place_order(request: Request) -> dict[str, Any]:
        entered.set()
        if not release.wait(WAIT_S):
            raise AssertionError("the test never released the action")
        return reply()

    served.actions["action_place_order"] = place_order
    await _to_confirmation(aclient, "ann")

    current = served.bot.served
    assert current is not None
    assert current.agent is not None
    old_model = weakref.ref(current.model)
    old_agent = weakref.ref(current.agent)
    del current

    answers: dict[str, httpx.Response] = {}

    async def confirm() -> None:
        answers["ann"] = await aclient.post(
            "/webhooks/rest/webhook", json={"sender": "ann", "message": "/affirm"}
        )

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(confirm)
            assert await anyio.to_thread.run_sync(entered.wait, WAIT_S)

            # The turn is inside its custom action, on the old model: swap now.
            swapped = await aclient.put("/model", params=AUTH, json={"model_file": str(model_b)})
            assert swapped.status_code == 204, swapped.text
            new = await aclient.post(
                "/webhooks/rest/webhook", json={"sender": "bo", "message": "hi"}
            )
            assert new.json()[0]["text"] == B_GREETING
            assert "ann" not in answers  # still in flight
            gc.collect()
            assert old_agent() is not None  # the turn in flight still runs on it
            release.set()
    finally:
        release.set()

    placed = answers["ann"]
    assert placed.status_code == 200, placed.text
    # Answered by the old model's domain, not the new one's.
    assert [m["text"] for m in placed.json()] == [
        "Done! Your latte will be ready at the counter in a few minutes."
    ]
    assert B_PLACED.format(drink="latte") not in placed.text
    # The next turn of the same conversation is the new model's.
    again = await aclient.post("/webhooks/rest/webhook", json={"sender": "ann", "message": "hi"})
    assert again.json()[0]["text"] == B_GREETING

    answers.clear()
    del placed
    gc.collect()
    assert old_agent() is None, gc.get_referrers(old_agent())
    assert old_model() is None, gc.get_referrers(old_model())


@pytest.mark.anyio
async def test_the_old_model_is_released_after_a_swap(
    aclient: httpx.AsyncClient, served: Served, model_b: Path
) -> None:
    for sender in ["a", "b", "c"]:
        await aclient.post("/webhooks/rest/webhook", json={"sender": sender, "message": "hi"})
    await aclient.post("/model/parse", params=AUTH, json={"text": "hi"})
    current = served.bot.served
    assert current is not None
    old_model = weakref.ref(current.model)
    del current
    swapped = await aclient.put("/model", params=AUTH, json={"model_file": str(model_b)})
    assert swapped.status_code == 204
    gc.collect()
    assert old_model() is None
    # And after an unload too.
    current = served.bot.served
    assert current is not None
    second = weakref.ref(current.model)
    del current
    assert (await aclient.delete("/model", params=AUTH)).status_code == 204
    gc.collect()
    assert second() is None


@pytest.mark.anyio
async def test_no_request_fails_while_models_are_swapped(
    aclient: httpx.AsyncClient, served: Served, model_a: Path, model_b: Path
) -> None:
    answers: list[httpx.Response] = []

    async def talk(sender: str) -> None:
        for text in ["hi", "can I get a latte?", "large"]:
            answers.append(
                await aclient.post(
                    "/webhooks/rest/webhook", json={"sender": sender, "message": text}
                )
            )

    async with anyio.create_task_group() as tasks:
        for number in range(8):
            tasks.start_soon(talk, f"user-{number}")
        for path in [model_b, model_a, model_b]:
            swapped = await aclient.put("/model", params=AUTH, json={"model_file": str(path)})
            assert swapped.status_code == 204

    assert len(answers) == 24
    assert [a.status_code for a in answers] == [200] * 24
    for number in range(8):
        events = served.store.retrieve_all(f"user-{number}")
        assert sum(type(e).__name__ == "UserUttered" for e in events) == 3
