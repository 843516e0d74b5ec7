"""Parley's configuration: one :class:`Settings` object, built once at start-up and passed down.

Values come in layers, each overriding the one before::

    code defaults < parley.yml (or an explicit file) < environment variables < command-line options

:func:`load_settings` builds the layers itself instead of letting pydantic-settings read them,
so every value keeps its origin (``parley.yml:3:9``, ``environment variable PARLEY_X``) and a
bad one is reported with it. It is the only place in Parley that reads ``os.environ``, and only
when no ``environ`` mapping is given.

``python -m parley.settings [docs/configuration.md]`` prints the reference tables, or rewrites
them in the given page, from the field descriptions below.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypeVar, Union, get_args, get_origin
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from parley.core.problem import Location
from parley.errors import ConfigurationError
from parley.project.yaml_file import YamlFile, YamlFileError, read_yaml

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

DEFAULT_HOME = Path(".parley")
CONFIG_FILE_NAME = "parley.yml"
ENV_PREFIX = "PARLEY_"
ENV_NESTING = "__"
REFERENCE_MARKER = (
    "<!-- The reference below is generated from src/parley/settings.py: edit the Field "
    "descriptions there and run `python -m parley.settings docs/configuration.md`. -->"
)

LeafPath = tuple[str, ...]
"""Where a setting sits: ``("home",)`` or ``(section, key)``."""


# Markers carried in ``Annotated`` metadata; the loader and the reference read them.


@dataclass(frozen=True)
class _EnvAlias:
    """Short environment variable names accepted besides ``PARLEY_SECTION__KEY``."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class _Allowed:
    """What a value may be, as docs and error messages say it."""

    text: str


@dataclass(frozen=True)
class _UnderHome:
    """The default lives under ``home``; ``{home}`` in the template stands for that folder."""

    template: str

    def render(self, home: Path) -> str:
        return self.template.format(home=home.as_posix())


def _alias(*names: str) -> _EnvAlias:
    return _EnvAlias(names)


# Value types with their checks.


@dataclass(frozen=True)
class _UrlRule:
    """Checks a URL's scheme, host and port; with ``drivers``, ``scheme+driver`` is accepted."""

    schemes: tuple[str, ...]
    hostless: tuple[str, ...] = ()
    drivers: bool = False
    strip_slash: bool = False

    def __call__(self, value: str) -> str:
        text = value.strip()
        if any(char.isspace() for char in text):
            raise ValueError("a URL cannot contain spaces")
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        base = scheme.split("+", 1)[0] if self.drivers else scheme
        if not scheme or "://" not in text:
            raise ValueError(f"it is not a URL; write it as {self._example()}")
        if base not in self.schemes:
            raise ValueError(f"the scheme {scheme!r} is not supported; use {self._example()}")
        if base not in self.hostless and not parts.hostname:
            raise ValueError(f"the URL has no host; write it as {self._example()}")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked for it
        except ValueError:
            raise ValueError("the port is not a number from 0 to 65535") from None
        return text.rstrip("/") if self.strip_slash else text

    def _example(self) -> str:
        driver = " (optionally with a driver, e.g. postgresql+psycopg)" if self.drivers else ""
        return " or ".join(f"{scheme}://…" for scheme in self.schemes) + driver


HttpUrl = Annotated[
    str,
    AfterValidator(_UrlRule(("http", "https"), strip_slash=True)),
    _Allowed("`http://` or `https://` URL"),
]
DatabaseUrl = Annotated[
    str,
    AfterValidator(
        _UrlRule(
            ("sqlite", "postgresql", "postgres"), hostless=("sqlite", "postgresql"), drivers=True
        )
    ),
    _Allowed("`sqlite:///PATH` or `postgresql://USER:PASSWORD@HOST:PORT/DB` URL"),
]
RedisUrl = Annotated[
    str,
    AfterValidator(_UrlRule(("redis", "rediss", "unix"), hostless=("unix",))),
    _Allowed("`redis://`, `rediss://` or `unix://` URL"),
]
MailUrl = Annotated[
    str,
    AfterValidator(_UrlRule(("smtp", "smtps"))),
    _Allowed("`smtp://USER:PASSWORD@HOST:PORT` or `smtps://…` URL"),
]


LocalPath = Annotated[Path, _Allowed("folder path")]


def _check_origin(value: str) -> str:
    if value == "*":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(
            f"{value!r} is not a web origin; write `https://HOST[:PORT]` with no path, or `*`"
        )
    return value.rstrip("/")


Origin = Annotated[str, AfterValidator(_check_origin)]


def _check_environment_name(value: str) -> str:
    if not value or not value[0].isascii() or not value[0].islower():
        raise ValueError(
            f"{value!r} is not an environment name: start with a lowercase letter, "
            "then use lowercase letters, digits, '-' and '_'"
        )
    if any(
        not (char.isascii() and (char.islower() or char.isdigit() or char in "-_"))
        for char in value
    ):
        raise ValueError(
            f"{value!r} is not an environment name: use lowercase letters, digits, '-' and '_'"
        )
    return value


EnvironmentName = Annotated[str, AfterValidator(_check_environment_name)]


def _check_secret_key(value: SecretStr) -> SecretStr:
    # The message must not show the value: it is a secret even when it is a bad one.
    if len(value.get_secret_value()) < 16:
        raise ValueError(
            "the key is too short; use at least 16 random characters, "
            "e.g. the output of `openssl rand -hex 32`"
        )
    return value


_E = TypeVar("_E", bound=StrEnum)

Seconds = Annotated[float, Field(gt=0), _Allowed("number of seconds > 0")]


class ModelStorage(StrEnum):
    FILESYSTEM = "filesystem"
    DATABASE = "database"

    @classmethod
    def _missing_(cls, value: object) -> ModelStorage | None:
        return _enum_ignoring_case(cls, value)


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @classmethod
    def _missing_(cls, value: object) -> LogLevel | None:
        return _enum_ignoring_case(cls, value)


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"

    @classmethod
    def _missing_(cls, value: object) -> LogFormat | None:
        return _enum_ignoring_case(cls, value)


def _enum_ignoring_case(enum: type[_E], value: object) -> _E | None:
    # Environment variables are often written in upper case (LOG_LEVEL=INFO).
    if isinstance(value, str):
        for member in enum:
            if member.value == value.lower():
                return member
    return None


# Sections.


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # URLs may carry a password (postgresql://user:password@host/db); repr never shows it.
        for name, value in super().__repr_args__():
            yield name, _redact_url(value) if isinstance(value, str) else value


class DatabaseSettings(_Section):
    """Where Parley keeps projects, models, conversations and users."""

    url: Annotated[
        DatabaseUrl,
        _alias("DATABASE_URL"),
        _UnderHome("sqlite:///{home}/parley.db"),
        Field(
            description="Database URL. SQLite suits one machine; use PostgreSQL when several "
            "processes or machines share the data."
        ),
    ] = _UnderHome("sqlite:///{home}/parley.db").render(DEFAULT_HOME)


class ModelsSettings(_Section):
    """Where trained model artifacts are stored."""

    storage: Annotated[
        ModelStorage,
        _alias("PARLEY_MODEL_STORAGE"),
        Field(
            description="`filesystem` keeps artifacts as files in `models.dir`; `database` "
            "keeps them in the database, for replicas that share no volume."
        ),
    ] = ModelStorage.FILESYSTEM
    dir: Annotated[
        LocalPath,
        _alias("PARLEY_MODELS_DIR"),
        _UnderHome("{home}/models"),
        Field(description="Folder for model artifacts when `models.storage` is `filesystem`."),
    ] = Path(_UnderHome("{home}/models").render(DEFAULT_HOME))


class RedisSettings(_Section):
    """Redis, for locks, pub/sub, socket.io and the job queue when Parley runs as several
    processes."""

    url: Annotated[
        RedisUrl | None,
        _alias("REDIS_URL"),
        Field(
            description="Redis URL. Unset: one process, no Redis (the embedded default). A set "
            "Redis that cannot be reached is an error, never a silent fallback."
        ),
    ] = None
    scope: Annotated[
        str,
        _alias("PARLEY_REDIS_SCOPE"),
        _Allowed("letters, digits and `_ . : -`"),
        Field(
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="Prefix of every Redis key, so several Parley installations can share "
            "one Redis.",
        ),
    ] = "parley"


class ServerSettings(_Section):
    """The HTTP server: platform API, admin UI, channels and model server."""

    host: Annotated[
        str,
        _Allowed("host name or IP address"),
        Field(
            min_length=1,
            description="Address to listen on; `0.0.0.0` listens on every interface (in a "
            "container).",
        ),
    ] = "127.0.0.1"
    port: Annotated[
        int,
        _Allowed("integer from 1 to 65535"),
        Field(ge=1, le=65535, description="Port to listen on."),
    ] = 5005
    external_url: Annotated[
        HttpUrl | None,
        _alias("PARLEY_EXTERNAL_URL"),
        Field(
            description="Address users reach Parley at behind a proxy, used in links and "
            "cookies; may end in a base path, e.g. `https://example.com/parley`. Unset: "
            "`http://HOST:PORT`."
        ),
    ] = None
    cors_origins: Annotated[
        list[Origin],
        _alias("PARLEY_CORS_ORIGINS"),
        _Allowed("list of origins (`https://HOST[:PORT]`, or `*` for any)"),
        Field(
            description="Web origins whose pages may call the API from a browser. Empty: only "
            "Parley's own pages."
        ),
    ] = []
    production: Annotated[
        bool,
        _alias("PARLEY_PRODUCTION"),
        Field(
            description="Production mode: the production checklist runs at start-up and error "
            "responses carry no debugging details."
        ),
    ] = False
    jwt_cookie: Annotated[
        bool,
        _alias("PARLEY_JWT_COOKIE"),
        Field(
            description="Keep the admin UI's login token in an HTTP-only cookie instead of "
            "browser storage."
        ),
    ] = False
    disable_checklist: Annotated[
        bool,
        _alias("PARLEY_DISABLE_CHECKLIST"),
        Field(description="Skip the production checklist at start-up."),
    ] = False


class EnvironmentsSettings(_Section):
    """Deployment environments: a model is tagged for one, conversations are kept per one."""

    names: Annotated[
        list[EnvironmentName],
        _alias("PARLEY_ENVIRONMENTS"),
        _Allowed("list of names (lowercase letters, digits, `-`, `_`)"),
        Field(description="The environments there are."),
    ] = ["production", "development"]
    serve_environment: Annotated[
        str | None,
        _alias("PARLEY_SERVE_ENVIRONMENT"),
        _Allowed("one of `environments.names`"),
        Field(description="The environment a bot process serves. Unset: every environment."),
    ] = None

    @field_validator("names")
    @classmethod
    def _names_are_unique(cls, names: list[str]) -> list[str]:
        if not names:
            raise ValueError("name at least one environment")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"each environment is named once; repeated: {', '.join(repeated)}")
        return names

    @field_validator("serve_environment")
    @classmethod
    def _serves_a_known_environment(cls, value: str | None, info: ValidationInfo) -> str | None:
        names = info.data.get("names")
        if value is not None and names is not None and value not in names:
            raise ValueError(
                f"{value!r} is not one of the environments ({', '.join(names)}); "
                "pick one or add it to environments.names"
            )
        return value


class ModelServerSettings(_Section):
    """Where a bot process that cannot read the model store pulls its models from."""

    url: Annotated[
        HttpUrl | None,
        _alias("PARLEY_MODEL_SERVER_URL"),
        Field(
            description="Base URL of the Parley API serving models by tag (Rasa's model-server "
            "protocol). Unset: models are read from the model store."
        ),
    ] = None
    token: Annotated[
        SecretStr | None,
        _Allowed("secret string"),
        Field(description="Token sent to the model server."),
    ] = None
    pull_interval: Annotated[
        Seconds,
        _alias("PARLEY_MODEL_PULL_INTERVAL"),
        Field(description="Seconds between two checks for a newly tagged model."),
    ] = 10.0


class ActionsSettings(_Section):
    """The action server that runs custom actions (Rasa SDK webhook protocol)."""

    endpoint: Annotated[
        HttpUrl | None,
        _alias("PARLEY_ACTION_ENDPOINT"),
        Field(
            description="Webhook URL, e.g. `http://localhost:5055/webhook`. Unset: running a "
            "custom action is an error."
        ),
    ] = None
    timeout: Annotated[
        Seconds,
        Field(description="Seconds to wait for the action server before the action fails."),
    ] = 30.0


class DucklingSettings(_Section):
    """Duckling, which extracts dates, numbers, amounts and the like."""

    url: Annotated[
        HttpUrl | None,
        _alias("PARLEY_DUCKLING_URL"),
        Field(
            description="URL of a Duckling HTTP server. Unset or empty: Duckling runs in-process."
        ),
    ] = None


class LanguageServerSettings(_Section):
    """A language server computes sentence embeddings once for many bot replicas."""

    url: Annotated[
        HttpUrl | None,
        _alias("PARLEY_LANGUAGE_SERVER_URL"),
        Field(description="URL of the language server. Unset: each process computes its own."),
    ] = None


class AuthSettings(_Section):
    """Secrets for logins and API access. They never appear in logs, reprs or error messages."""

    secret_key: Annotated[
        Annotated[SecretStr, AfterValidator(_check_secret_key)] | None,
        _alias("PARLEY_SECRET_KEY"),
        _Allowed("secret string of 16 or more characters"),
        Field(
            description="Key that signs login tokens; every API process must share it. Unset: "
            "a random key per start, so logins end when Parley restarts."
        ),
    ] = None
    auth_token: Annotated[
        SecretStr | None,
        _alias("PARLEY_AUTH_TOKEN"),
        _Allowed("secret string"),
        Field(
            description="Shared token the Rasa-compatible HTTP API accepts as `?token=`, like "
            "Rasa's `--auth-token`. Unset: that API accepts login tokens only."
        ),
    ] = None


class LoggingSettings(_Section):
    """What Parley logs and where."""

    level: Annotated[LogLevel, Field(description="Lowest level that is logged.")] = LogLevel.INFO
    format: Annotated[
        LogFormat,
        Field(description="`text` for people; `json`, one object a line, for log collectors."),
    ] = LogFormat.TEXT
    log_dir: Annotated[
        LocalPath | None,
        _alias("PARLEY_LOG_DIR"),
        Field(description="Folder for log files. Unset: logs go to standard error only."),
    ] = None
    audit_log: Annotated[
        bool,
        _alias("PARLEY_AUDIT_LOG"),
        Field(description="Record who changed what, and when, through the API and the UI."),
    ] = False


class MailSettings(_Section):
    """Outgoing mail, for invitations and password resets."""

    url: Annotated[
        MailUrl | None,
        _alias("PARLEY_MAIL_URL"),
        Field(description="SMTP server. Unset: Parley sends no mail."),
    ] = None


class Settings(BaseSettings):
    """Every setting of a Parley installation, one section per area.

    Build it with :func:`load_settings`. ``Settings(...)`` alone applies the code defaults and
    the given values only; it never reads the environment or a file.
    """

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    home: Annotated[
        LocalPath,
        Field(
            description="Folder for Parley's own files; the SQLite database and model artifacts "
            "are kept here unless set otherwise."
        ),
    ] = DEFAULT_HOME
    database: DatabaseSettings = DatabaseSettings()
    models: ModelsSettings = ModelsSettings()
    redis: RedisSettings = RedisSettings()
    server: ServerSettings = ServerSettings()
    environments: EnvironmentsSettings = EnvironmentsSettings()
    model_server: ModelServerSettings = ModelServerSettings()
    actions: ActionsSettings = ActionsSettings()
    duckling: DucklingSettings = DucklingSettings()
    language_server: LanguageServerSettings = LanguageServerSettings()
    auth: AuthSettings = AuthSettings()
    logging: LoggingSettings = LoggingSettings()
    mail: MailSettings = MailSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings layers file, environment and options itself to keep each value's origin.
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _defaults_under_home(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        home = data.get("home", DEFAULT_HOME)
        if not isinstance(home, str | Path):
            return data  # the field check reports it
        home_path = Path(home)
        completed = dict(data)
        for spec in _specs().values():
            if spec.under_home is None or spec.section is None:
                continue
            section = completed.get(spec.section, {})
            if isinstance(section, BaseModel):
                section = section.model_dump(exclude_unset=True)
            if isinstance(section, Mapping) and spec.name not in section:
                section = {**section, spec.name: spec.under_home.render(home_path)}
            completed[spec.section] = section
        return completed


# What the loader and the reference know about each setting, read off the model once.


@dataclass(frozen=True)
class _Spec:
    path: LeafPath
    field: FieldInfo
    env_names: tuple[str, ...]
    allowed: str
    is_list: bool
    is_optional: bool
    is_secret: bool
    is_path: bool
    under_home: _UnderHome | None

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def section(self) -> str | None:
        return self.path[0] if len(self.path) == 2 else None

    @property
    def name(self) -> str:
        return self.path[-1]

    def shown(self, value: Any) -> str:
        """``value`` as a message may show it: secrets hidden, URL passwords masked."""
        if self.is_secret:
            return "(hidden)"
        if isinstance(value, str):
            return repr(_redact_url(value))
        return repr(value)


def _sections() -> dict[str, type[_Section]]:
    found: dict[str, type[_Section]] = {}
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, _Section):
            found[name] = annotation
    return found


@cache
def _specs() -> dict[LeafPath, _Spec]:
    specs: dict[LeafPath, _Spec] = {}
    sections = _sections()
    for name, field in Settings.model_fields.items():
        if name in sections:
            for key, inner in sections[name].model_fields.items():
                specs[name, key] = _spec((name, key), inner)
        else:
            specs[(name,)] = _spec((name,), field)
    return specs


def _spec(path: LeafPath, field: FieldInfo) -> _Spec:
    markers = [*field.metadata, *_nested_metadata(field.annotation)]
    aliases = tuple(name for m in markers if isinstance(m, _EnvAlias) for name in m.names)
    canonical = ENV_PREFIX + ENV_NESTING.join(part.upper() for part in path)
    under_home = next((m for m in markers if isinstance(m, _UnderHome)), None)
    inner, optional = _without_none(field.annotation)
    return _Spec(
        path=path,
        field=field,
        env_names=(canonical, *aliases),
        allowed=_allowed_text(inner, markers, path),
        is_list=get_origin(inner) is list,
        is_optional=optional,
        is_secret=_mentions(field.annotation, SecretStr),
        is_path=_mentions(field.annotation, Path),
        under_home=under_home,
    )


def _nested_metadata(annotation: Any) -> list[object]:
    found: list[object] = list(getattr(annotation, "__metadata__", ()))
    for arg in get_args(annotation):
        found.extend(_nested_metadata(arg))
    return found


def _mentions(annotation: Any, wanted: type) -> bool:
    return annotation is wanted or any(_mentions(arg, wanted) for arg in get_args(annotation))


def _without_none(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _allowed_text(annotation: Any, markers: Sequence[object], path: LeafPath) -> str:
    explicit = [m.text for m in markers if isinstance(m, _Allowed)]
    if explicit:
        return explicit[0]  # the field's own marker comes before its type's
    plain = get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
    if plain is bool:
        return "boolean (`true` or `false`)"
    if isinstance(plain, type) and issubclass(plain, StrEnum):
        return "one of " + ", ".join(f"`{member.value}`" for member in plain)
    raise TypeError(f"setting {'.'.join(path)} needs an _Allowed(...) marker describing its type")


def _redact_url(text: str) -> str:
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return text
    if not password:
        return text
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


# Loading.


class _Origin(Protocol):
    def describe(self, loc: Sequence[str | int]) -> str: ...


@dataclass(frozen=True)
class _FromFile:
    file: YamlFile
    shown_as: Path

    def describe(self, loc: Sequence[str | int]) -> str:
        return self.where(loc)

    def where(self, loc: Sequence[str | int], *, key: bool = False) -> str:
        found = self.file.location(loc, key=key)
        return str(Location(self.shown_as, found.line, found.column))


@dataclass(frozen=True)
class _FromEnv:
    name: str

    def describe(self, loc: Sequence[str | int]) -> str:
        return f"environment variable {self.name}"


@dataclass(frozen=True)
class _FromOption:
    key: str

    def describe(self, loc: Sequence[str | int]) -> str:
        return f"command-line option {self.key}"


@dataclass(frozen=True)
class _Given:
    value: Any
    origin: _Origin


Layer = dict[LeafPath, _Given]


@dataclass(frozen=True)
class _Problem:
    headline: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "\n".join([f"- {self.headline}", *(f"    {line}" for line in self.details)])


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


SettingSource = Literal["default", "file", "environment", "option"]
"""Which layer a setting's value came from."""


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
    settings, given = _load(config_file, environ, overrides, cwd)
    dumped = settings.model_dump(mode="json")
    found: list[EffectiveSetting] = []
    for spec in _specs().values():
        value: Any = dumped
        for part in spec.path:
            value = value[part]
        item = given.get(spec.path)
        if item is None:
            moved = spec.under_home is not None and ("home",) in given
            source: SettingSource = "default"
            origin = "default, under home" if moved else "default"
        else:
            source, origin = _source_of(item.origin), item.origin.describe(spec.path)
        found.append(EffectiveSetting(spec.key, _masked(value), source, origin))
    return found


def _source_of(origin: _Origin) -> SettingSource:
    if isinstance(origin, _FromFile):
        return "file"
    if isinstance(origin, _FromEnv):
        return "environment"
    return "option"


def _masked(value: Any) -> Any:
    # Dumping for JSON already turned SecretStr into asterisks; URLs may still hold a password.
    if isinstance(value, str):
        return _redact_url(value)
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _load(
    config_file: Path | None,
    environ: Mapping[str, str] | None,
    overrides: Mapping[str, Any] | None,
    cwd: Path | None,
) -> tuple[Settings, Layer]:
    """The settings and, for each setting given in a layer, the value and where it came from."""
    workdir = cwd if cwd is not None else Path.cwd()
    env = os.environ if environ is None else environ
    problems: list[_Problem] = []
    layers = [
        _file_layer(workdir, config_file, problems),
        _env_layer(env, problems),
        _option_layer(overrides or {}, problems),
    ]
    given: Layer = {}
    for layer in layers:
        given.update(layer)
    user_home = Path(env["HOME"]) if env.get("HOME") else None
    data = _nest(given)
    for spec in _specs().values():
        if spec.is_path:
            _resolve_path(data, spec.path, workdir, user_home)
    data.setdefault("home", _absolute(DEFAULT_HOME, workdir, user_home))
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        problems.extend(_invalid_value(item, given) for item in error.errors(include_url=False))
    if problems or settings is None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ConfigurationError(
            "\n".join([f"the configuration is invalid ({count}):", *map(str, problems)])
        )
    return settings, given


def _nest(given: Layer) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path, item in given.items():
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = item.value
    return data


def _resolve_path(data: dict[str, Any], path: LeafPath, cwd: Path, user_home: Path | None) -> None:
    """Make the path at ``path`` in ``data`` absolute, counting from the working directory."""
    *sections, name = path
    target: Any = data
    for section in sections:
        target = target.get(section, {})
        if not isinstance(target, dict):
            return  # not a mapping: validation reports it
    value = target.get(name)
    if isinstance(value, str | Path) and str(value):
        target[name] = _absolute(Path(value), cwd, user_home)


def _absolute(value: Path, cwd: Path, user_home: Path | None) -> Path:
    if user_home is not None and value.parts[:1] == ("~",):
        value = user_home.joinpath(*value.parts[1:])
    return value if value.is_absolute() else cwd / value


def _file_layer(workdir: Path, config_file: Path | None, problems: list[_Problem]) -> Layer:
    path = workdir / (config_file if config_file is not None else CONFIG_FILE_NAME)
    if config_file is None and not path.is_file():
        return {}
    shown = path.relative_to(workdir) if path.is_relative_to(workdir) else path
    try:
        file = read_yaml(path)
    except YamlFileError as error:
        found = error.problem.location
        where = Location(shown, found.line, found.column) if found else Location(shown)
        hint = (f"pass an existing file, or none to use ./{CONFIG_FILE_NAME}",)
        message = error.problem.message
        if error.problem.code == "file-missing":
            message = "the configuration file does not exist"
        problems.append(_Problem(f"{where}: {message}", hint if config_file else ()))
        return {}
    origin = _FromFile(file, shown)
    data = file.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(
            _Problem(
                f"{origin.where(())}: the configuration file must be a mapping of settings, "
                f"not {type(data).__name__}",
                (f"valid top-level keys: {', '.join(_top_level_keys())}",),
            )
        )
        return {}
    layer: Layer = {}
    sections = _sections()
    for key, value in data.items():
        name = str(key)
        if (name,) in _specs():
            layer[(name,)] = _Given(value, origin)
        elif name in sections:
            if value is None:
                continue  # an empty section: `server:` with nothing under it
            if not isinstance(value, dict):
                problems.append(
                    _Problem(
                        f"{origin.where([key])}: section '{name}' must be a mapping",
                        (f"valid keys of {name}: {', '.join(sections[name].model_fields)}",),
                    )
                )
                continue
            for inner_key, inner_value in value.items():
                inner = str(inner_key)
                if (name, inner) in _specs():
                    layer[(name, inner)] = _Given(inner_value, origin)
                else:
                    problems.append(
                        _unknown_key(
                            f"{origin.where([key, inner_key], key=True)}: unknown key "
                            f"'{inner}' in section '{name}'",
                            inner,
                            list(sections[name].model_fields),
                            f"valid keys of {name}",
                        )
                    )
        else:
            problems.append(
                _unknown_key(
                    f"{origin.where([key], key=True)}: unknown key '{name}'",
                    name,
                    _top_level_keys(),
                    "valid top-level keys",
                )
            )
    return layer


def _top_level_keys() -> list[str]:
    return list(Settings.model_fields)


def _unknown_key(headline: str, name: str, valid: list[str], valid_label: str) -> _Problem:
    close = difflib.get_close_matches(name, valid, n=3)
    if not close:
        # A key written at the wrong level, e.g. `port:` at the top instead of under `server:`.
        close = [spec.key for spec in _specs().values() if spec.name == name]
    details = [f"did you mean: {', '.join(close)}?"] if close else []
    details.append(f"{valid_label}: {', '.join(valid)}")
    return _Problem(headline, tuple(details))


def _env_names() -> dict[str, LeafPath]:
    return {name: spec.path for spec in _specs().values() for name in spec.env_names}


def _env_layer(environ: Mapping[str, str], problems: list[_Problem]) -> Layer:
    names = _env_names()
    layer: Layer = {}
    set_by: dict[LeafPath, str] = {}
    for raw_name in sorted(environ):
        name = raw_name.upper()
        path = names.get(name)
        if path is None:
            if name.startswith(ENV_PREFIX):
                problem = _unknown_env(name)
                if problem is not None:
                    problems.append(problem)
            continue
        spec = _specs()[path]
        value = _from_env_text(spec, environ[raw_name])
        earlier = layer.get(path)
        if earlier is not None and earlier.value != value:
            problems.append(
                _Problem(
                    f"{spec.key} is set twice, differently: {set_by[path]}="
                    f"{spec.shown(earlier.value)} and {name}={spec.shown(value)}",
                    ("set only one of them",),
                )
            )
            continue
        layer[path] = _Given(value, _FromEnv(name))
        set_by[path] = name
    return layer


def _unknown_env(name: str) -> _Problem | None:
    """A problem for a ``PARLEY_*`` name that looks meant for a setting; None for others,
    which may belong to other tools."""
    words = name.removeprefix(ENV_PREFIX).lower().split(ENV_NESTING)
    sections = _sections()
    short = {env.removeprefix(ENV_PREFIX): env for env in _env_names()}
    close = [
        short[match]
        for match in difflib.get_close_matches(
            name.removeprefix(ENV_PREFIX), short, n=3, cutoff=0.8
        )
    ]
    if words[0] in sections:
        section = words[0]
        valid = [
            f"{ENV_PREFIX}{section.upper()}{ENV_NESTING}{key.upper()}"
            for key in sections[section].model_fields
        ]
        details = [f"did you mean: {', '.join(close)}?"] if close else []
        details.append(f"variables of section {section}: {', '.join(valid)}")
        return _Problem(f"unknown environment variable {name}", tuple(details))
    if close:
        return _Problem(
            f"unknown environment variable {name}", (f"did you mean: {', '.join(close)}?",)
        )
    return None


def _from_env_text(spec: _Spec, text: str) -> Any:
    """An environment value as the field expects it: lists are comma separated (or JSON), and
    an empty value unsets an optional setting."""
    if spec.is_list:
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError:
                return text  # the field check reports it as not a list
        return [item.strip() for item in stripped.split(",") if item.strip()]
    if spec.is_optional and not text.strip():
        return None
    return text


def _option_layer(overrides: Mapping[str, Any], problems: list[_Problem]) -> Layer:
    layer: Layer = {}
    for key, value in _flatten(overrides):
        if value is None:
            continue
        path = tuple(key.split("."))
        if path in _specs():
            text_read = _from_env_text(_specs()[path], value) if isinstance(value, str) else value
            layer[path] = _Given(text_read, _FromOption(key))
        else:
            problems.append(
                _unknown_key(
                    f"unknown command-line setting '{key}'",
                    key,
                    [spec.key for spec in _specs().values()],
                    "valid settings",
                )
            )
    return layer


def _flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{dotted}.")
        else:
            yield dotted, value


def _invalid_value(error: ErrorDetails, given: Layer) -> _Problem:
    loc = tuple(error["loc"])
    specs = _specs()
    words = tuple(str(part) for part in loc)
    spec = next((specs[path] for path in (words[:2], words[:1]) if path in specs), None)
    reason = error["msg"].removeprefix("Value error, ")
    if spec is None:
        return _Problem(f"{'.'.join(words)}: {reason}")
    item = given.get(spec.path)
    if item is None:
        origin = "the default value"
    elif isinstance(item.origin, _FromFile) or len(loc) == len(spec.path):
        origin = item.origin.describe(loc)
    else:
        origin = f"{item.origin.describe(loc)} (item {loc[len(spec.path)]})"
    unset = ", or empty to leave it unset" if spec.is_optional else ""
    if spec.is_list and item is not None and isinstance(item.origin, _FromEnv):
        unset = " (in an environment variable: comma separated, or a JSON list)"
    return _Problem(
        f"{spec.key} (environment variable {' or '.join(spec.env_names)})",
        (
            f"value: {spec.shown(error['input'])} from {origin}",
            f"problem: {reason}",
            f"allowed: {spec.allowed}{unset}",
        ),
    )


# The reference in docs/configuration.md.


@dataclass(frozen=True)
class ReferenceRow:
    """One setting as docs/configuration.md lists it."""

    key: str
    env: tuple[str, ...]
    type: str
    default: str
    description: str

    def cells(self) -> tuple[str, str, str, str, str]:
        """The row's Markdown table cells."""
        return (
            f"`{self.key}`",
            ", ".join(f"`{name}`" for name in self.env),
            self.type,
            self.default,
            self.description,
        )


def reference_rows() -> list[ReferenceRow]:
    """Every setting, in the order of the model, with what the docs say about it."""
    return [
        ReferenceRow(
            key=spec.key,
            env=spec.env_names,
            type=spec.allowed,
            default=_default_text(spec),
            description=spec.field.description or "",
        )
        for spec in _specs().values()
    ]


def _default_text(spec: _Spec) -> str:
    if spec.under_home is not None:
        return f"`{spec.under_home.template.format(home='<home>')}`"
    value = spec.field.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{', '.join(map(str, value))}`" if value else "empty"
    if isinstance(value, Path):
        return f"`{value.as_posix()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


TABLE_HEADER = "| Key | Environment variables | Type | Default | Description |"


def render_reference_markdown() -> str:
    """The reference part of docs/configuration.md: one table per section."""
    rows = reference_rows()
    docs = {name: section.__doc__ or "" for name, section in _sections().items()}
    out: list[str] = []
    for group in dict.fromkeys(row.key.split(".")[0] for row in rows):
        out += [f"### `{group}`", ""]
        if group in docs:
            out += [" ".join(docs[group].split()), ""]
        out += [TABLE_HEADER, "|---|---|---|---|---|"]
        for row in rows:
            if row.key.split(".")[0] == group:
                cells = row.cells()
                if any("|" in cell for cell in cells):
                    raise ValueError(f"a table cell of {row.key} contains '|': {cells}")
                out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def update_reference(page: str) -> str:
    """``page`` with everything after the reference marker replaced by fresh tables."""
    head, marker, _ = page.partition(REFERENCE_MARKER)
    if not marker:
        raise ValueError(f"the page has no reference marker; add this line:\n{REFERENCE_MARKER}")
    return f"{head}{marker}\n\n{render_reference_markdown()}"


if __name__ == "__main__":
    if len(sys.argv) > 1:
        doc = Path(sys.argv[1])
        doc.write_text(update_reference(doc.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(render_reference_markdown())
