"""What the loader, the messages and the reference know about each setting, read off the model."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from parley.settings.marker import Allowed, EnvAlias, UnderHome, markers
from parley.settings.model import Settings, sections
from parley.settings.urls import redact_url

ENV_PREFIX = "PARLEY_"
ENV_NESTING = "__"

LeafPath = tuple[str, ...]
"""Where a setting sits: ``("home",)`` or ``(section, key)``."""


@dataclass(frozen=True)
class Spec:
    """One setting: its place, its environment variables and what it accepts."""

    path: LeafPath
    field: FieldInfo
    env_names: tuple[str, ...]
    """``PARLEY_SECTION__KEY`` first, then the short names."""
    allowed: str
    is_list: bool
    is_optional: bool
    is_secret: bool
    is_path: bool
    under_home: UnderHome | None

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def name(self) -> str:
        return self.path[-1]

    def shown(self, value: Any) -> str:
        """``value`` as a message may show it: secrets hidden, URL passwords masked."""
        if self.is_secret:
            return "(hidden)"
        if isinstance(value, str):
            return repr(redact_url(value))
        return repr(value)


@cache
def specs() -> dict[LeafPath, Spec]:
    """Every setting by path, in the order of the model."""
    found: dict[LeafPath, Spec] = {}
    section_types = sections()
    for name, field in Settings.model_fields.items():
        if name in section_types:
            for key, inner in section_types[name].model_fields.items():
                found[name, key] = _spec((name, key), inner)
        else:
            found[(name,)] = _spec((name,), field)
    return found


def map_settings(data: dict[str, Any], change: Callable[[Spec, Any], Any]) -> dict[str, Any]:
    """``data`` with ``change`` applied to the value of each setting it holds."""
    changed = dict(data)
    for spec in specs().values():
        *section, name = spec.path
        target = changed
        if section:
            inner = changed.get(section[0])
            if not isinstance(inner, dict):
                continue
            target = changed[section[0]] = dict(inner)
        if name in target:
            target[name] = change(spec, target[name])
    return changed


@cache
def env_names() -> dict[str, LeafPath]:
    """Every environment variable a setting reads, long and short, with the setting's path."""
    return {name: spec.path for spec in specs().values() for name in spec.env_names}


def _spec(path: LeafPath, field: FieldInfo) -> Spec:
    found = markers(field)
    canonical = ENV_PREFIX + ENV_NESTING.join(part.upper() for part in path)
    inner, optional = _without_none(field.annotation)
    return Spec(
        path=path,
        field=field,
        env_names=(canonical, *(m.name for m in found if isinstance(m, EnvAlias))),
        allowed=_allowed_text(inner, found, path),
        is_list=get_origin(inner) is list,
        is_optional=optional,
        is_secret=_mentions(field.annotation, SecretStr),
        is_path=_mentions(field.annotation, Path),
        under_home=next((m for m in found if isinstance(m, UnderHome)), None),
    )


def _mentions(annotation: Any, wanted: type) -> bool:
    return annotation is wanted or any(_mentions(arg, wanted) for arg in get_args(annotation))


def _without_none(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _allowed_text(annotation: Any, found: list[object], path: LeafPath) -> str:
    explicit = [m.text for m in found if isinstance(m, Allowed)]
    if explicit:
        return explicit[0]
    plain = get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
    if plain is bool:
        return "boolean (`true` or `false`)"
    if isinstance(plain, type) and issubclass(plain, StrEnum):
        return "one of " + ", ".join(f"`{member.value}`" for member in plain)
    raise TypeError(f"setting {'.'.join(path)} needs an Allowed(...) marker describing its type")
