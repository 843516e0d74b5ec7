"""What a bad setting is reported as: the setting, its variable, the value, where the value came
from, what is wrong and what is allowed, with the name that was probably meant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import ErrorDetails

from parley.core.suggestion import closest
from parley.settings.model import Settings, sections
from parley.settings.origin import FromEnvironment, FromFile, Origin
from parley.settings.spec import ENV_NESTING, ENV_PREFIX, Spec, env_names, specs


@dataclass(frozen=True)
class Message:
    """One problem: a headline and the lines that explain it."""

    headline: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "\n".join([f"- {self.headline}", *(f"    {line}" for line in self.details)])


def file_not_a_mapping(file: FromFile, found: str) -> Message:
    return Message(
        f"{file.where(())}: the configuration file must be a mapping of settings, not {found}",
        (f"valid top-level keys: {', '.join(Settings.model_fields)}",),
    )


def section_not_a_mapping(file: FromFile, name: str, key: Any) -> Message:
    return Message(
        f"{file.where([key])}: section '{name}' must be a mapping",
        (f"valid keys of {name}: {', '.join(sections()[name].model_fields)}",),
    )


def unknown_key(file: FromFile | None, loc: Sequence[str | int]) -> Message:
    """A key of the config file that is no setting (the only layer where one can be)."""
    *section, name = (str(part) for part in loc)
    where = f"{file.where(loc, key=True)}: " if file is not None else ""
    if section and section[0] in sections():
        valid = list(sections()[section[0]].model_fields)
        headline = f"{where}unknown key '{name}' in section '{section[0]}'"
        return _with_suggestions(headline, name, valid, f"valid keys of {section[0]}")
    headline = f"{where}unknown key '{'.'.join((*section, name))}'"
    return _with_suggestions(headline, name, list(Settings.model_fields), "valid top-level keys")


def unknown_option(key: str) -> Message:
    valid = [spec.key for spec in specs().values()]
    return _with_suggestions(f"unknown command-line setting '{key}'", key, valid, "valid settings")


def _with_suggestions(headline: str, name: str, valid: list[str], valid_label: str) -> Message:
    close = closest(name, valid, count=3)
    if not close:
        # A key written at the wrong level, e.g. `port:` at the top instead of under `server:`.
        close = [spec.key for spec in specs().values() if spec.name == name]
    details = [f"did you mean: {', '.join(close)}?"] if close else []
    details.append(f"{valid_label}: {', '.join(valid)}")
    return Message(headline, tuple(details))


def unknown_variable(name: str) -> Message | None:
    """A problem for a ``PARLEY_*`` name that looks meant for a setting; None for others,
    which may belong to other tools."""
    short = {env.removeprefix(ENV_PREFIX): env for env in env_names()}
    # Only the best: among sixty names, the next ones are mostly noise.
    close = [short[match] for match in closest(name.removeprefix(ENV_PREFIX), short)]
    section = name.removeprefix(ENV_PREFIX).lower().split(ENV_NESTING)[0]
    details = [f"did you mean: {', '.join(close)}?"] if close else []
    if section in sections():
        valid = [
            f"{ENV_PREFIX}{section.upper()}{ENV_NESTING}{key.upper()}"
            for key in sections()[section].model_fields
        ]
        details.append(f"variables of section {section}: {', '.join(valid)}")
    elif not close:
        return None
    return Message(f"unknown environment variable {name}", tuple(details))


def conflicting_variables(spec: Spec, earlier: FromEnvironment, name: str, text: str) -> Message:
    """Two names of one setting set to different values."""
    return Message(
        f"{spec.key} is set twice, differently: {earlier.name}={spec.shown(earlier.text)} and "
        f"{name}={spec.shown(text)}",
        ("set only one of them",),
    )


# The file is read strictly (a YAML boolean for a boolean, …); how to write each type there.
_YAML_TYPES = {
    "bool_type": "write true or false without quotes (YAML 1.2 reads yes, no, on and off as text)",
    "int_type": "write a whole number without quotes",
    "float_type": "write a number without quotes",
    "string_type": "write text, in quotes if YAML would read it as something else",
    "list_type": "write a list, e.g. [a, b] or one `- item` a line",
}


def invalid_value(spec: Spec, error: ErrorDetails, origin: Origin | None) -> Message:
    """A value the model refused; ``origin`` is None for a default (only a bad ``home`` can
    make a default under it wrong)."""
    loc = tuple(error["loc"])
    item = loc[len(spec.path)] if len(loc) > len(spec.path) else None
    # Text is shown as it was typed; an item of a list, and a value from the file, as read.
    text = origin.text if origin is not None and not isinstance(origin, FromFile) else None
    value = text if text is not None and item is None else error["input"]
    reason = error["msg"].removeprefix("Value error, ")
    empty = value is None or (text is not None and not text.strip())
    if empty and not spec.is_optional and not spec.is_list:
        reason = f"it is empty, but {spec.key} cannot be unset; leave it out for the default"
    elif isinstance(origin, FromFile) and error["type"] in _YAML_TYPES:
        reason = f"{reason}; in the file, {_YAML_TYPES[error['type']]}"
    if origin is None:
        where = "the default value"
    elif item is not None and text is not None:
        where = f"{origin.describe(loc)} (item {item})"
    else:
        where = origin.describe(loc)
    unset = ", or empty to leave it unset" if spec.is_optional else ""
    if spec.is_list and text is not None:
        unset = " (as text: comma separated, or a JSON list)"
    return Message(
        f"{spec.key} (environment variable {' or '.join(spec.env_names)})",
        (
            f"value: {spec.shown(value)} from {where}",
            f"problem: {reason}",
            f"allowed: {spec.allowed}{unset}",
        ),
    )
