"""What a channel talks to: the server's conversations, whatever model serves them now."""

from __future__ import annotations

from typing import Protocol

from parley.core.messages import BotMessage, UserMessage


class Conversations(Protocol):
    async def handle(self, message: UserMessage) -> list[BotMessage]:
        """Answer ``message``: the bot's messages, once the turn's events are stored.

        Raises :class:`parley.errors.ServiceError` when the turn cannot be stored (the
        database is away) and :class:`parley.errors.ModelError` when no model is loaded;
        the channel reports either to its client and nothing of the turn is kept."""
        ...

    def check_environment(self, name: str | None) -> None:
        """Nothing when ``name`` (None: the default) is an environment served here; else
        :class:`parley.errors.NotFoundError` listing the ones that are."""
        ...
