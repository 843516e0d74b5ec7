"""Settings: the layers and their order, the short names, and the messages for bad values.

Every test passes ``environ`` and ``cwd`` explicitly; none reads or changes ``os.environ``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from parley.errors import ConfigurationError
from parley.settings import (
    LogLevel,
    ModelStorage,
    Settings,
    load_settings,
    reference_rows,
)

# A valid value for every setting: (text as an environment variable gives it, value expected).
SAMPLES: dict[str, tuple[str, Any]] = {
    "home": ("/srv/parley", Path("/srv/parley")),
    "database.url": ("postgresql://parley@db/parley", "postgresql://parley@db/parley"),
    "models.storage": ("database", ModelStorage.DATABASE),
    "models.dir": ("/srv/models", Path("/srv/models")),
    "redis.url": ("redis://cache:6379/0", "redis://cache:6379/0"),
    "redis.scope": ("bots", "bots"),
    "jobs.timeout": ("3600", 3600.0),
    "jobs.stale_after": ("30", 30.0),
    "server.host": ("0.0.0.0", "0.0.0.0"),
    "server.port": ("8080", 8080),
    "server.max_body_size": ("2097152", 2097152),
    "server.max_upload_size": ("1048576", 1048576),
    "server.external_url": ("https://bots.example.com/parley/", "https://bots.example.com/parley"),
    "server.cors_origins": (
        "https://a.example, https://b.example",
        ["https://a.example", "https://b.example"],
    ),
    "server.production": ("true", True),
    "server.jwt_cookie": ("1", True),
    "server.disable_checklist": ("yes", True),
    "environments.names": ("production,staging", ["production", "staging"]),
    "environments.serve_environment": ("production", "production"),
    "environments.project": ("shop-bot", "shop-bot"),
    "model_server.url": ("http://api:5005", "http://api:5005"),
    "model_server.token": ("pull-token-value", "pull-token-value"),
    "model_server.pull_interval": ("2.5", 2.5),
    "actions.endpoint": ("http://actions:5055/webhook", "http://actions:5055/webhook"),
    "actions.timeout": ("5", 5.0),
    "duckling.url": ("http://duckling:8000", "http://duckling:8000"),
    "duckling.timeout": ("1.5", 1.5),
    "language_server.url": ("http://language:9000", "http://language:9000"),
    "auth.secret_key": ("k" * 32, "k" * 32),
    "auth.auth_token": ("api-token-value", "api-token-value"),
    "logging.level": ("DEBUG", LogLevel.DEBUG),
    "logging.format": ("json", "json"),
    "logging.log_dir": ("/var/log/parley", Path("/var/log/parley")),
    "logging.audit_log": ("on", True),
    "mail.url": ("smtp://mail.example.com:587", "smtp://mail.example.com:587"),
}

# The short names DESIGN.md §5 promises, and the setting each one sets.
DESIGN_ALIASES = {
    "DATABASE_URL": "database.url",
    "REDIS_URL": "redis.url",
    "PARLEY_REDIS_SCOPE": "redis.scope",
    "PARLEY_MODEL_STORAGE": "models.storage",
    "PARLEY_MODELS_DIR": "models.dir",
    "PARLEY_EXTERNAL_URL": "server.external_url",
    "PARLEY_PRODUCTION": "server.production",
    "PARLEY_CORS_ORIGINS": "server.cors_origins",
    "PARLEY_JWT_COOKIE": "server.jwt_cookie",
    "PARLEY_DISABLE_CHECKLIST": "server.disable_checklist",
    "PARLEY_ENVIRONMENTS": "environments.names",
    "PARLEY_SERVE_ENVIRONMENT": "environments.serve_environment",
    "PARLEY_PROJECT": "environments.project",
    "PARLEY_MODEL_SERVER_URL": "model_server.url",
    "PARLEY_MODEL_PULL_INTERVAL": "model_server.pull_interval",
    "PARLEY_ACTION_ENDPOINT": "actions.endpoint",
    "PARLEY_DUCKLING_URL": "duckling.url",
    "PARLEY_LANGUAGE_SERVER_URL": "language_server.url",
    "PARLEY_SECRET_KEY": "auth.secret_key",
    "PARLEY_AUTH_TOKEN": "auth.auth_token",
    "PARLEY_LOG_DIR": "logging.log_dir",
    "PARLEY_AUDIT_LOG": "logging.audit_log",
    "PARLEY_MAIL_URL": "mail.url",
}

ENV_NAMES = [(name, row.key) for row in reference_rows() for name in row.env]


def value_at(settings: Settings, key: str) -> Any:
    value: Any = settings
    for part in key.split("."):
        value = getattr(value, part)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def write_config(folder: Path, text: str, name: str = "parley.yml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(**kwargs: Any) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(**kwargs)
    return str(caught.value)


# Defaults.


def test_every_setting_has_a_sample_value() -> None:
    assert sorted(SAMPLES) == sorted(row.key for row in reference_rows())


def test_defaults_keep_everything_under_home_in_the_working_directory(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)

    assert settings.home == tmp_path / ".parley"
    assert settings.database.url == f"sqlite:///{tmp_path}/.parley/parley.db"
    assert settings.models.storage is ModelStorage.FILESYSTEM
    assert settings.models.dir == tmp_path / ".parley" / "models"
    assert settings.redis.url is None
    assert settings.server.port == 5005
    assert settings.environments.names == ["production", "development"]
    assert settings.environments.serve_environment is None
    assert settings.duckling.url is None
    assert settings.auth.secret_key is None
    assert settings.logging.level is LogLevel.INFO


def test_settings_alone_are_the_code_defaults() -> None:
    assert Settings().server.port == 5005
    assert Settings().database.url == "sqlite:///.parley/parley.db"


def test_moving_home_moves_what_lives_under_it(tmp_path: Path) -> None:
    settings = load_settings(environ={"PARLEY_HOME": "/srv/parley"}, cwd=tmp_path)

    assert settings.database.url == "sqlite:////srv/parley/parley.db"
    assert settings.models.dir == Path("/srv/parley/models")


def test_a_database_url_that_is_set_does_not_follow_home(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"PARLEY_HOME": "/srv/parley", "DATABASE_URL": "sqlite:///elsewhere.db"},
        cwd=tmp_path,
    )

    assert settings.database.url == "sqlite:///elsewhere.db"
    assert settings.models.dir == Path("/srv/parley/models")


def test_relative_paths_count_from_the_working_directory_and_tilde_is_home(tmp_path: Path) -> None:
    write_config(tmp_path, "home: data\nmodels:\n  dir: store/models\n")
    settings = load_settings(
        environ={"HOME": "/home/ada", "PARLEY_LOG_DIR": "~/logs"}, cwd=tmp_path
    )

    assert settings.home == tmp_path / "data"
    assert settings.models.dir == tmp_path / "store" / "models"
    assert settings.logging.log_dir == Path("/home/ada/logs")


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)

    with pytest.raises(ValidationError):
        settings.server.port = 1  # type: ignore[misc]


# Where values come from, and in which order they win.


@pytest.mark.parametrize(
    ("in_file", "in_env", "option", "expected"),
    [
        (False, False, False, 5005),
        (True, False, False, 6000),
        (True, True, False, 7000),
        (False, True, False, 7000),
        (True, True, True, 8000),
        (True, False, True, 8000),
    ],
)
def test_each_layer_overrides_the_one_below(
    tmp_path: Path, in_file: bool, in_env: bool, option: bool, expected: int
) -> None:
    if in_file:
        write_config(tmp_path, "server:\n  port: 6000\n")
    environ = {"PARLEY_SERVER__PORT": "7000"} if in_env else {}
    overrides = {"server.port": 8000} if option else None

    settings = load_settings(environ=environ, overrides=overrides, cwd=tmp_path)

    assert settings.server.port == expected


def test_a_short_name_overrides_the_file_and_an_option_overrides_it(tmp_path: Path) -> None:
    write_config(tmp_path, "database:\n  url: sqlite:///from-file.db\n")
    environ = {"DATABASE_URL": "postgresql://db/parley"}

    assert load_settings(environ={}, cwd=tmp_path).database.url == "sqlite:///from-file.db"
    assert load_settings(environ=environ, cwd=tmp_path).database.url == "postgresql://db/parley"
    from_option = load_settings(
        environ=environ, overrides={"database": {"url": "sqlite:///opt.db"}}, cwd=tmp_path
    )
    assert from_option.database.url == "sqlite:///opt.db"


def test_an_explicit_config_file_replaces_parley_yml(tmp_path: Path) -> None:
    write_config(tmp_path, "server:\n  port: 6000\n")
    other = write_config(tmp_path, "server:\n  port: 6001\n", name="other.yml")

    settings = load_settings(config_file=other, environ={}, cwd=tmp_path)

    assert settings.server.port == 6001


def test_an_empty_config_file_and_empty_sections_are_fine(tmp_path: Path) -> None:
    write_config(tmp_path, "# nothing yet\nserver:\n")

    assert load_settings(environ={}, cwd=tmp_path).server.port == 5005


@pytest.mark.parametrize(("name", "key"), ENV_NAMES)
def test_every_environment_variable_sets_its_setting(tmp_path: Path, name: str, key: str) -> None:
    text, expected = SAMPLES[key]

    settings = load_settings(environ={name: text}, cwd=tmp_path)

    assert value_at(settings, key) == expected


def test_every_setting_can_be_written_in_parley_yml(tmp_path: Path) -> None:
    sections: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for key, (_, expected) in SAMPLES.items():
        section, _, name = key.rpartition(".")
        (sections.setdefault(section, {}) if section else top)[name] = expected
    # JSON is YAML, and spares this test a YAML writer; each value has its YAML type (paths
    # and choices are strings), as the file is read strictly.
    write_config(tmp_path, json.dumps({**top, **sections}, default=str))

    settings = load_settings(environ={}, cwd=tmp_path)

    for key, (_, expected) in SAMPLES.items():
        assert value_at(settings, key) == expected, key


def test_every_setting_can_be_given_as_an_option(tmp_path: Path) -> None:
    overrides = {key: expected for key, (_, expected) in SAMPLES.items()}

    settings = load_settings(environ={}, overrides=overrides, cwd=tmp_path)

    for key, (_, expected) in SAMPLES.items():
        assert value_at(settings, key) == expected, key


def test_options_that_were_not_given_change_nothing(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"PARLEY_SERVER__PORT": "7000"}, overrides={"server.port": None}, cwd=tmp_path
    )

    assert settings.server.port == 7000


@pytest.mark.parametrize(("alias", "key"), sorted(DESIGN_ALIASES.items()))
def test_the_short_names_of_the_design_are_accepted(alias: str, key: str) -> None:
    assert (alias, key) in ENV_NAMES


def test_a_list_can_be_a_json_list_in_the_environment(tmp_path: Path) -> None:
    environ = {"PARLEY_ENVIRONMENTS__NAMES": '["production", "qa"]'}

    assert load_settings(environ=environ, cwd=tmp_path).environments.names == ["production", "qa"]


def test_an_empty_variable_unsets_an_optional_setting(tmp_path: Path) -> None:
    write_config(tmp_path, "duckling:\n  url: http://duckling:8000\n")

    settings = load_settings(environ={"PARLEY_DUCKLING_URL": ""}, cwd=tmp_path)

    assert settings.duckling.url is None


def test_the_same_value_under_both_names_is_fine(tmp_path: Path) -> None:
    environ = {"PARLEY_SERVER__PRODUCTION": "true", "PARLEY_PRODUCTION": "true"}

    assert load_settings(environ=environ, cwd=tmp_path).server.production is True


def test_unrelated_parley_variables_are_left_alone(tmp_path: Path) -> None:
    environ = {"PARLEY_TEST_FIXTURE_FOLDER": "/x", "PATH": "/bin", "HOSTNAME": "box"}

    assert load_settings(environ=environ, cwd=tmp_path).server.port == 5005


def test_the_process_environment_is_read_only_when_no_environ_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Untouchable(Mapping[str, str]):
        def __getitem__(self, key: str) -> str:
            raise AssertionError(f"os.environ was read for {key}")

        def __iter__(self) -> Iterator[str]:
            raise AssertionError("os.environ was read")

        def __len__(self) -> int:
            raise AssertionError("os.environ was read")

    # Swaps the module's reference to `os`, so the real os.environ is never changed.
    monkeypatch.setattr("parley.settings.loading.os", SimpleNamespace(environ=Untouchable()))

    assert load_settings(environ={}, cwd=tmp_path).server.port == 5005
    with pytest.raises(AssertionError, match=r"os\.environ was read"):
        load_settings(cwd=tmp_path)


# Bad values stop start-up with a message naming the setting, the value, its origin and
# what is allowed.


def test_an_unknown_key_in_a_section_names_the_place_and_the_closest_key(tmp_path: Path) -> None:
    write_config(tmp_path, "server:\n  host: 0.0.0.0\n  prot: 8000\n")

    message = config_error(environ={}, cwd=tmp_path)

    assert "parley.yml:3:3: unknown key 'prot' in section 'server'" in message
    assert "did you mean: port?" in message
    assert "valid keys of server: host, port, external_url, cors_origins" in message


def test_an_unknown_section_suggests_the_closest(tmp_path: Path) -> None:
    write_config(tmp_path, "sever:\n  port: 8000\n")

    message = config_error(environ={}, cwd=tmp_path)

    assert "parley.yml:1:1: unknown key 'sever'" in message
    assert "did you mean: server?" in message
    assert "valid top-level keys: home, database, models, redis, server" in message


def test_a_key_at_the_wrong_level_points_to_its_section(tmp_path: Path) -> None:
    write_config(tmp_path, "port: 8000\n")

    assert "did you mean: server.port?" in config_error(environ={}, cwd=tmp_path)


def test_a_value_of_the_wrong_type_names_setting_value_origin_and_what_is_allowed(
    tmp_path: Path,
) -> None:
    write_config(tmp_path, "server:\n  port: eighty\n")

    message = config_error(environ={}, cwd=tmp_path)

    assert "server.port (environment variable PARLEY_SERVER__PORT)" in message
    assert "value: 'eighty' from parley.yml:2:9" in message
    assert "valid integer" in message
    assert "allowed: integer from 1 to 65535" in message


def test_a_value_out_of_range_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    message = config_error(environ={"PARLEY_SERVER__PORT": "70000"}, cwd=tmp_path)

    assert "value: '70000' from environment variable PARLEY_SERVER__PORT" in message
    assert "less than or equal to 65535" in message


def test_a_bad_option_names_the_option(tmp_path: Path) -> None:
    message = config_error(environ={}, overrides={"server.port": "x"}, cwd=tmp_path)

    assert "value: 'x' from command-line option server.port" in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "mysql://db/parley",
            "the scheme 'mysql' is not supported; use sqlite://… or postgresql://…",
        ),
        ("localhost:5432/parley", "it is not a URL"),
        ("postgresql://db:port/parley", "the port is not a number"),
        ("postgresql://db/my parley", "a URL cannot contain spaces"),
    ],
)
def test_a_malformed_database_url_lists_the_schemes(tmp_path: Path, url: str, reason: str) -> None:
    message = config_error(environ={"DATABASE_URL": url}, cwd=tmp_path)

    assert "database.url (environment variable PARLEY_DATABASE__URL or DATABASE_URL)" in message
    assert "from environment variable DATABASE_URL" in message
    assert reason in message
    assert "allowed: `sqlite:///PATH` or `postgresql://USER:PASSWORD@HOST:PORT/DB` URL" in message


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("PARLEY_EXTERNAL_URL", "bots.example.com", "it is not a URL"),
        ("PARLEY_ACTION_ENDPOINT", "ftp://actions/webhook", "the scheme 'ftp' is not supported"),
        ("PARLEY_MODEL_SERVER_URL", "http:///models", "the URL has no host"),
        ("REDIS_URL", "http://cache:6379", "use redis://… or rediss://… or unix://…"),
        ("PARLEY_MAIL_URL", "mail.example.com", "write it as smtp://… or smtps://…"),
        ("PARLEY_CORS_ORIGINS", "https://a.example/path", "is not a web origin"),
    ],
)
def test_other_malformed_urls_say_why(tmp_path: Path, name: str, value: str, reason: str) -> None:
    message = config_error(environ={name: value}, cwd=tmp_path)

    assert f"from environment variable {name}" in message
    assert reason in message


def test_an_unknown_choice_lists_the_choices(tmp_path: Path) -> None:
    message = config_error(environ={"PARLEY_MODEL_STORAGE": "s3"}, cwd=tmp_path)

    assert (
        "models.storage (environment variable PARLEY_MODELS__STORAGE or PARLEY_MODEL_STORAGE)"
        in message
    )
    assert "value: 's3' from environment variable PARLEY_MODEL_STORAGE" in message
    assert "allowed: one of `filesystem`, `database`" in message


def test_the_served_environment_must_be_one_of_the_environments(tmp_path: Path) -> None:
    environ = {"PARLEY_ENVIRONMENTS": "production,staging", "PARLEY_SERVE_ENVIRONMENT": "qa"}

    message = config_error(environ=environ, cwd=tmp_path)

    assert "environments.serve_environment" in message
    assert "'qa' is not one of the environments (production, staging)" in message


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ("production,Staging", "'Staging' is not an environment name"),
        ("production,production", "repeated: production"),
        ("", "name at least one environment"),
    ],
)
def test_environment_names_are_checked(tmp_path: Path, names: str, reason: str) -> None:
    message = config_error(environ={"PARLEY_ENVIRONMENTS": names}, cwd=tmp_path)

    assert reason in message


def test_a_list_item_from_the_file_is_located_exactly(tmp_path: Path) -> None:
    write_config(tmp_path, "server:\n  cors_origins:\n    - https://a.example\n    - nope\n")

    message = config_error(environ={}, cwd=tmp_path)

    assert "value: 'nope' from parley.yml:4:7" in message


def test_a_misspelt_variable_names_the_closest_real_ones(tmp_path: Path) -> None:
    message = config_error(environ={"PARLEY_SERVR__PORT": "8000"}, cwd=tmp_path)

    assert "unknown environment variable PARLEY_SERVR__PORT" in message
    assert "did you mean: PARLEY_SERVER__PORT?" in message


def test_a_single_underscore_instead_of_two_is_caught(tmp_path: Path) -> None:
    message = config_error(environ={"PARLEY_MODEL_SERVER_TOKEN": "t"}, cwd=tmp_path)

    assert "PARLEY_MODEL_SERVER__TOKEN" in message


def test_an_unknown_key_of_a_known_section_lists_the_section_variables(tmp_path: Path) -> None:
    message = config_error(environ={"PARLEY_SERVER__LISTEN": "0.0.0.0"}, cwd=tmp_path)

    assert "unknown environment variable PARLEY_SERVER__LISTEN" in message
    assert "variables of section server: PARLEY_SERVER__HOST, PARLEY_SERVER__PORT" in message


def test_two_names_of_one_setting_must_agree(tmp_path: Path) -> None:
    environ = {"DATABASE_URL": "sqlite:///a.db", "PARLEY_DATABASE__URL": "sqlite:///b.db"}

    message = config_error(environ=environ, cwd=tmp_path)

    assert "database.url is set twice, differently" in message
    assert "DATABASE_URL='sqlite:///a.db'" in message
    assert "PARLEY_DATABASE__URL='sqlite:///b.db'" in message


def test_an_unknown_option_lists_the_settings(tmp_path: Path) -> None:
    message = config_error(environ={}, overrides={"server.prot": 1}, cwd=tmp_path)

    assert "unknown command-line setting 'server.prot'" in message
    assert "did you mean: server.port" in message


def test_a_yaml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    write_config(tmp_path, "server:\n  port: [8000\n")

    message = config_error(environ={}, cwd=tmp_path)

    assert "parley.yml:3:1: invalid YAML" in message


def test_a_config_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path, "- server\n")

    message = config_error(environ={}, cwd=tmp_path)

    assert (
        "parley.yml:1:1: the configuration file must be a mapping of settings, not list" in message
    )


def test_a_section_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path, "server: 8000\n")

    message = config_error(environ={}, cwd=tmp_path)

    assert "parley.yml:1:9: section 'server' must be a mapping" in message
    assert "valid keys of server: host, port" in message


def test_an_explicit_config_file_must_exist(tmp_path: Path) -> None:
    message = config_error(config_file=Path("missing.yml"), environ={}, cwd=tmp_path)

    assert "missing.yml: the configuration file does not exist" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    write_config(tmp_path, "server:\n  prot: 1\n  port: x\n")
    environ = {"PARLEY_MODEL_STORAGE": "s3", "PARLEY_SERVR__HOST": "h"}

    message = config_error(environ=environ, cwd=tmp_path)

    assert message.startswith("the configuration is invalid (4 problems):")


# Secrets.

SECRET = "correct-horse-battery-staple-42"


def test_secrets_and_url_passwords_stay_out_of_repr_and_str(tmp_path: Path) -> None:
    environ = {
        "PARLEY_SECRET_KEY": SECRET,
        "PARLEY_AUTH_TOKEN": SECRET + "-token",
        "PARLEY_MODEL_SERVER__TOKEN": SECRET + "-pull",
        "DATABASE_URL": f"postgresql://parley:{SECRET}@db/parley",
        "REDIS_URL": f"redis://:{SECRET}@cache:6379/0",
        "PARLEY_MAIL_URL": f"smtp://bot:{SECRET}@mail.example.com:587",
    }

    settings = load_settings(environ=environ, cwd=tmp_path)

    for text in (repr(settings), str(settings), repr(settings.database), str(settings.auth)):
        assert SECRET not in text
    assert "postgresql://parley:***@db/parley" in repr(settings)
    assert settings.auth.secret_key is not None
    assert settings.auth.secret_key.get_secret_value() == SECRET
    assert settings.database.url == f"postgresql://parley:{SECRET}@db/parley"


SHORT_KEY = "tiny-key-42"


@pytest.mark.parametrize(
    ("environ", "config", "secret"),
    [
        ({"PARLEY_SECRET_KEY": SHORT_KEY}, "", SHORT_KEY),
        ({"PARLEY_AUTH_TOKEN": SECRET, "PARLEY_AUTH__AUTH_TOKEN": SECRET + "x"}, "", SECRET),
        ({"DATABASE_URL": f"mysql://parley:{SECRET}@db/parley"}, "", SECRET),
        ({"REDIS_URL": f"redis://:{SECRET}@"}, "", SECRET),
        ({}, f"auth:\n  secret_key: [{SECRET}]\n", SECRET),
        ({}, f"model_server:\n  token: {{value: {SECRET}}}\n", SECRET),
    ],
)
def test_secrets_stay_out_of_error_messages(
    tmp_path: Path, environ: dict[str, str], config: str, secret: str
) -> None:
    write_config(tmp_path, config)

    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ=environ, cwd=tmp_path)

    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    # Nothing chained: a traceback would print pydantic's error, which carries the raw input.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_enum_values_read_from_the_environment_ignore_case(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"PARLEY_MODELS__STORAGE": "Database", "PARLEY_LOGGING__LEVEL": "WARNING"},
        cwd=tmp_path,
    )

    assert settings.models.storage is ModelStorage.DATABASE
    assert settings.logging.level is LogLevel.WARNING
    assert isinstance(settings.logging.level, Enum)
