"""The pydantic-settings sources :func:`~parley.settings.load_settings` layers.

pydantic-settings merges what the sources give (``--set`` and options over the environment over
``parley.yml``) and validates the result; these classes only decide what each source reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from parley.settings.spec import ENV_NESTING, ENV_PREFIX, Spec, map_settings
from parley.settings.working_folder import WorkingFolder


class FileSource(PydanticBaseSettingsSource):
    """``parley.yml``, or the ``--config`` file, already read (with positions) and checked
    to be a mapping of sections."""

    def __init__(self, settings_cls: type[BaseSettings], data: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = dict(data)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


class EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading ``environ`` instead of ``os.environ``.

    The library finds the variables (``PARLEY_`` and ``__`` for nesting, any case) and turns
    their text into each field's type. Parley adds two rules of its own: a list is comma
    separated text or a JSON list, and an empty value unsets a setting (a list: empties it).
    """

    def __init__(
        self, settings_cls: type[BaseSettings], environ: Mapping[str, str], folder: WorkingFolder
    ) -> None:
        self._environ = environ
        self._folder = folder
        super().__init__(
            settings_cls,
            case_sensitive=False,
            env_prefix=ENV_PREFIX,
            env_nested_delimiter=ENV_NESTING,
            env_parse_none_str="",
        )

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # As pydantic-settings' own secret-manager sources do: the base class reads os.environ.
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        """A list's text as its items. (Lists are the only complex settings read here: a
        section comes only as ``PARLEY_SECTION__KEY`` variables, never as one JSON value.)"""
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        try:
            return json.loads(value)
        except (TypeError, json.JSONDecodeError):
            return value  # the field check reports that it is not a list

    def __call__(self) -> dict[str, Any]:
        def emptied(spec: Spec, value: Any) -> Any:
            return [] if spec.is_list and value is None else value

        return self._folder.anchor(map_settings(super().__call__(), emptied))
