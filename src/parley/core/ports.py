"""The engine's view of the outside services it needs: small protocols, implemented in
``parley.clients`` (over the network) and beside the engine (in-process), chosen by the
composition root. The engine never knows which one it got."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


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
