"""The real ``rasa-webchat`` widget (from npm) in headless Chromium, talking to ``parley run``.

The starter assistant is created with ``parley init`` and served by ``parley run`` as a
process of its own (training included); a page on another origin mounts the widget with
``socketUrl`` pointing at it, as a site embedding the widget would. No CDN and no downloaded
browser: the widget comes from :mod:`tests.support.webchat`, the browser is Debian's.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from tests.support.parley_server import PARLEY, free_port, running_parley
from tests.support.webchat import chromium, serving_page, webchat_bundle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TURN_TIMEOUT_MS = 15_000
TOKEN = "webchat-e2e-token"
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def _get(url: str) -> tuple[int, bytes]:
    try:
        with _LOCAL.open(url, timeout=2) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter assistant, as ``parley init`` writes it."""
    project = tmp_path_factory.mktemp("webchat") / "cafe"
    subprocess.run([str(PARLEY), "init", str(project)], check=True, capture_output=True)
    return project


@pytest.fixture(scope="module")
def server(starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``parley run`` serving the starter; its base URL. Its output must show a clean stop."""
    home = tmp_path_factory.mktemp("parley-home")
    port = free_port()
    env = {"PARLEY_AUTH_TOKEN": TOKEN}
    with running_parley(starter, home=home, port=port, env=env) as (base, _token):
        yield base
    output = (home / f"parley-run-{port}.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def domain(starter: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(
        (starter / "domain.yml").read_text(encoding="utf-8")
    )
    return loaded


def _tracker(base: str, sender_id: str) -> dict[str, Any]:
    status, body = _get(f"{base}/conversations/{sender_id}/tracker?token={TOKEN}")
    assert status == 200, body
    tracker: dict[str, Any] = json.loads(body)
    return tracker


def _texts(domain: dict[str, Any], response: str) -> list[str]:
    return [variant["text"] for variant in domain["responses"][response] if "text" in variant]


def _button_titles(domain: dict[str, Any]) -> tuple[str, list[str]]:
    """The first response with buttons, and their titles."""
    for name, variants in domain["responses"].items():
        for variant in variants:
            if variant.get("buttons"):
                return name, [str(button["title"]) for button in variant["buttons"]]
    pytest.fail(
        "no response of the starter's domain has buttons, so the widget cannot show a quick "
        "reply; the starter's utter_ask_size should offer small / medium / large buttons"
    )


def _any_of(texts: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(text) for text in texts))


def test_the_widget_greets_and_offers_quick_replies(server: str, domain: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    browser_path = chromium()
    bundle = webchat_bundle()
    with_buttons, titles = _button_titles(domain)
    assert with_buttons == "utter_ask_size", "the test orders a drink to reach the buttons"

    widget = {
        "socketUrl": server,
        "socketPath": "/socket.io/",
        "title": "Corner Café",
        "customData": {"language": "en"},
        "params": {"storage": "session"},
    }
    with serving_page(bundle, widget) as page_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(browser_path), headless=True)
        page = browser.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        try:
            page.goto(page_url)
            page.locator(".rw-launcher").click()
            message_box = page.locator(".rw-new-message")
            expect(message_box).to_be_enabled(timeout=TURN_TIMEOUT_MS)

            message_box.fill("hi")
            message_box.press("Enter")
            expect(page.locator(".rw-response").last).to_contain_text(
                _any_of(_texts(domain, "utter_greet")), timeout=TURN_TIMEOUT_MS
            )

            message_box.fill("can I get a latte")
            message_box.press("Enter")
            expect(page.locator(".rw-response").last).to_contain_text(
                _any_of(_texts(domain, with_buttons)), timeout=TURN_TIMEOUT_MS
            )
            replies = page.locator(".rw-replies .rw-reply")
            expect(replies).to_have_text(titles, timeout=TURN_TIMEOUT_MS)

            # A quick reply sends its payload: the form takes the size and confirms.
            replies.first.click()
            expect(page.locator(".rw-response").last).to_contain_text(
                f"{titles[0].lower()} latte", timeout=TURN_TIMEOUT_MS
            )
            session_id = page.evaluate(
                "JSON.parse(window.sessionStorage.getItem('chat_session')).session_id"
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\nbrowser console:\n" + "\n".join(console)) from None
        finally:
            browser.close()

    # The widget's session id is the stored conversation's sender id.
    events = _tracker(server, session_id)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [
        "hi",
        "can I get a latte",
        titles_payload(domain, with_buttons, 0),
    ]
    assert (events[-1]["event"], events[-1].get("name")) == ("action", "action_listen")


def titles_payload(domain: dict[str, Any], response: str, index: int) -> str:
    payload: str = domain["responses"][response][0]["buttons"][index]["payload"]
    return payload


def test_a_client_leaving_mid_turn_leaves_a_whole_turn_and_a_serving_server(
    server: str, domain: dict[str, Any]
) -> None:
    import socketio

    async def leave_mid_turn() -> str:
        client = socketio.AsyncClient(reconnection=False)
        confirmed: asyncio.Queue[str] = asyncio.Queue()
        client.on("session_confirm", confirmed.put)
        await client.connect(server, wait_timeout=10)
        await client.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(confirmed.get(), 10)
        await client.emit("user_uttered", {"message": "hi", "session_id": session_id})
        # python-engineio's client closes its socket without sending what it has queued:
        # wait until the message is on the wire, then leave without waiting for the answer.
        await client.eio.queue.join()
        await client.disconnect()
        return session_id

    async def converse() -> Any:
        client = socketio.AsyncClient(reconnection=False)
        answers: asyncio.Queue[Any] = asyncio.Queue()
        client.on("bot_uttered", answers.put)
        await client.connect(server, wait_timeout=10)
        await client.emit("session_request", {"session_id": "stayer"})
        await client.emit("user_uttered", {"message": "hi", "session_id": "stayer"})
        answer = await asyncio.wait_for(answers.get(), 10)
        await client.disconnect()
        return answer

    leaver = asyncio.run(leave_mid_turn())
    assert asyncio.run(converse())["text"] in _texts(domain, "utter_greet")

    deadline = time.monotonic() + 10
    while True:
        status, body = _get(f"{server}/conversations/{leaver}/tracker?token={TOKEN}")
        events = json.loads(body).get("events", []) if status == 200 else []
        kinds = [(e["event"], e.get("name") or e.get("text")) for e in events]
        if ("user", "hi") in kinds or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert ("user", "hi") in kinds, f"the turn of the client that left is not stored: {kinds}"
    # The whole turn, stored at once: the user's message, the greeting, back to listening.
    turn = kinds[kinds.index(("user", "hi")) :]
    assert ("action", "utter_greet") in turn
    assert turn[-1] == ("action", "action_listen")
