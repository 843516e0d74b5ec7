"""Markers a setting carries in its ``Annotated`` metadata, read by the loader and the reference.

pydantic keeps them with the field and otherwise ignores them, so the model stays the one place
that says everything about a setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class EnvAlias:
    """A short environment variable name accepted besides ``PARLEY_SECTION__KEY``."""

    name: str


@dataclass(frozen=True)
class Allowed:
    """What a value may be, as docs and error messages say it."""

    text: str


@dataclass(frozen=True)
class UnderHome:
    """The default lives under ``home``; ``{home}`` in the template stands for that folder."""

    template: str

    def render(self, home: Path) -> str:
        return self.template.format(home=home.as_posix())


def markers(field: FieldInfo) -> list[object]:
    """Everything in ``field``'s metadata, including what sits inside ``X | None`` (pydantic
    flattens nested ``Annotated`` into the field, but not through a union)."""
    return [*field.metadata, *_nested(field.annotation)]


def _nested(annotation: Any) -> list[object]:
    found: list[object] = list(getattr(annotation, "__metadata__", ()))
    for arg in get_args(annotation):
        found.extend(_nested(arg))
    return found
