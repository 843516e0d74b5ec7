"""What routes get from the app: the served assistant, and the conversation id checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from parley.server.bot import Bot
from parley.server.environments import Environments

EnvironmentName = Annotated[
    str | None,
    Query(
        max_length=64,
        description="The deployment environment (default `production`); each serves the "
        "model carrying its tag and keeps its own conversations.",
    ),
]


def _bot(request: Request, environment: EnvironmentName = None) -> Bot:
    environments: Environments = request.app.state.environments
    return environments.bot(environment)


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
