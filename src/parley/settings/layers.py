"""The three layers a user sets settings in, each read into pydantic-settings sources together
with where each value came from and what was wrong before validation could say so."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_settings import InitSettingsSource, PydanticBaseSettingsSource

from parley.core.problem import Location
from parley.project.yaml_file import YamlFileError, read_yaml
from parley.settings.message import (
    Message,
    conflicting_variables,
    file_not_a_mapping,
    section_not_a_mapping,
    unknown_option,
    unknown_variable,
)
from parley.settings.model import CONFIG_FILE_NAME, Settings, sections
from parley.settings.origin import FromEnvironment, FromFile, FromOption, Origin
from parley.settings.sources import EnvironmentSource, FileSource
from parley.settings.spec import ENV_PREFIX, LeafPath, env_names, specs
from parley.settings.working_folder import WorkingFolder


@dataclass
class Layer:
    """What one layer gives: its sources, each setting it sets with the origin, and the
    problems found in reading it."""

    sources: tuple[PydanticBaseSettingsSource, ...] = ()
    origins: dict[LeafPath, Origin] = field(default_factory=dict)
    problems: list[Message] = field(default_factory=list)
    file: FromFile | None = None
    """The config file, for locating keys that are not settings."""


def file_layer(folder: WorkingFolder, config_file: Path | None) -> Layer:
    """``config_file``, or ``parley.yml`` in the working folder when there is one."""
    path = folder.cwd / (config_file if config_file is not None else CONFIG_FILE_NAME)
    if config_file is None and not path.is_file():
        return Layer()
    shown = path.relative_to(folder.cwd) if path.is_relative_to(folder.cwd) else path
    try:
        file = read_yaml(path)
    except YamlFileError as error:
        found = error.problem.location
        where = Location(shown, found.line, found.column) if found else Location(shown)
        message = error.problem.message
        if error.problem.code == "file-missing":
            message = "the configuration file does not exist"
        hint = (f"pass an existing file, or none to use ./{CONFIG_FILE_NAME}",)
        return Layer(problems=[Message(f"{where}: {message}", hint if config_file else ())])
    origin = FromFile(file, shown)
    layer = Layer(file=origin)
    if file.data is None:
        return layer
    if not isinstance(file.data, dict):
        layer.problems.append(file_not_a_mapping(origin, type(file.data).__name__))
        return layer
    data: dict[str, Any] = {}
    for key, value in file.data.items():
        name = str(key)
        if name not in sections():
            data[name] = value  # a setting, or a key the model reports as unknown
        elif isinstance(value, dict):
            data[name] = {str(inner): setting for inner, setting in value.items()}
        elif value is not None:  # None: an empty section, `server:` with nothing under it
            # Checked here, not by the model: a non-mapping would be replaced without a word
            # by the environment's values for the same section.
            layer.problems.append(section_not_a_mapping(origin, name, key))
    layer.sources = (FileSource(Settings, folder.anchor(data)),)
    layer.origins = {path: origin for path in specs() if _holds(data, path)}
    return layer


def environment_layer(folder: WorkingFolder, environ: Mapping[str, str]) -> Layer:
    """The settings' variables in ``environ``, short names read as their long ones."""
    layer = Layer()
    origins: dict[LeafPath, FromEnvironment] = {}
    for raw_name in sorted(environ):
        name = raw_name.upper()
        path = env_names().get(name)
        if path is None:
            if name.startswith(ENV_PREFIX):
                problem = unknown_variable(name)
                if problem is not None:
                    layer.problems.append(problem)
            continue
        earlier = origins.get(path)
        if earlier is not None and earlier.text != environ[raw_name]:
            layer.problems.append(
                conflicting_variables(specs()[path], earlier, name, environ[raw_name])
            )
            continue
        origins[path] = FromEnvironment(name, environ[raw_name])
    layer.origins = dict(origins)
    layer.sources = (_environment_source(folder, origins),)
    return layer


def option_layer(folder: WorkingFolder, overrides: Mapping[str, Any]) -> Layer:
    """Command-line options by dotted key (or nested). A text value is read as the setting's
    environment variable would be; any other value is taken as it is."""
    layer = Layer()
    texts: dict[LeafPath, FromOption] = {}
    typed: dict[str, Any] = {}
    for key, value in _flatten(overrides):
        if value is None:
            continue  # the option was not given
        path = tuple(key.split("."))
        if path not in specs():
            layer.problems.append(unknown_option(key))
            continue
        origin = FromOption(key, value if isinstance(value, str) else None)
        layer.origins[path] = origin
        if isinstance(value, str):
            texts[path] = origin
        else:
            *section, name = path
            target = typed.setdefault(section[0], {}) if section else typed
            target[name] = value
    layer.sources = (
        InitSettingsSource(Settings, init_kwargs=folder.anchor(typed)),
        _environment_source(folder, texts),
    )
    return layer


def _environment_source(
    folder: WorkingFolder, given: Mapping[LeafPath, FromEnvironment | FromOption]
) -> EnvironmentSource:
    """A source reading each value's text under the setting's long variable name."""
    environ = {
        specs()[path].env_names[0]: origin.text
        for path, origin in given.items()
        if origin.text is not None
    }
    return EnvironmentSource(Settings, environ, folder)


def _holds(data: Mapping[str, Any], path: LeafPath) -> bool:
    *section, name = path
    target = data.get(section[0]) if section else data
    return isinstance(target, dict) and name in target


def _flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{dotted}.")
        else:
            yield dotted, value
