"""Scale-out: a separate ``parley serve --role bot`` process follows the production tag of
a Parley server over Rasa's model-server protocol (ETag polling), and refuses a corrupt
model the server offers, serving on with the old one."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from tests.support.parley_server import parley_process
from tests.support.polling import eventually

import parley

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CAFE_GREETINGS = {
    "Hello, welcome to the Corner Café! What can I get you?",
    "Hi there! What would you like to drink today?",
}
B_GREETING = "Model B says hello."
FOLLOW_S = 15.0
"""How long the bot may take to follow a tag: a few pull intervals on a slow machine."""


def _greeting(base_url: str) -> str:
    answer = httpx.post(
        f"{base_url}/webhooks/rest/webhook",
        json={"sender": "visitor", "message": "hello"},
        timeout=30.0,
        trust_env=False,
    )
    assert answer.status_code == 200, answer.text
    text: str = answer.json()[0]["text"]
    return text


@pytest.fixture
def variant(trained_project: Path) -> Path:
    """The starter assistant greeting with other words, trained outside any server."""
    project = trained_project.parent / "variant"
    if not project.exists():
        shutil.copytree(trained_project, project, ignore=shutil.ignore_patterns("models"))
        domain = project / "domain.yml"
        text = domain.read_text(encoding="utf-8")
        for greeting in CAFE_GREETINGS:
            text = text.replace(greeting, B_GREETING)
        domain.write_text(text, encoding="utf-8")
    return parley.train(project).path


def test_a_bot_follows_the_tag_and_refuses_a_corrupt_model(
    project: Path, variant: Path, tmp_path: Path
) -> None:
    api_home = tmp_path / "api"
    with parley_process(project, home=api_home, args=("--access-log",)) as api:
        headers = {"Authorization": f"Bearer {api.token}"}
        models = f"{api.base_url}/api/projects/default/models"
        bot_env = {
            "PARLEY_MODEL_SERVER_URL": api.base_url,
            "PARLEY_MODEL_SERVER__TOKEN": api.token,
            "PARLEY_MODEL_PULL_INTERVAL": "0.3",
        }
        with parley_process(
            None,
            home=tmp_path / "bot",
            env=bot_env,
            command=("serve", "--role", "bot", "--environment", "production"),
        ) as bot:
            assert _greeting(bot.base_url) in CAFE_GREETINGS

            with variant.open("rb") as file:
                uploaded = httpx.post(
                    models, headers=headers, files={"model": ("b.tar.gz", file)}, trust_env=False
                )
            assert uploaded.status_code == 201, uploaded.text
            b_hash = uploaded.json()["hash"]
            tagged = httpx.put(f"{models}/b/tags/production", headers=headers, trust_env=False)
            assert tagged.status_code == 204
            eventually(
                lambda: _greeting(bot.base_url) == B_GREETING, "the bot on model B", FOLLOW_S
            )
            # Between changes the bot's polls were answered "not modified".
            eventually(
                lambda: " 304" in api.output() and "/models/tags/production" in api.output(),
                "a 304 answer to the bot's If-None-Match",
                FOLLOW_S,
            )

            # Model C is model A under another name; its stored file is then damaged, as a
            # disk might, so the server offers bytes no Parley can load.
            with project.joinpath("models").glob("*.tar.gz").__next__().open("rb") as file:
                uploaded = httpx.post(
                    models, headers=headers, files={"model": ("c.tar.gz", file)}, trust_env=False
                )
            assert uploaded.status_code == 201, uploaded.text
            stored = api_home / "models" / "default" / "c.tar.gz"
            assert stored.is_file()
            stored.write_bytes(stored.read_bytes()[:2000])
            tagged = httpx.put(f"{models}/c/tags/production", headers=headers, trust_env=False)
            assert tagged.status_code == 204
            eventually(
                lambda: "cannot be loaded" in bot.output(), "the bot refusing model C", FOLLOW_S
            )
            assert _greeting(bot.base_url) == B_GREETING
            status = httpx.get(
                f"{bot.base_url}/status", params={"token": bot.token}, trust_env=False
            ).json()
            assert status["model_id"] == b_hash
