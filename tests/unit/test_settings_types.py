"""How each layer's values are typed: ``parley.yml`` strictly (a YAML boolean for a boolean, a
YAML integer for an integer, …), the environment and ``--set`` leniently, as the text they are;
and what an empty value does.

Every test passes ``environ`` and ``cwd`` explicitly; none reads or changes ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parley.errors import ConfigurationError
from parley.settings import load_settings


def write_config(folder: Path, text: str) -> None:
    (folder / "parley.yml").write_text(text, encoding="utf-8")


def config_error(**kwargs: Any) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(**kwargs)
    return str(caught.value)


# parley.yml: each value must have its setting's YAML type.


@pytest.mark.parametrize(
    ("config", "key", "shown", "problem"),
    [
        ("server:\n  port: true\n", "server.port", "True from parley.yml:2:9", "valid integer"),
        ('server:\n  port: "8000"\n', "server.port", "'8000' from parley.yml:2:9", "integer"),
        ("server:\n  port: 80.5\n", "server.port", "80.5 from parley.yml:2:9", "integer"),
        (
            'server:\n  production: "yes"\n',
            "server.production",
            "'yes' from parley.yml:2:15",
            "write true or false without quotes",
        ),
        (
            "server:\n  production: yes\n",
            "server.production",
            "'yes' from parley.yml:2:15",
            "YAML 1.2 reads yes, no, on and off as text",
        ),
        ("server:\n  jwt_cookie: 1\n", "server.jwt_cookie", "1 from parley.yml:2:15", "boolean"),
        ("server:\n  host: 8080\n", "server.host", "8080 from parley.yml:2:9", "valid string"),
        ("redis:\n  scope: 12\n", "redis.scope", "12 from parley.yml:2:10", "valid string"),
        (
            "actions:\n  timeout: '5'\n",
            "actions.timeout",
            "'5' from parley.yml:2:12",
            "write a number without quotes",
        ),
        (
            "server:\n  cors_origins: https://a.example\n",
            "server.cors_origins",
            "'https://a.example' from parley.yml:2:17",
            "write a list",
        ),
        ("logging:\n  log_dir: 5\n", "logging.log_dir", "5 from parley.yml:2:12", "path"),
    ],
)
def test_a_file_value_of_the_wrong_yaml_type_is_refused(
    tmp_path: Path, config: str, key: str, shown: str, problem: str
) -> None:
    write_config(tmp_path, config)

    message = config_error(environ={}, cwd=tmp_path)

    assert f"- {key} (environment variable" in message
    assert f"value: {shown}" in message
    assert problem in message


def test_a_file_value_of_the_right_yaml_type_is_taken_as_it_is(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "server:\n  port: 8000\n  production: true\n  host: '8080'\n"
        "actions:\n  timeout: 5\nlogging:\n  level: DEBUG\n",
    )

    settings = load_settings(environ={}, cwd=tmp_path)

    assert settings.server.port == 8000
    assert settings.server.production is True
    assert settings.server.host == "8080"
    assert settings.actions.timeout == 5.0  # a YAML integer is a number of seconds too
    assert settings.logging.level == "debug"


@pytest.mark.parametrize(
    ("environ", "overrides"),
    [
        ({"PARLEY_SERVER__PORT": "8000", "PARLEY_PRODUCTION": "yes"}, None),
        ({}, {"server.port": "8000", "server.production": "yes"}),
    ],
    ids=["environment", "option"],
)
def test_text_layers_are_read_leniently_over_a_strict_file(
    tmp_path: Path, environ: dict[str, str], overrides: dict[str, str] | None
) -> None:
    write_config(tmp_path, "server:\n  port: 6000\n  production: false\n")

    settings = load_settings(environ=environ, overrides=overrides, cwd=tmp_path)

    assert settings.server.port == 8000
    assert settings.server.production is True


def test_options_that_are_not_text_are_checked_strictly(tmp_path: Path) -> None:
    message = config_error(environ={}, overrides={"server.port": True}, cwd=tmp_path)

    assert "value: True from command-line option server.port" in message
    assert "valid integer" in message


def test_a_section_that_is_not_a_mapping_is_refused_even_when_the_environment_sets_it(
    tmp_path: Path,
) -> None:
    write_config(tmp_path, "server: 8000\n")

    message = config_error(environ={"PARLEY_SERVER__HOST": "0.0.0.0"}, cwd=tmp_path)

    assert "parley.yml:1:9: section 'server' must be a mapping" in message


# Empty values: they unset what can be unset, and are refused where a value is needed.


@pytest.mark.parametrize(
    ("environ", "overrides", "origin"),
    [
        ({}, {"home": ""}, "command-line option home"),
        ({"PARLEY_HOME": ""}, None, "environment variable PARLEY_HOME"),
        ({"PARLEY_HOME": "  "}, None, "environment variable PARLEY_HOME"),
    ],
    ids=["--set", "environment", "blank"],
)
def test_an_empty_home_is_refused(
    tmp_path: Path, environ: dict[str, str], overrides: dict[str, str] | None, origin: str
) -> None:
    message = config_error(environ=environ, overrides=overrides, cwd=tmp_path)

    assert message.startswith("the configuration is invalid (1 problem):")
    assert f"from {origin}" in message
    assert "it is empty, but home cannot be unset; leave it out for the default" in message
    assert "allowed: folder path" in message


@pytest.mark.parametrize("config", ['home: ""\n', "home:\n", "models:\n  dir: ''\n"])
def test_an_empty_path_in_the_file_is_refused(tmp_path: Path, config: str) -> None:
    write_config(tmp_path, config)

    message = config_error(environ={}, cwd=tmp_path)

    assert "from parley.yml:" in message
    assert "the path is empty" in message or "cannot be unset" in message


def test_a_relative_home_from_an_option_is_made_absolute(tmp_path: Path) -> None:
    settings = load_settings(environ={}, overrides={"home": "data"}, cwd=tmp_path)

    assert settings.home == tmp_path / "data"
    assert settings.models.dir == tmp_path / "data" / "models"
    assert settings.database.url == f"sqlite:///{tmp_path}/data/parley.db"


def test_every_path_is_absolute_whatever_layer_gave_it(tmp_path: Path) -> None:
    write_config(tmp_path, "models:\n  dir: store\n")

    settings = load_settings(
        environ={"PARLEY_HOME": "state", "HOME": "/home/ada"},
        overrides={"logging.log_dir": "~/logs"},
        cwd=tmp_path,
    )

    assert settings.home == tmp_path / "state"
    assert settings.models.dir == tmp_path / "store"
    assert settings.logging.log_dir == Path("/home/ada/logs")


def test_an_empty_value_cannot_unset_a_setting_that_needs_a_value(tmp_path: Path) -> None:
    message = config_error(environ={"PARLEY_SERVER__PORT": ""}, cwd=tmp_path)

    assert "value: '' from environment variable PARLEY_SERVER__PORT" in message
    assert "it is empty, but server.port cannot be unset" in message


def test_an_empty_value_unsets_an_optional_path_and_empties_a_list(tmp_path: Path) -> None:
    write_config(
        tmp_path, "logging:\n  log_dir: logs\nserver:\n  cors_origins: [https://a.example]\n"
    )

    settings = load_settings(
        environ={"PARLEY_LOG_DIR": ""}, overrides={"server.cors_origins": ""}, cwd=tmp_path
    )

    assert settings.logging.log_dir is None
    assert settings.server.cors_origins == []
