"""Parley's configuration: one :class:`Settings` object, built once at start-up and passed down.

Values come in layers, each overriding the one before::

    code defaults < parley.yml (or an explicit file) < environment variables < command-line options

pydantic-settings merges the layers and validates the result: ``parley.yml`` is a custom
source, the environment is its environment source (reading the given mapping, not
``os.environ``) and options are init values; ``--set`` text is read like a variable's. Parley
adds what the library does not do: each value keeps its origin (``parley.yml:3:9``,
``environment variable PARLEY_X``), a bad one is reported with it, and a misspelt
``PARLEY_*`` variable is an error naming the one probably meant.

The modules: :mod:`~parley.settings.model` (the sections and their fields, with
:mod:`~parley.settings.urls` and :mod:`~parley.settings.marker`), :mod:`~parley.settings.spec`
(what each setting is, read off the model), :mod:`~parley.settings.sources` (the
pydantic-settings sources), :mod:`~parley.settings.layers` (reading each layer, with
:mod:`~parley.settings.origin` and :mod:`~parley.settings.working_folder`),
:mod:`~parley.settings.message` (what a bad setting is reported as),
:mod:`~parley.settings.loading` (:func:`load_settings`, :func:`explain_settings`) and
:mod:`~parley.settings.reference` (the tables in docs/configuration.md;
``python -m parley.settings docs/configuration.md`` rewrites them).
"""

from parley.settings.loading import EffectiveSetting, explain_settings, load_settings
from parley.settings.model import (
    CONFIG_FILE_NAME,
    DEFAULT_HOME,
    ActionsSettings,
    AuthSettings,
    DatabaseSettings,
    DucklingSettings,
    EnvironmentsSettings,
    JobsSettings,
    LanguageServerSettings,
    LogFormat,
    LoggingSettings,
    LogLevel,
    MailSettings,
    ModelServerSettings,
    ModelsSettings,
    ModelStorage,
    RedisSettings,
    ServerSettings,
    Settings,
)
from parley.settings.origin import SettingSource
from parley.settings.reference import (
    REFERENCE_MARKER,
    TABLE_HEADER,
    ReferenceRow,
    reference_rows,
    render_reference_markdown,
    update_reference,
)

__all__ = [
    "CONFIG_FILE_NAME",
    "DEFAULT_HOME",
    "REFERENCE_MARKER",
    "TABLE_HEADER",
    "ActionsSettings",
    "AuthSettings",
    "DatabaseSettings",
    "DucklingSettings",
    "EffectiveSetting",
    "EnvironmentsSettings",
    "JobsSettings",
    "LanguageServerSettings",
    "LogFormat",
    "LogLevel",
    "LoggingSettings",
    "MailSettings",
    "ModelServerSettings",
    "ModelStorage",
    "ModelsSettings",
    "RedisSettings",
    "ReferenceRow",
    "ServerSettings",
    "SettingSource",
    "Settings",
    "explain_settings",
    "load_settings",
    "reference_rows",
    "render_reference_markdown",
    "update_reference",
]
