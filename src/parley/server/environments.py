"""Deployment environments: one :class:`~parley.server.bot.Bot` per environment, each
serving the model that carries the environment's tag, with conversations kept apart.

A message names its environment (``?environment=NAME``, default ``production``); an
unknown name is a 404 listing the valid ones, and an environment no model is tagged for
answers 409 saying how to tag one.
"""

from __future__ import annotations

from collections.abc import Mapping

from parley.core.messages import BotMessage, UserMessage
from parley.errors import NotFoundError
from parley.server.bot import Bot

DEFAULT_ENVIRONMENT = "production"


class Environments:
    """Implements :class:`parley.channels.channel.Conversations` for every environment."""

    def __init__(self, bots: Mapping[str, Bot], *, project: str) -> None:
        if not bots:
            raise ValueError("serve at least one environment")
        self._bots = dict(bots)
        self.project = project
        """The project whose models the environments serve."""
        self.default = DEFAULT_ENVIRONMENT if DEFAULT_ENVIRONMENT in bots else next(iter(bots))

    @property
    def names(self) -> list[str]:
        return list(self._bots)

    def items(self) -> list[tuple[str, Bot]]:
        return list(self._bots.items())

    def bot(self, name: str | None = None) -> Bot:
        """The bot of environment ``name`` (None: the default one)."""
        try:
            return self._bots[name or self.default]
        except KeyError:
            raise NotFoundError("environment", str(name), self._bots) from None

    def check_environment(self, name: str | None) -> None:
        self.bot(name)

    async def handle(self, message: UserMessage) -> list[BotMessage]:
        return await self.bot(message.environment).handle(message)

    async def aclose(self) -> None:
        for bot in self._bots.values():
            await bot.aclose()
