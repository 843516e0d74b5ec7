"""Building :class:`Settings` from its layers, and saying where each value came from.

The only place in Parley that reads ``os.environ``, and only when no ``environ`` is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import InitSettingsSource

from parley.errors import ConfigurationError
from parley.settings.layers import Layer, environment_layer, file_layer, option_layer
from parley.settings.message import Message, invalid_value, unknown_key
from parley.settings.model import Settings
from parley.settings.origin import Origin, SettingSource
from parley.settings.spec import LeafPath, specs
from parley.settings.urls import redact_url
from parley.settings.working_folder import WorkingFolder


def load_settings(
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build the settings from defaults, the config file, the environment and ``overrides``.

    ``config_file`` defaults to ``parley.yml`` in ``cwd`` when that exists; a given one must
    exist. ``environ`` defaults to ``os.environ``. ``overrides`` holds command-line options by
    dotted key (``{"server.port": 8000}``) or nested (``{"server": {"port": 8000}}``); a
    ``None`` value means the option was not given, and a text value is read as an environment
    variable's would be (so ``--set key=value`` needs no rules of its own). Relative paths
    count from ``cwd``.

    Raises :class:`ConfigurationError` listing every bad setting with its origin.
    """
    return _load(config_file, environ, overrides, cwd)[0]


@dataclass(frozen=True)
class EffectiveSetting:
    """One setting as it ended up, for showing to people: secrets are never in ``value``."""

    key: str
    value: Any
    """The value as JSON would hold it; secrets are ``**********`` and URL passwords ``***``."""
    source: SettingSource
    origin: str
    """Where exactly: ``default``, ``parley.yml:3:9``, ``environment variable PARLEY_X``, …"""


def explain_settings(
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> list[EffectiveSetting]:
    """Every setting, in the order of the model, with its value and the layer that set it.

    Takes the arguments of :func:`load_settings` and raises what it raises.
    """
    settings, origins = _load(config_file, environ, overrides, cwd)
    dumped = settings.model_dump(mode="json")
    found: list[EffectiveSetting] = []
    for spec in specs().values():
        value: Any = dumped
        for part in spec.path:
            value = value[part]
        origin = origins.get(spec.path)
        if origin is None:
            moved = spec.under_home is not None and ("home",) in origins
            source: SettingSource = "default"
            where = "default, under home" if moved else "default"
        else:
            source, where = origin.source, origin.describe(spec.path)
        found.append(EffectiveSetting(spec.key, _masked(value), source, where))
    return found


def _masked(value: Any) -> Any:
    # Dumping for JSON already turned SecretStr into asterisks; URLs may still hold a password.
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _load(
    config_file: Path | None,
    environ: Mapping[str, str] | None,
    overrides: Mapping[str, Any] | None,
    cwd: Path | None,
) -> tuple[Settings, dict[LeafPath, Origin]]:
    """The settings and, for each setting a layer gave, where its value came from."""
    env = os.environ if environ is None else environ
    folder = WorkingFolder(
        cwd if cwd is not None else Path.cwd(), Path(env["HOME"]) if env.get("HOME") else None
    )
    # Lowest first; pydantic-settings wants the highest first.
    layers = [
        file_layer(folder, config_file),
        environment_layer(folder, env),
        option_layer(folder, overrides or {}),
    ]
    sources = [source for layer in reversed(layers) for source in layer.sources]
    # Below them all, the code default of `home`, made absolute in the working folder.
    sources.append(InitSettingsSource(Settings, init_kwargs={"home": folder.default_home}))
    origins: dict[LeafPath, Origin] = {}
    for layer in layers:
        origins.update(layer.origins)
    problems = [problem for layer in layers for problem in layer.problems]
    settings: Settings | None = None
    try:
        # pydantic-settings merges and validates these sources, built from this call's
        # arguments, in place of those settings_customise_sources would build per class
        # (whose environment source reads os.environ).
        settings = Settings(_build_sources=(tuple(sources), {}))
    except ValidationError as error:
        problems += [_message(item, origins, layers) for item in error.errors(include_url=False)]
    # Raised outside the handler: a chained pydantic error would carry the raw input, secrets
    # included, into any traceback.
    if problems or settings is None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ConfigurationError(
            "\n".join([f"the configuration is invalid ({count}):", *map(str, problems)])
        )
    return settings, origins


def _message(
    error: ErrorDetails, origins: Mapping[LeafPath, Origin], layers: list[Layer]
) -> Message:
    if error["type"] == "extra_forbidden":
        # Only the config file can hold a key that is no setting: the other layers name theirs.
        file = next((layer.file for layer in layers if layer.file is not None), None)
        return unknown_key(file, error["loc"])
    loc = tuple(str(part) for part in error["loc"])
    spec = next((specs()[path] for path in (loc[:2], loc[:1]) if path in specs()), None)
    if spec is None:
        return Message(f"{'.'.join(loc) or 'the settings'}: {error['msg']}")
    return invalid_value(spec, error, origins.get(spec.path))
