"""The composition root: the one place that picks which implementation of each outside
service the engine gets, from the installation's settings.

The engine only knows the protocols of :mod:`parley.core.ports`; commands, the server and
workers ask this module for a ready :class:`~parley.nlu.component.ComponentContext`.
"""

from __future__ import annotations

from collections.abc import Callable

from parley.clients.duckling import HttpDuckling
from parley.core.ports import Duckling
from parley.nlu.component import ComponentContext
from parley.settings import Settings


def duckling(settings: Settings) -> Duckling | None:
    """The Duckling server of ``settings.duckling.url``; None (Duckling in-process) when unset."""
    if settings.duckling.url is None:
        return None
    return HttpDuckling(str(settings.duckling.url), timeout=settings.duckling.timeout)


def nlu_context(
    settings: Settings,
    *,
    language: str = "en",
    seed: int = 0,
    progress: Callable[[str, float], None] | None = None,
) -> ComponentContext:
    """What NLU components are built with: the project's ``language``, the training
    ``seed``, a ``progress`` callback, and the outside services the settings name."""
    return ComponentContext(
        language=language, seed=seed, duckling=duckling(settings), progress=progress
    )
