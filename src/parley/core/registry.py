"""Plugin registries: a name → class table of built-ins plus installed entry points.

Built-ins are ``"module:Class"`` strings imported on first use, so nothing registers itself
by import side effect and ``parley --help`` does not import scikit-learn. Third-party
packages add names through the entry-point group given to the registry. Names are stable:
saved models refer to them, so a name never changes meaning.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from parley.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """The classes of one kind (``kind`` names it in messages) that configs may name."""

    def __init__(
        self,
        kind: str,
        base: type[T],
        builtins: Mapping[str, str],
        *,
        entry_point_group: str | None = None,
    ) -> None:
        self.kind = kind
        self._base = base
        self._builtins = dict(builtins)
        self._group = entry_point_group
        self._loaded: dict[str, type[T]] = {}
        self._plugins: dict[str, str] | None = None

    def names(self) -> list[str]:
        """Every registered name, sorted: built-ins and installed plugins."""
        return sorted({*self._builtins, *self._plugin_targets()})

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> type[T]:
        """The class registered as ``name``; an unknown name lists the valid ones."""
        if name in self._loaded:
            return self._loaded[name]
        target = self._builtins.get(name) or self._plugin_targets().get(name)
        if target is None:
            raise UnknownNameError(self.kind, name, self.names())
        cls = _import(target)
        if not (isinstance(cls, type) and issubclass(cls, self._base)):
            raise TypeError(
                f"{self.kind} {name!r} points at {target}, which is not a {self._base.__name__}"
            )
        self._loaded[name] = cls
        return cls

    def target(self, name: str) -> str:
        """The ``module:Class`` string behind ``name`` (for manifests and docs)."""
        target = self._builtins.get(name) or self._plugin_targets().get(name)
        if target is None:
            raise UnknownNameError(self.kind, name, self.names())
        return target

    def _plugin_targets(self) -> dict[str, str]:
        # Read once: scanning the installed distributions costs ~10 ms, and a plugin
        # installed while a process runs is not importable by it reliably anyway.
        if self._plugins is None:
            self._plugins = (
                {}
                if self._group is None
                else {ep.name: ep.value for ep in entry_points(group=self._group)}
            )
        return self._plugins


def _import(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute)
