"""The served assistant: the loaded model, swapped without downtime, and the conversation
ports every turn uses.

A turn takes the model that is current when it starts and finishes on it; a swap only
replaces the reference, so turns in flight complete on the old model and the old model is
freed when the last of them ends. Turns run on the event loop's thread, in greenlets whose
waits (the conversation lock, the action server) let the loop go on (see
:mod:`parley.server.inline`); only loading a model, seconds of work, goes to a thread.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from parley.agent import Agent, TurnResult
from parley.core.events import UserUttered
from parley.core.messages import BotMessage, UserMessage
from parley.core.ports import ActionClient, Clock, LockStore, TrackerStore
from parley.errors import NoModelError, ServiceError
from parley.models.loading import LoadedModel
from parley.nlu.fallback import FALLBACK_INTENT
from parley.ops.metrics import Metrics
from parley.server.inline import LoopActionClient, LoopLockStore, run_inline

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class ServedModel:
    path: Path
    model: LoadedModel
    agent: Agent | None
    """None for an NLU-only model: it parses but cannot converse."""

    @property
    def id(self) -> str:
        return self.model.manifest.fingerprint


class _CountingActionClient:
    """Counts the action server's failures for ``/metrics`` and passes everything on."""

    def __init__(self, inner: ActionClient, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._inner.run(payload)
        except ServiceError:
            self._metrics.action_server_errors.inc()
            raise


class Bot:
    """One environment's assistant: its model, swapped without downtime, and its turns
    (:class:`~parley.server.environments.Environments` gives the channels each message's
    bot)."""

    def __init__(
        self,
        load: Callable[[Path], LoadedModel],
        *,
        tracker_store: TrackerStore,
        lock_store: LockStore | None = None,
        action_client: ActionClient | None = None,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
        environment: str | None = None,
    ) -> None:
        """``environment`` names the deployment environment this bot serves, for messages.
        ``tracker_store`` is called on the loop's thread: give an in-process one, or wrap
        one that waits on the network in :class:`~parley.server.inline.ThreadedTrackerStore`.
        ``lock_store`` must suspend rather than block (the default
        :class:`~parley.server.inline.LoopLockStore` does)."""
        self._load = load
        self.environment = environment
        self.tracker_store = tracker_store
        self.lock_store = lock_store or LoopLockStore()
        self.metrics = metrics or Metrics()
        self._action_client = (
            _CountingActionClient(LoopActionClient(action_client), self.metrics)
            if action_client
            else None
        )
        self._inner_action_client = action_client
        self._clock = clock
        self._served: ServedModel | None = None
        self._swap = asyncio.Lock()

    # -- the model -----------------------------------------------------------------------

    @property
    def served(self) -> ServedModel | None:
        return self._served

    def require(self) -> ServedModel:
        served = self._served
        if served is None:
            if self.environment is not None:
                raise NoModelError(
                    f"environment {self.environment!r} has no model; tag one for it with "
                    f"`parley models tag MODEL {self.environment}` (or `PUT "
                    f"/api/projects/PROJECT/models/MODEL/tags/{self.environment}`)"
                )
            raise NoModelError(
                "no model is loaded; train one with `parley train` and load it with "
                "`PUT /model` or `parley run`"
            )
        return served

    def require_agent(self) -> Agent:
        served = self.require()
        if served.agent is None:
            raise NoModelError(
                f"the loaded model {served.path.name} is NLU-only: it parses but cannot "
                "converse; train the whole model with `parley train` (without --nlu-only)"
            )
        return served.agent

    async def load(self, path: Path) -> ServedModel:
        """Load the model at ``path`` in a worker thread, then make it the served one in a
        single assignment. A model that fails to load leaves the current one serving."""
        async with self._swap:
            try:
                model = await anyio.to_thread.run_sync(self._load_frozen, path)
                agent = None
                if model.dialogue is not None:
                    agent = model.agent(
                        tracker_store=self.tracker_store,
                        lock_store=self.lock_store,
                        action_client=self._action_client,
                        clock=self._clock,
                    )
            except Exception:
                self.metrics.model_loads.labels("error").inc()
                raise
            served = ServedModel(path=path, model=model, agent=agent)
            self._served = served
            self.metrics.model_loads.labels("ok").inc()
            logger.info("serving model %s (%s)", path.name, served.id[:12])
            return served

    def _load_frozen(self, path: Path) -> LoadedModel:
        """Load the model, then move every object alive into the collector's permanent
        generation: a model is tens of thousands of long-lived objects, and each full
        collection would walk them all again (a third of a turn's time under load). Frozen
        objects are still freed when their last reference goes; the thaw first lets the
        collector's next full run reclaim cycles left by the models before (not now: a full
        collection here would stall every conversation while the model swaps)."""
        gc.unfreeze()
        model = self._load(path)
        gc.freeze()
        return model

    def unload(self) -> None:
        self._served = None

    async def aclose(self) -> None:
        """Close the action server's connections (at shutdown)."""
        close = getattr(self._inner_action_client, "aclose", None)
        if close is not None:
            await close()

    # -- turns ---------------------------------------------------------------------------

    async def run(self, work: Callable[[Agent], T]) -> T:
        """``work(agent)`` on the model current now, as a turn runs (see the module)."""
        agent = self.require_agent()
        return await run_inline(work, agent)

    async def parse(self, text: str) -> dict[str, Any]:
        served = self.require()
        if served.agent is not None:
            return served.agent.parse(text)
        return served.model.pipeline.parse(text).to_rasa()

    async def turn(self, message: UserMessage) -> tuple[Agent, TurnResult]:
        """Run one turn and count it; the agent that ran it renders its messages."""
        channel = message.input_channel or "unknown"
        started = time.perf_counter()
        try:
            agent = self.require_agent()
            result = await run_inline(agent.handle_turn, message)
        except BaseException:
            self.metrics.turns.labels(channel, "error").inc()
            raise
        seconds = time.perf_counter() - started
        self.metrics.turn_seconds.labels(channel).observe(seconds)
        self.metrics.turns.labels(channel, "ok").inc()
        intent = next(
            (event.intent_name for event in result.events if isinstance(event, UserUttered)),
            None,
        )
        if intent == FALLBACK_INTENT:
            self.metrics.nlu_fallbacks.inc()
        if logger.isEnabledFor(logging.DEBUG):
            # With logging.format json, the extra fields become the record's own keys.
            logger.debug(
                "turn of %s on %s: %s in %.1f ms",
                message.sender_id,
                channel,
                intent,
                seconds * 1000,
                extra={
                    "sender_id": message.sender_id,
                    "channel": channel,
                    "intent": intent,
                    "events": len(result.events),
                    "milliseconds": round(seconds * 1000, 2),
                    "model_id": agent.model_id,
                },
            )
        return agent, result

    async def handle(self, message: UserMessage) -> list[BotMessage]:
        agent, result = await self.turn(message)
        return [agent.bot_message(message.sender_id, event) for event in result.bot_events]
