"""What routes get from the app: the served assistant, and the conversation id checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from parley.server.bot import Bot


def _bot(request: Request) -> Bot:
    bot: Bot = request.app.state.bot
    return bot


BotDep = Annotated[Bot, Depends(_bot)]

MAX_SENDER_ID = 255
"""Longest conversation id; the database column holds this many characters."""

SenderId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_SENDER_ID,
        description="The conversation id (Rasa's sender id).",
    ),
]
