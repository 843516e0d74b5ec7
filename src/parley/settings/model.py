"""The settings model: one :class:`Settings` object, one nested section per area.

Every fact about a setting lives on its field: the type and its check, the default, the
description the reference prints, the short environment variable names (:class:`EnvAlias`)
and what the docs call the allowed values (:class:`Allowed`). :mod:`parley.settings.loading`
builds a :class:`Settings` from the layers; ``Settings(...)`` alone takes only the code
defaults and the given values.

The models are strict: a value must already have the type the setting needs, so ``port: true``
or ``production: "yes"`` in ``parley.yml`` is an error, not ``1`` and ``True``. Text from the
environment and ``--set`` is turned into those types before validation, by pydantic-settings'
environment source (see :mod:`parley.settings.sources`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from parley.settings.marker import Allowed, EnvAlias, UnderHome, markers
from parley.settings.urls import DatabaseUrl, HttpUrl, MailUrl, RedisUrl, WebOrigin, redact_url

DEFAULT_HOME = Path(".parley")
CONFIG_FILE_NAME = "parley.yml"


def _not_empty(value: Any) -> Any:
    # Path("") is ".", which would quietly put Parley's files in the working directory.
    if isinstance(value, str | Path) and not str(value).strip():
        raise ValueError("the path is empty; give a folder, or leave the setting out")
    return value


LocalPath = Annotated[Path, Strict(False), BeforeValidator(_not_empty), Allowed("folder path")]
"""A folder; lax, because a path is written as text everywhere, the file included."""


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

Seconds = Annotated[float, Field(gt=0), Allowed("number of seconds > 0")]


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


class Section(BaseModel):
    """One area's settings. Strict, like :class:`Settings`; enums and paths take
    ``Strict(False)``, as both are written as text in every layer."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # URLs may carry a password (postgresql://user:password@host/db); repr never shows it.
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if isinstance(value, str) else value


class DatabaseSettings(Section):
    """Where Parley keeps projects, models, conversations and users."""

    url: Annotated[
        DatabaseUrl,
        EnvAlias("DATABASE_URL"),
        UnderHome("sqlite:///{home}/parley.db"),
        Field(
            description="Database URL. SQLite suits one machine; use PostgreSQL when several "
            "processes or machines share the data."
        ),
    ] = UnderHome("sqlite:///{home}/parley.db").render(DEFAULT_HOME)


class ModelsSettings(Section):
    """Where trained model artifacts are stored."""

    storage: Annotated[
        ModelStorage,
        Strict(False),
        EnvAlias("PARLEY_MODEL_STORAGE"),
        Field(
            description="`filesystem` keeps artifacts as files in `models.dir`; `database` "
            "keeps them in the database, for replicas that share no volume."
        ),
    ] = ModelStorage.FILESYSTEM
    dir: Annotated[
        LocalPath,
        EnvAlias("PARLEY_MODELS_DIR"),
        UnderHome("{home}/models"),
        Field(description="Folder for model artifacts when `models.storage` is `filesystem`."),
    ] = Path(UnderHome("{home}/models").render(DEFAULT_HOME))


class RedisSettings(Section):
    """Redis, for locks, pub/sub, socket.io and the job queue when Parley runs as several
    processes."""

    url: Annotated[
        RedisUrl | None,
        EnvAlias("REDIS_URL"),
        Field(
            description="Redis URL. Unset: one process, no Redis (the embedded default). A set "
            "Redis that cannot be reached is an error, never a silent fallback."
        ),
    ] = None
    scope: Annotated[
        str,
        EnvAlias("PARLEY_REDIS_SCOPE"),
        Allowed("letters, digits and `_ . : -`"),
        Field(
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="Prefix of every Redis key, so several Parley installations can share "
            "one Redis.",
        ),
    ] = "parley"


class ServerSettings(Section):
    """The HTTP server: platform API, admin UI, channels and model server."""

    host: Annotated[
        str,
        Allowed("host name or IP address"),
        Field(
            min_length=1,
            description="Address to listen on; `0.0.0.0` listens on every interface (in a "
            "container).",
        ),
    ] = "127.0.0.1"
    port: Annotated[
        int,
        Allowed("integer from 1 to 65535"),
        Field(ge=1, le=65535, description="Port to listen on."),
    ] = 5005
    external_url: Annotated[
        HttpUrl | None,
        EnvAlias("PARLEY_EXTERNAL_URL"),
        Field(
            description="Address users reach Parley at behind a proxy, used in links and "
            "cookies; may end in a base path, e.g. `https://example.com/parley`. Unset: "
            "`http://HOST:PORT`."
        ),
    ] = None
    cors_origins: Annotated[
        list[WebOrigin],
        EnvAlias("PARLEY_CORS_ORIGINS"),
        Allowed("list of origins (`https://HOST[:PORT]`, or `*` for any)"),
        Field(
            description="Web origins whose pages may call the API from a browser. Empty: only "
            "Parley's own pages."
        ),
    ] = []
    max_body_size: Annotated[
        int,
        Allowed("number of bytes ≥ 1024"),
        Field(
            ge=1024,
            description="Largest request body accepted; a larger one is refused with 413 "
            "before it is read.",
        ),
    ] = 1_048_576
    max_upload_size: Annotated[
        int,
        Allowed("number of bytes ≥ 1024"),
        Field(
            ge=1024,
            description="Largest upload accepted: a model file, or a whole project's files.",
        ),
    ] = 1 << 30
    production: Annotated[
        bool,
        EnvAlias("PARLEY_PRODUCTION"),
        Field(
            description="Production mode: the production checklist runs at start-up and error "
            "responses carry no debugging details."
        ),
    ] = False
    jwt_cookie: Annotated[
        bool,
        EnvAlias("PARLEY_JWT_COOKIE"),
        Field(
            description="Keep the admin UI's login token in an HTTP-only cookie instead of "
            "browser storage."
        ),
    ] = False
    disable_checklist: Annotated[
        bool,
        EnvAlias("PARLEY_DISABLE_CHECKLIST"),
        Field(description="Skip the production checklist at start-up."),
    ] = False


class EnvironmentsSettings(Section):
    """Deployment environments: a model is tagged for one, conversations are kept per one."""

    names: Annotated[
        list[EnvironmentName],
        EnvAlias("PARLEY_ENVIRONMENTS"),
        Allowed("list of names (lowercase letters, digits, `-`, `_`)"),
        Field(description="The environments there are."),
    ] = ["production", "development"]
    project: Annotated[
        str,
        EnvAlias("PARLEY_PROJECT"),
        Allowed("a project name (letters, digits, `-`, `_`, `.`)"),
        Field(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
            description="The project whose models the environments serve.",
        ),
    ] = "default"
    serve_environment: Annotated[
        str | None,
        EnvAlias("PARLEY_SERVE_ENVIRONMENT"),
        Allowed("one of `environments.names`"),
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


class ModelServerSettings(Section):
    """Where a bot process that cannot read the model store pulls its models from."""

    url: Annotated[
        HttpUrl | None,
        EnvAlias("PARLEY_MODEL_SERVER_URL"),
        Field(
            description="Base URL of the Parley API serving models by tag (Rasa's model-server "
            "protocol). Unset: models are read from the model store."
        ),
    ] = None
    token: Annotated[
        SecretStr | None,
        Allowed("secret string"),
        Field(description="Token sent to the model server."),
    ] = None
    pull_interval: Annotated[
        Seconds,
        EnvAlias("PARLEY_MODEL_PULL_INTERVAL"),
        Field(description="Seconds between two checks for a newly tagged model."),
    ] = 10.0


class JobsSettings(Section):
    """Training jobs: how long one may run, and when a silent one counts as dead."""

    timeout: Annotated[
        Seconds,
        Field(description="Seconds a training job may run; a longer one is stopped and failed."),
    ] = 6 * 3600.0
    stale_after: Annotated[
        float,
        Allowed("number of seconds ≥ 1"),
        Field(
            ge=1,
            description="Seconds without a heartbeat after which a running job's worker counts "
            "as dead and the job is failed. Workers beat every second (or four times within "
            "this, if less).",
        ),
    ] = 15.0


class ActionsSettings(Section):
    """The action server that runs custom actions (Rasa SDK webhook protocol)."""

    endpoint: Annotated[
        HttpUrl | None,
        EnvAlias("PARLEY_ACTION_ENDPOINT"),
        Field(
            description="Webhook URL, e.g. `http://localhost:5055/webhook`; wins over a "
            "project's `endpoints.yml` `action_endpoint`. Unset: that `action_endpoint`, if "
            "any; without either, running a custom action is an error."
        ),
    ] = None
    timeout: Annotated[
        Seconds,
        Field(
            description="Seconds to wait for the action server (this one or `endpoints.yml`'s) "
            "before the action fails."
        ),
    ] = 30.0


class DucklingSettings(Section):
    """Duckling, which extracts dates, numbers, amounts and the like."""

    url: Annotated[
        HttpUrl | None,
        EnvAlias("PARLEY_DUCKLING_URL"),
        Field(
            description="URL of a Duckling HTTP server. Unset or empty: Duckling runs in-process."
        ),
    ] = None
    timeout: Annotated[
        Seconds,
        Field(
            description="Seconds to wait for the Duckling server; a message it does not answer "
            "in time gets no Duckling entities."
        ),
    ] = 3.0


class LanguageServerSettings(Section):
    """A language server computes sentence embeddings once for many bot replicas."""

    url: Annotated[
        HttpUrl | None,
        EnvAlias("PARLEY_LANGUAGE_SERVER_URL"),
        Field(description="URL of the language server. Unset: each process computes its own."),
    ] = None


class AuthSettings(Section):
    """Secrets for logins and API access. They never appear in logs, reprs or error messages."""

    secret_key: Annotated[
        Annotated[SecretStr, AfterValidator(_check_secret_key)] | None,
        EnvAlias("PARLEY_SECRET_KEY"),
        Allowed("secret string of 16 or more characters"),
        Field(
            description="Key that signs login tokens; every API process must share it. Unset: "
            "a random key per start, so logins end when Parley restarts."
        ),
    ] = None
    auth_token: Annotated[
        SecretStr | None,
        EnvAlias("PARLEY_AUTH_TOKEN"),
        Allowed("secret string"),
        Field(
            description="Shared token the Rasa-compatible HTTP API accepts as `?token=` or "
            "`Authorization: Bearer`, like Rasa's `--auth-token`. Unset: `parley run` makes a "
            "random one at each start and prints it."
        ),
    ] = None


class LoggingSettings(Section):
    """What Parley logs and where."""

    level: Annotated[LogLevel, Strict(False), Field(description="Lowest level that is logged.")] = (
        LogLevel.INFO
    )
    format: Annotated[
        LogFormat,
        Strict(False),
        Field(description="`text` for people; `json`, one object a line, for log collectors."),
    ] = LogFormat.TEXT
    log_dir: Annotated[
        LocalPath | None,
        EnvAlias("PARLEY_LOG_DIR"),
        Field(description="Folder for log files. Unset: logs go to standard error only."),
    ] = None
    audit_log: Annotated[
        bool,
        EnvAlias("PARLEY_AUDIT_LOG"),
        Field(description="Record who changed what, and when, through the API and the UI."),
    ] = False


class MailSettings(Section):
    """Outgoing mail, for invitations and password resets."""

    url: Annotated[
        MailUrl | None,
        EnvAlias("PARLEY_MAIL_URL"),
        Field(description="SMTP server. Unset: Parley sends no mail."),
    ] = None


class Settings(BaseSettings):
    """Every setting of a Parley installation, one section per area.

    Build it with :func:`load_settings`. ``Settings(...)`` alone applies the code defaults and
    the given values only; it never reads the environment or a file.
    """

    # strict=True also tells pydantic-settings' environment source to turn text into the
    # field's type (leniently) before the strict check.
    model_config = SettingsConfigDict(extra="forbid", frozen=True, strict=True)

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
    jobs: JobsSettings = JobsSettings()
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
        # Only the given values: load_settings hands over the file and environment sources it
        # built from its own arguments, so nothing here reads os.environ or a file.
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _defaults_under_home(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        home = data.get("home", DEFAULT_HOME)
        if not isinstance(home, str | Path) or not str(home).strip():
            return data  # the field check reports it
        completed = dict(data)
        for name, section_type in sections().items():
            for key, field in section_type.model_fields.items():
                under_home = next((m for m in markers(field) if isinstance(m, UnderHome)), None)
                if under_home is None:
                    continue
                section = completed.get(name, {})
                if isinstance(section, BaseModel):
                    section = section.model_dump(exclude_unset=True)
                if isinstance(section, Mapping) and key not in section:
                    section = {**section, key: under_home.render(Path(home))}
                completed[name] = section
        return completed


def sections() -> dict[str, type[Section]]:
    """The sections of :class:`Settings` by name, in the order of the model."""
    found: dict[str, type[Section]] = {}
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, Section):
            found[name] = annotation
    return found
