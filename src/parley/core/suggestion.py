"""Suggesting the name a user probably meant, for messages about a name that is unknown."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

SIMILARITY = 0.6
"""How alike two names must be (difflib's ratio) to be offered as a correction."""


def closest(name: str, options: Iterable[str], *, count: int = 1) -> list[str]:
    """The options most like ``name``, best first; empty when none is close."""
    return difflib.get_close_matches(name, sorted(set(options)), n=count, cutoff=SIMILARITY)


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the option closest to ``name``, or nothing."""
    match = closest(name, options)
    return f" (did you mean {match[0]!r}?)" if match else ""
