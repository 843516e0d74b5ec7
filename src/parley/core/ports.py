"""The engine's view of the outside services it needs: small protocols, implemented in
``parley.clients`` (over the network) and beside the engine (in-process), chosen by the
composition root. The engine never knows which one it got."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from parley.core.events import Event


class Duckling(Protocol):
    """Structured entity extraction with Facebook's Duckling (dates, numbers, amounts…)."""

    def parse(
        self,
        text: str,
        *,
        locale: str,
        timezone: str,
        dimensions: Sequence[str],
        reference_time: datetime,
    ) -> list[dict[str, Any]]:
        """Duckling's answer in the JSON of its HTTP ``/parse`` endpoint: a list of
        ``{"body", "start", "end", "dim", "value", "latent"}``. ``dimensions`` empty means
        all of them; ``reference_time`` is timezone-aware. Raises
        :class:`parley.errors.DucklingError` when Duckling cannot answer."""
        ...


class SentenceEncoder(Protocol):
    """Dense sentence embeddings (the MiniLM model, or a language server)."""

    @property
    def name(self) -> str:
        """Identifies the model, so an artifact trained with one encoder refuses another."""
        ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Any:
        """A float32 array of shape ``(len(texts), dimension)``, L2-normalised."""
        ...


class ActionClient(Protocol):
    """Runs custom actions on an action server speaking the Rasa SDK webhook protocol."""

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send ``{next_action, sender_id, tracker, domain, version}``; get back
        ``{events, responses}``. Raises :class:`parley.errors.ActionRejectedError` when the
        server answers 400 ``{action_name, error}``, :class:`parley.errors.ActionServerError`
        when it is down, too slow, or answers anything else."""
        ...


class TrackerStore(Protocol):
    """Where conversations live: an append-only event log per conversation, split into
    sessions (each begins with the ``action_session_start`` action); older sessions are
    kept, but a turn only needs the latest one."""

    def retrieve(self, sender_id: str) -> list[Event]:
        """The events of the conversation's latest session, oldest first: from its last
        ``action_session_start`` on (every event when it has none); empty for a new one."""
        ...

    def retrieve_all(self, sender_id: str) -> list[Event]:
        """Every event of every session, oldest first; empty for a new conversation."""
        ...

    def append(
        self, sender_id: str, events: Sequence[Event], *, model_id: str | None = None
    ) -> None:
        """Add events to the end of the conversation, durably, all or none; ``model_id``
        records the model that produced them. Appends to one conversation are the
        caller's to serialize (the :class:`LockStore`)."""
        ...

    def exists(self, sender_id: str) -> bool:
        """Whether the conversation has any event."""
        ...

    def sender_ids(self) -> list[str]:
        """Every conversation's id, sorted."""
        ...


class LockStore(Protocol):
    """Serializes the turns of one conversation; different conversations run in parallel."""

    def lock(self, sender_id: str) -> AbstractContextManager[None]: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...
