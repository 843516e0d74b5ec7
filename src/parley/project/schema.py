"""Checking a YAML file against the pydantic model of its format, with positions.

Each file kind (domain, data, config) describes its format as :class:`FileModel`
subclasses that mirror the YAML exactly. :func:`validate_file` validates the file's data
against one and turns pydantic's errors into :class:`~parley.core.problem.Problem` values
that point at the offending key or value in the file, name it, and list what is allowed.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, ValidationError
from pydantic_core import ErrorDetails

from parley.core.problem import Problem
from parley.core.suggestion import closest, did_you_mean
from parley.project.yaml_file import PathPart, YamlFile, spelling

M = TypeVar("M", bound=BaseModel)

# pydantic error types that only say "this is not the expected kind of value"; under a
# union they are noise whenever another branch got further into the value.
_TYPE_ERRORS = frozenset(
    {
        "string_type",
        "int_type",
        "int_parsing",
        "float_type",
        "float_parsing",
        "bool_type",
        "bool_parsing",
        "dict_type",
        "list_type",
        "model_type",
        "model_attributes_type",
        "none_required",
        "is_instance_of",
    }
)

_KIND_NAMES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "none_required": "null",
}


class FileModel(BaseModel):
    """Base of the models describing a file format: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


def validate_file(
    model: type[M], file: YamlFile, *, path: Sequence[PathPart] = (), data: Any = None
) -> tuple[M | None, list[Problem]]:
    """Validate ``file.data`` (or ``data`` found at ``path`` inside the file) as ``model``.

    Returns the validated object, or None and the problems found.
    """
    value = file.data if data is None and not path else data
    try:
        return model.model_validate(value), []
    except ValidationError as error:
        return None, errors_to_problems(error, file, model, path=path, data=value)


def errors_to_problems(
    error: ValidationError,
    file: YamlFile,
    model: type[BaseModel],
    *,
    path: Sequence[PathPart] = (),
    data: Any = None,
) -> list[Problem]:
    value = file.data if data is None and not path else data
    located = [_Located.of(detail, value) for detail in error.errors(include_url=False)]
    kept = _drop_union_noise(located)
    problems: list[Problem] = []
    seen: set[tuple[str, bool, tuple[PathPart, ...]]] = set()
    misspelt = _misspelt_keys(kept, model, value)
    forbidden = {item.path for item in kept if item.kind == "extra_forbidden"}
    for item in kept:
        if item.kind == "extra_forbidden" and item.path in misspelt.values():
            continue  # reported with the missing key it misspells
        key = (item.code, item.at_key, item.path)
        if key in seen:
            continue
        seen.add(key)
        if item in misspelt:
            key_path = misspelt[item]
            problems.append(
                item.misspelt(
                    key_path, file, model, tuple(path), value, forbidden=key_path in forbidden
                )
            )
        else:
            problems.append(item.problem(file, model, tuple(path), value, kept))
    return problems


def _misspelt_keys(
    errors: list[_Located], model: type[BaseModel], data: Any
) -> dict[_Located, tuple[PathPart, ...]]:
    """Missing keys that a key of the same mapping misspells, with that key's path.

    ``- rul: greet`` lacks ``rule`` and has the unknown ``rul``: one mistake, reported
    once, at the key the user wrote. Mappings that allow any extra key (a pipeline
    component's options) count a key the format does not name as a candidate too.
    """
    found: dict[_Located, tuple[PathPart, ...]] = {}
    taken: set[tuple[PathPart, ...]] = set()
    for error in errors:
        if error.kind != "missing" or error.missing is None:
            continue
        mapping = _child_at(data, error.path)
        if not isinstance(mapping, dict):
            continue
        declared = set(_valid_keys(model, error.path, data))
        candidates = [
            key
            for key in mapping
            if isinstance(key, str) and key not in declared and (*error.path, key) not in taken
        ]
        close = closest(error.missing, candidates)
        if close:
            found[error] = (*error.path, close[0])
            taken.add(found[error])
    return found


def _child_at(data: Any, path: Sequence[PathPart]) -> Any:
    node = data
    for part in path:
        node = _child(node, part)
    return node


class _Located:
    """A pydantic error with its location reduced to the keys and indexes of the data."""

    def __init__(
        self,
        detail: ErrorDetails,
        path: tuple[PathPart, ...],
        missing: str | None,
        *,
        at_key: bool = False,
    ):
        self.detail = detail
        self.path = path
        self.missing = missing
        self.at_key = at_key
        """The error is about the key ending ``path`` (not a string), not about its value."""

    @classmethod
    def of(cls, detail: ErrorDetails, data: Any) -> _Located:
        node = data
        path: list[PathPart] = []
        loc = list(detail["loc"])
        missing: str | None = None
        at_key = detail["type"] == "invalid_key"
        for index, part in enumerate(loc):
            last = index == len(loc) - 1
            key = _key_in(node, part)
            if part == "[key]" and last and path:
                at_key = True
            elif key is not _NO_KEY:
                node = node[key]
                path.append(key)
            elif detail["type"] == "missing" and last:
                missing = str(part)
            # anything else is a union branch or validator tag pydantic adds to locations
        return cls(detail, tuple(path), missing, at_key=at_key)

    @property
    def kind(self) -> str:
        return self.detail["type"]

    @property
    def code(self) -> str:
        if self.at_key:
            return "wrong-type"
        if self.kind == "extra_forbidden":
            return "unknown-key"
        if self.kind == "missing":
            return "missing-key"
        if self.kind in _TYPE_ERRORS:
            return "wrong-type"
        return "invalid-value"

    def problem(
        self,
        file: YamlFile,
        model: type[BaseModel],
        prefix: tuple[PathPart, ...],
        data: Any,
        all_errors: list[_Located],
    ) -> Problem:
        where = _describe(self.path)
        full = prefix + self.path
        if self.at_key:
            key = self.path[-1] if self.path else self.detail["input"]
            message = (
                f"the key {spelling(key)}{_in(self.path[:-1])} is not a name: YAML reads it "
                f'as {_kind_of(key)}; put it in quotes ("{spelling(key)}") to use it as a '
                "name, or rename it"
            )
            return Problem(self.code, message, file.location(full, key=True))
        if self.kind == "extra_forbidden":
            key = str(self.path[-1]) if self.path else "?"
            parent = self.path[:-1]
            valid = _valid_keys(model, parent, data)
            message = f"unknown key {key!r}{_in(parent)}"
            if valid:
                message += did_you_mean(key, valid) + f"; valid keys are: {', '.join(valid)}"
            return Problem(self.code, message, file.location(full, key=True))
        if self.kind == "missing":
            message = f"missing required key {self.missing!r}{_in(self.path)}"
            return Problem(self.code, message, file.location(full))
        if self.kind in _TYPE_ERRORS:
            expected = sorted(
                {
                    _KIND_NAMES.get(other.kind, other.kind)
                    for other in all_errors
                    if other.path == self.path and other.kind in _TYPE_ERRORS
                }
            )
            given = _given(self.detail["input"])
            message = f"{where or 'the file'} must be {' or '.join(expected)}, not {given}"
            return Problem(self.code, message, file.location(full))
        ctx = self.detail.get("ctx") or {}
        if self.kind in {"literal_error", "enum"}:
            message = (
                f"invalid value {_short(self.detail['input'])} for {where or 'the file'}; "
                f"valid values are: {ctx.get('expected', '')}"
            )
        elif self.kind == "value_error" and "error" in ctx:
            message = f"{where or 'the file'}: {ctx['error']}"
        else:
            message = f"{where or 'the file'}: {self.detail['msg']}"
        return Problem(self.code, message, file.location(full))

    def misspelt(
        self,
        key_path: tuple[PathPart, ...],
        file: YamlFile,
        model: type[BaseModel],
        prefix: tuple[PathPart, ...],
        data: Any,
        *,
        forbidden: bool,
    ) -> Problem:
        """This missing-key error told at ``key_path``, the key that misspells it;
        ``forbidden`` when the mapping allows only the keys the format names."""
        key, parent = str(key_path[-1]), key_path[:-1]
        message = f"unknown key {key!r}{_in(parent)} (did you mean {self.missing!r}?)"
        valid = _valid_keys(model, parent, data) if forbidden else []
        if not valid:
            message += f"; `{self.missing}` is required"
        else:
            message += f"; `{self.missing}` is required, and the valid keys are: " + ", ".join(
                valid
            )
        return Problem("unknown-key", message, file.location(prefix + key_path, key=True))


def _drop_union_noise(errors: list[_Located]) -> list[_Located]:
    """Keep, for each value, the errors of the union branch that matched it best.

    A value that failed every branch of ``str | Mapping`` yields one error per branch; when
    some branch got deeper into the value (a bad key inside the mapping), those deeper
    errors are what the user needs, and the "not a string" ones are dropped.
    """
    kept = []
    for error in errors:
        if (
            error.kind in _TYPE_ERRORS
            and not error.at_key
            and any(
                other is not error
                and other.path[: len(error.path)] == error.path
                and (len(other.path) > len(error.path) or other.kind not in _TYPE_ERRORS)
                for other in errors
            )
        ):
            continue
        kept.append(error)
    return kept


def _valid_keys(model: type[BaseModel], path: tuple[PathPart, ...], data: Any) -> list[str]:
    """The keys the format allows in the mapping at ``path``, found by walking the model."""
    candidates: list[tuple[Any, Any]] = [(model, data)]
    for part in path:
        following: list[tuple[Any, Any]] = []
        for annotation, node in candidates:
            child = _child(node, part)
            following.extend((found, child) for found in _step(annotation, part, node))
        candidates = following
    keys: list[str] = []
    for annotation, node in candidates:
        for member in _members(annotation, node):
            if isinstance(member, type) and issubclass(member, BaseModel):
                keys.extend(field.alias or name for name, field in member.model_fields.items())
    return list(dict.fromkeys(keys))


_NO_KEY = object()


def _key_in(node: Any, part: Any) -> Any:
    """The key or index of ``node`` that ``part`` of a pydantic location names, or
    ``_NO_KEY``. pydantic writes a key that is not a string as text (``null`` as
    ``'None'``), so such keys are matched by their text too."""
    if isinstance(node, dict):
        if isinstance(part, str) and part in node:
            return part
        for key in node:  # `true` is located as 1, `null` as 'None'
            if not isinstance(key, str) and (key == part or str(key) == str(part)):
                return key
    elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return part
    return _NO_KEY


def _child(node: Any, part: PathPart) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _step(annotation: Any, part: PathPart, node: Any = None) -> list[Any]:
    found: list[Any] = []
    for member in _members(annotation, node):
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if isinstance(member, type) and issubclass(member, BaseModel) and isinstance(part, str):
            for name, field in member.model_fields.items():
                if part in (name, field.alias):
                    found.append(field.annotation)
        elif origin in (list, Sequence, tuple) and isinstance(part, int) and args:
            found.append(args[0])
        elif origin is dict and len(args) == 2:
            found.append(args[1])
    return found


def _members(annotation: Any, node: Any = None) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extras = typing.get_args(annotation)
        chosen = _tagged_branch(inner, extras, node)
        return _members(inner if chosen is None else chosen, node)
    if origin is Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _members(arg, node)]
    return [annotation]


def _tagged_branch(union: Any, extras: list[Any], node: Any) -> Any:
    """The branch of ``union`` a callable discriminator picks for ``node``, if any."""
    for extra in extras:
        if isinstance(extra, Discriminator) and callable(extra.discriminator) and node is not None:
            tag = extra.discriminator(node)
            for branch in typing.get_args(union):
                annotated = typing.get_origin(branch) is typing.Annotated
                marks = typing.get_args(branch)[1:] if annotated else ()
                if any(isinstance(mark, Tag) and mark.tag == tag for mark in marks):
                    return branch
    return None


def _describe(path: Sequence[PathPart]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return f"`{text}`" if text else ""


def _in(path: Sequence[PathPart]) -> str:
    return f" in {_describe(path)}" if path else ""


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _given(value: Any) -> str:
    """What the file gave, for "must be X, not …": ``null``, ``the number 5``, ``a list``."""
    if value is None or isinstance(value, dict | list):
        return _kind_of(value)
    if isinstance(value, bool | int | float):
        return f"the {_kind_of(value).removeprefix('a ')} {spelling(value)}"
    if isinstance(value, str):
        return f"the string {_short(value)}"
    return _kind_of(value)


def _short(value: Any) -> str:
    if isinstance(value, dict | list):
        return ""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
