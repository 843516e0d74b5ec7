"""``parley config`` and ``--config``: the settings layers end to end through the command line.

The environment reaches the app only through the runner's ``env=``; every variable a setting
reads is unset there first, so the developer's own environment cannot leak in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner, Result

from parley.cli.app import app
from parley.settings import reference_rows

runner = CliRunner()

SETTING_VARIABLES: dict[str, str | None] = {
    name: None for row in reference_rows() for name in row.env
}


def invoke(args: list[str], env: Mapping[str, str] | None = None, *, columns: int = 250) -> Result:
    """Run ``parley ARGS`` with only ``env`` as the settings' environment."""
    full_env: dict[str, str | None] = {**SETTING_VARIABLES, "COLUMNS": str(columns)}
    full_env.update(env or {})
    return runner.invoke(app, args, env=full_env)


def shown(args: list[str], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``parley [ARGS] config show --format json``, parsed; ARGS may hold root options and
    ``--set`` options, which go where they belong."""
    root = [arg for arg in args if arg.startswith("--config")]
    rest = [arg for arg in args if not arg.startswith("--config")]
    result = invoke([*root, "config", "show", "--format", "json", *rest], env)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def write(folder: Path, text: str, name: str = "parley.yml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder: where ``parley.yml`` is looked for."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# The layers.

PORT_FILE = "server:\n  port: 1001\n"


FROM_ENV = ("environment", "environment variable PARLEY_SERVER__PORT")
FROM_OPTION = ("option", "command-line option server.port")


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ("", (5005, "default", "default")),
        ("file", (1001, "file", "parley.yml:2:9")),
        ("env", (1002, *FROM_ENV)),
        ("file env", (1002, *FROM_ENV)),
        ("file option", (1003, *FROM_OPTION)),
        ("env option", (1003, *FROM_OPTION)),
        ("file env option", (1003, *FROM_OPTION)),
    ],
)
def test_each_layer_overrides_the_ones_below(
    workdir: Path, layers: str, expected: tuple[int, str, str]
) -> None:
    if "file" in layers:
        write(workdir, PORT_FILE)
    environ = {"PARLEY_SERVER__PORT": "1002"} if "env" in layers else {}
    options = ["--set", "server.port=1003"] if "option" in layers else []

    setting = shown(options, environ)["server.port"]

    assert (setting["value"], setting["source"], setting["origin"]) == expected


def test_all_four_layers_at_once_each_keep_their_own_settings(workdir: Path) -> None:
    write(workdir, "server:\n  port: 1001\n  host: 0.0.0.0\nlogging:\n  level: debug\n")
    environ = {"PARLEY_SERVER__PORT": "1002", "PARLEY_REDIS_SCOPE": "bots"}

    settings = shown(["--set", "server.port=1003", "--set", "logging.format=json"], environ)

    expected = {
        "server.port": (1003, "command-line option server.port"),
        "server.host": ("0.0.0.0", "parley.yml:3:9"),
        "logging.level": ("debug", "parley.yml:5:10"),
        "logging.format": ("json", "command-line option logging.format"),
        "redis.scope": ("bots", "environment variable PARLEY_REDIS_SCOPE"),
        "models.storage": ("filesystem", "default"),
    }
    assert {key: (settings[key]["value"], settings[key]["origin"]) for key in expected} == expected
    assert [item["source"] for item in settings.values()].count("default") == len(settings) - 5


def test_every_setting_is_listed_in_the_order_of_the_reference(workdir: Path) -> None:
    assert list(shown([])) == [row.key for row in reference_rows()]


def test_config_option_replaces_parley_yml(workdir: Path) -> None:
    write(workdir, PORT_FILE)
    other = write(workdir, "server:\n\n  port: 2002\n", name="other.yml")

    relative = shown(["--config=other.yml"])["server.port"]
    absolute = shown([f"--config={other}"])["server.port"]

    assert relative == {"value": 2002, "source": "file", "origin": "other.yml:3:9"}
    assert absolute == relative


def test_set_values_are_written_like_environment_variables(workdir: Path) -> None:
    write(workdir, "actions:\n  endpoint: http://actions:5055/webhook\n")

    settings = shown(
        [
            "--set",
            "actions.endpoint=",
            "--set",
            "environments.names=prod, staging",
            "--set",
            "server.production=yes",
            "--set",
            "models.dir=artifacts",
        ]
    )

    assert settings["actions.endpoint"]["value"] is None
    assert settings["actions.endpoint"]["source"] == "option"
    assert settings["environments.names"]["value"] == ["prod", "staging"]
    assert settings["server.production"]["value"] is True
    assert settings["models.dir"]["value"] == str(workdir / "artifacts")


def test_a_relative_home_from_set_is_absolute_like_every_other_path(workdir: Path) -> None:
    settings = shown(["--set", "home=state"])

    assert settings["home"]["value"] == str(workdir / "state")
    assert settings["models.dir"]["value"] == str(workdir / "state" / "models")


def test_moving_home_says_where_the_defaults_under_it_come_from(workdir: Path) -> None:
    settings = shown([], {"PARLEY_HOME": "/srv/parley"})

    assert settings["models.dir"] == {
        "value": "/srv/parley/models",
        "source": "default",
        "origin": "default, under home",
    }


def test_the_same_set_twice_is_fine(workdir: Path) -> None:
    settings = shown(["--set", "server.port=1003", "--set", "server.port=1003"])

    assert settings["server.port"]["value"] == 1003


# The formats.


def test_the_table_shows_key_value_and_origin(workdir: Path) -> None:
    write(workdir, "logging:\n  level: debug\n")

    result = invoke(
        ["config", "show", "--set", "server.cors_origins=https://a.example,https://b.example"],
        {"PARLEY_SERVER__PORT": "1002"},
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.search(r"Setting\s+Value\s+Origin", lines[1]), result.stdout
    expected = {
        "logging.level": r"debug\s+parley\.yml:2:10",
        "server.port": r"1002\s+environment variable PARLEY_SERVER__PORT",
        "server.cors_origins": r"https://a\.example, https://b\.example\s+command-line option",
        "redis.url": r"unset\s+default",
        "server.production": r"false\s+default",
    }
    for key, rest in expected.items():
        pattern = rf"^\s*{re.escape(key)}\s+{rest}"
        assert any(re.search(pattern, line) for line in lines), f"{pattern}\n{result.stdout}"


def test_yaml_has_the_shape_of_parley_yml_with_origins_as_comments(workdir: Path) -> None:
    write(workdir, "server:\n  port: 1001\n")

    result = invoke(["config", "show", "--format", "yaml"], {"PARLEY_ENVIRONMENTS": "a,b"})

    assert result.exit_code == 0, result.output
    document = YAML(typ="safe").load(result.stdout)
    assert document["server"]["port"] == 1001
    assert document["environments"]["names"] == ["a", "b"]
    assert document["redis"]["url"] is None
    assert re.search(r"^  port: 1001 +# parley\.yml:2:9$", result.stdout, re.MULTILINE)
    assert re.search(
        r"^  names: +# environment variable PARLEY_ENVIRONMENTS$", result.stdout, re.MULTILINE
    )
    assert set(document) == {row.key.split(".")[0] for row in reference_rows()}


def test_check_counts_what_each_layer_gave(workdir: Path) -> None:
    write(workdir, "server:\n  port: 1001\n  host: 0.0.0.0\n")

    result = invoke(
        ["config", "check", "--set", "logging.level=debug"], {"PARLEY_REDIS_SCOPE": "bots"}
    )

    assert result.exit_code == 0, result.output
    total = len(reference_rows())
    assert result.stdout.strip() == (
        f"Valid: {total} settings; 2 from the config file, 1 from environment variables, "
        f"1 from --set, {total - 4} defaults"
    )


def test_config_without_a_subcommand_shows_help() -> None:
    result = invoke(["config"])

    assert "show" in result.output
    assert "check" in result.output


# Secrets.

SECRET_KEY = "k3y-that-nobody-may-see-0123456789"
AUTH_TOKEN = "t0ken-that-nobody-may-see"
PULL_TOKEN = "pull-t0ken-that-nobody-may-see"
DB_PASSWORD = "db-passw0rd-nobody-may-see"
REDIS_PASSWORD = "redis-passw0rd-nobody-may-see"
MAIL_PASSWORD = "mail-passw0rd-nobody-may-see"
SHORT_KEY = "sh0rt-s3cret"
SECRETS = [SECRET_KEY, AUTH_TOKEN, PULL_TOKEN, DB_PASSWORD, REDIS_PASSWORD, MAIL_PASSWORD]


@pytest.mark.parametrize("output_format", ["table", "yaml", "json"])
def test_secrets_are_never_shown(workdir: Path, output_format: str) -> None:
    write(
        workdir,
        f"database:\n  url: postgresql://parley:{DB_PASSWORD}@db:5432/parley\n"
        f"auth:\n  auth_token: {AUTH_TOKEN}\n",
    )
    environ = {
        "PARLEY_SECRET_KEY": SECRET_KEY,
        "REDIS_URL": f"redis://:{REDIS_PASSWORD}@cache:6379/0",
    }
    options = [
        *("--set", f"model_server.token={PULL_TOKEN}"),
        *("--set", f"mail.url=smtp://bot:{MAIL_PASSWORD}@mail.example.com:587"),
    ]

    result = invoke(["config", "show", "--format", output_format, *options], environ)

    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.output
    assert result.output.count("**********") == 3
    assert "postgresql://parley:***@db:5432/parley" in result.output
    assert "redis://:***@cache:6379/0" in result.output
    assert "smtp://bot:***@mail.example.com:587" in result.output


def test_secrets_stay_out_of_error_messages(workdir: Path) -> None:
    write(workdir, f"database:\n  url: mysql://parley:{DB_PASSWORD}@db/parley\n")

    result = invoke(
        ["config", "check", "--set", f"auth.secret_key={SHORT_KEY}"],
        {"PARLEY_AUTH_TOKEN": AUTH_TOKEN},
    )

    assert result.exit_code == 1
    assert "auth.secret_key" in result.stderr
    assert "value: (hidden) from command-line option auth.secret_key" in result.stderr
    for secret in [*SECRETS, SHORT_KEY]:
        assert secret not in result.output


# Bad input: exit code 1 and one clean message that says what, where and what is allowed.


@dataclass(frozen=True)
class BadInput:
    """Settings that must stop the command, and what its message must say."""

    config: str
    environ: dict[str, str]
    options: list[str]
    expected: list[str]


BAD_INPUTS: dict[str, BadInput] = {
    "wrong type in parley.yml": BadInput(
        "server:\n  port: abc\n",
        {},
        [],
        ["server.port", "value: 'abc' from parley.yml:2:9", "allowed: integer from 1 to 65535"],
    ),
    "boolean where parley.yml needs an integer": BadInput(
        "server:\n  port: true\n",
        {},
        [],
        ["server.port", "value: True from parley.yml:2:9", "valid integer"],
    ),
    "text where parley.yml needs a boolean": BadInput(
        'server:\n  production: "yes"\n',
        {},
        [],
        ["server.production", "value: 'yes' from parley.yml:2:15", "write true or false"],
    ),
    "empty home in --set": BadInput(
        "",
        {},
        ["--set", "home="],
        [
            "value: '' from command-line option home",
            "it is empty, but home cannot be unset",
            "allowed: folder path",
        ],
    ),
    "unknown key in parley.yml": BadInput(
        "server:\n  prot: 8000\n",
        {},
        [],
        ["parley.yml:2:3: unknown key 'prot'", "did you mean: port?", "valid keys of server:"],
    ),
    "YAML syntax error in parley.yml": BadInput(
        "server:\n  port: a: b\n",
        {},
        [],
        ["parley.yml:2:"],
    ),
    "malformed URL in the environment": BadInput(
        "",
        {"DATABASE_URL": "mysql://db/parley"},
        [],
        [
            "database.url",
            "value: 'mysql://db/parley' from environment variable DATABASE_URL",
            "allowed: `sqlite:///PATH` or `postgresql://",
        ],
    ),
    "out of range in the environment": BadInput(
        "",
        {"PARLEY_SERVER__PORT": "70000"},
        [],
        [
            "server.port",
            "value: '70000' from environment variable PARLEY_SERVER__PORT",
            "allowed: integer from 1 to 65535",
        ],
    ),
    "misspelt variable": BadInput(
        "",
        {"PARLEY_SERVR__PORT": "8000"},
        [],
        ["unknown environment variable PARLEY_SERVR__PORT", "PARLEY_SERVER__PORT"],
    ),
    "unknown choice in --set": BadInput(
        "",
        {},
        ["--set", "logging.level=loud"],
        [
            "logging.level",
            "value: 'loud' from command-line option logging.level",
            "allowed: one of `debug`, `info`, `warning`, `error`, `critical`",
        ],
    ),
    "unknown key in --set": BadInput(
        "",
        {},
        ["--set", "serve.port=8000"],
        ["unknown command-line setting 'serve.port'", "did you mean: server.port", "home, "],
    ),
    "--set without a value": BadInput(
        "",
        {},
        ["--set", "server.port"],
        ["--set takes KEY=VALUE", "'server.port'"],
    ),
    "--set twice, differently": BadInput(
        "",
        {},
        ["--set", "server.port=1", "--set", "server.port=2"],
        ["--set gives server.port twice"],
    ),
}


@pytest.mark.parametrize("command", ["show", "check"])
@pytest.mark.parametrize("bad", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_stops_with_a_clean_message(workdir: Path, command: str, bad: BadInput) -> None:
    if bad.config:
        write(workdir, bad.config)

    result = invoke(["config", command, *bad.options], bad.environ)

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    for part in bad.expected:
        assert part in result.stderr, f"{part!r} not in:\n{result.stderr}"


def test_every_problem_of_every_layer_is_listed_at_once(workdir: Path) -> None:
    write(workdir, "logging:\n  level: loud\n")

    result = invoke(
        ["config", "check", "--set", "actions.timeout=-1"], {"PARLEY_SERVER__PORT": "abc"}
    )

    assert result.exit_code == 1
    assert "the configuration is invalid (3 problems)" in result.stderr
    for origin in (
        "parley.yml:2:10",
        "environment variable PARLEY_SERVER__PORT",
        "command-line option actions.timeout",
    ):
        assert origin in result.stderr


def test_a_missing_config_file_is_a_clean_error(workdir: Path) -> None:
    result = invoke(["--config", "nowhere.yml", "config", "show"])

    assert result.exit_code == 1
    assert "nowhere.yml: the configuration file does not exist" in result.stderr
    assert "Traceback" not in result.output


# Commands that need no settings never load them.

BROKEN_SETTINGS: list[tuple[str, list[str], dict[str, str]]] = [
    ("broken parley.yml", [], {}),
    ("bad environment variable", [], {"PARLEY_SERVER__PORT": "abc"}),
    ("missing --config file", ["--config", "nowhere.yml"], {}),
]


@pytest.mark.parametrize(
    ("root", "environ"),
    [case[1:] for case in BROKEN_SETTINGS],
    ids=[case[0] for case in BROKEN_SETTINGS],
)
def test_init_validate_and_version_work_whatever_the_settings(
    workdir: Path, root: list[str], environ: dict[str, str]
) -> None:
    write(workdir, "server: [\n")

    created = invoke([*root, "init", "bot"], environ)
    validated = invoke([*root, "validate", "bot"], environ)
    version = invoke([*root, "version"], environ)
    settings = invoke([*root, "config", "check"], environ)

    assert created.exit_code == 0, created.output
    assert validated.exit_code == 0, validated.output
    assert "Valid" in validated.stdout
    assert version.exit_code == 0, version.output
    assert settings.exit_code == 1, "the settings were meant to be broken"
