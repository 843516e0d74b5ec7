"""Keeping each environment on the model its tag names: a task that asks a
:class:`ModelSource` (the registry itself, or a model server over HTTP) whether the tag
moved, and swaps the environment's model when it did.

A swap is the bot's zero-downtime load: turns in flight finish on the old model. A model
that fails to load leaves the old one serving, and is not tried again until the tag moves
on. A tag taken off every model leaves its environment without one (409 to its users).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

import anyio.to_thread

from parley.clients.model_server import UNCHANGED, Download, Unchanged
from parley.errors import ModelError, ParleyError
from parley.models.registry import ModelRegistry
from parley.server.environments import Environments

logger = logging.getLogger(__name__)


class ModelSource(Protocol):
    """Where tags are read: the registry (:class:`RegistrySource`) or a model server
    (:class:`~parley.clients.model_server.ModelServerClient`)."""

    def fetch(self, tag: str, etag: str | None) -> Download | Unchanged | None:
        """The model tagged ``tag`` unless its fingerprint is ``etag`` (UNCHANGED); None
        when no model carries the tag. Called in a worker thread."""
        ...


class RegistrySource:
    """Tags read from the registry of this installation."""

    def __init__(self, registry: ModelRegistry, project: str) -> None:
        self._registry = registry
        self._project = project

    def fetch(self, tag: str, etag: str | None) -> Download | Unchanged | None:
        record = self._registry.tagged(self._project, tag)
        if record is None:
            return None
        if record.fingerprint == etag:
            return UNCHANGED
        return Download(record.fingerprint, self._registry.path(self._project, record.name))


class ModelFollower:
    def __init__(self, environments: Environments, source: ModelSource, *, interval: float) -> None:
        self._environments = environments
        self._source = source
        self._interval = interval
        self._refused: dict[str, str] = {}
        """Per environment, the fingerprint of a model that failed to load."""
        self._wake = asyncio.Event()
        self.lock = asyncio.Lock()
        """Held by each sync; a change of served model made beside the tags (Rasa's
        ``PUT /model``: load, then tag) holds it too, so a sync never sees it half done."""

    def poke(self) -> None:
        """Look now rather than at the next interval (after a tag changed here)."""
        self._wake.set()

    async def sync(self) -> None:
        """Bring every environment onto its tagged model, once."""
        async with self.lock:
            await self._sync()

    async def _sync(self) -> None:
        for name, bot in self._environments.items():
            served = bot.served
            known = self._refused.get(name) or (served.id if served else None)
            try:
                offer = await anyio.to_thread.run_sync(self._source.fetch, name, known)
            except ParleyError as error:
                logger.warning(
                    "cannot tell which model environment %s should serve: %s", name, error
                )
                continue
            if offer is UNCHANGED:
                continue
            if offer is None:
                self._refused.pop(name, None)
                if served is not None:
                    logger.info("environment %s: no model carries its tag any more", name)
                    bot.unload()
                continue
            if served is not None and served.id == offer.fingerprint:
                self._refused.pop(name, None)
                continue
            try:
                await bot.load(offer.path)
            except (ModelError, OSError) as error:
                self._refused[name] = offer.fingerprint
                logger.error(
                    "environment %s keeps its model: the model tagged for it (%s) cannot be "
                    "loaded: %s",
                    name,
                    offer.fingerprint[:12],
                    error,
                )
            else:
                self._refused.pop(name, None)

    async def run(self) -> None:
        """Sync every ``interval`` seconds (or when poked) until cancelled."""
        while True:
            self._wake.clear()
            try:
                await self.sync()
            except Exception:  # a bug here must not stop following for good
                logger.exception("following the environments' models failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
