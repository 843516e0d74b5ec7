"""``parley config``: the settings Parley starts with, where each value comes from, and checks.

This module also keeps what the command line builds settings from: the root callback in
``app.py`` stores a :class:`SettingsLoader` (the ``--config`` file, the environment, the
working folder), and a command that needs settings gets it with :func:`settings_loader` and
adds its own options on top. Commands that need none never load them, so ``parley init`` and
``parley validate`` work in a folder whose ``parley.yml`` is broken.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from io import StringIO
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.representer import RoundTripRepresenter

from parley.cli import console
from parley.errors import ConfigurationError
from parley.settings import (
    EffectiveSetting,
    Settings,
    SettingSource,
    explain_settings,
    load_settings,
)


@dataclass(frozen=True)
class SettingsLoader:
    """What settings are built from besides a command's own options, as ``parley`` was
    started: the ``--config`` file (None: ``./parley.yml`` if there is one), the environment
    and the working folder."""

    config_file: Path | None
    environ: Mapping[str, str]
    cwd: Path

    def load(self, overrides: Mapping[str, Any] | None = None) -> Settings:
        """The settings, with ``overrides`` (options by dotted key) as the top layer.

        Raises :class:`ConfigurationError` listing every bad setting.
        """
        return load_settings(
            config_file=self.config_file, environ=self.environ, overrides=overrides, cwd=self.cwd
        )

    def explain(self, overrides: Mapping[str, Any] | None = None) -> list[EffectiveSetting]:
        """Like :meth:`load`, but each setting with its shown value and origin."""
        return explain_settings(
            config_file=self.config_file, environ=self.environ, overrides=overrides, cwd=self.cwd
        )


def settings_loader(ctx: typer.Context) -> SettingsLoader:
    """The loader the root callback stored for this invocation."""
    loader = ctx.find_object(SettingsLoader)
    if loader is None:
        raise RuntimeError("no SettingsLoader: run commands through parley.cli.app.app")
    return loader


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """``--set KEY=VALUE`` options as overrides by dotted key; the values stay text, which the
    settings read as they read environment variables."""
    overrides: dict[str, str] = {}
    for assignment in assignments:
        key, equals, value = assignment.partition("=")
        key = key.strip()
        if not equals or not key:
            raise ConfigurationError(
                f"--set takes KEY=VALUE, e.g. --set server.port=8000; got {assignment!r}"
            )
        if key in overrides and overrides[key] != value:
            # Neither value is shown: the key may be a secret.
            raise ConfigurationError(
                f"--set gives {key} twice, with different values; give it once"
            )
        overrides[key] = value
    return overrides


class OutputFormat(StrEnum):
    TABLE = "table"
    YAML = "yaml"
    JSON = "json"


def value_text(value: Any) -> Text:
    """A setting's value for the table, in the syntax an environment variable takes."""
    if value is None:
        return Text("unset", style="dim italic")
    if isinstance(value, bool):
        return Text(str(value).lower())
    if isinstance(value, list):
        return Text(", ".join(map(str, value))) if value else Text("empty", style="dim italic")
    return Text(str(value))


def as_table(settings: Sequence[EffectiveSetting]) -> Table:
    table = console.listing()
    table.add_column("Setting", style="bold", no_wrap=True)
    table.add_column("Value", overflow="fold")
    table.add_column("Origin", overflow="fold")
    for setting in settings:
        origin_style = "dim" if setting.source == "default" else "cyan"
        table.add_row(setting.key, value_text(setting.value), Text(setting.origin, origin_style))
    return table


def as_json(settings: Sequence[EffectiveSetting]) -> str:
    """``{key: {value, source, origin}}`` in the order of the settings."""
    document = {
        setting.key: {"value": setting.value, "source": setting.source, "origin": setting.origin}
        for setting in settings
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _null(representer: RoundTripRepresenter, _: None) -> Any:
    # ruamel writes None as an empty value; `null` says "unset" to the reader.
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _comment_column(settings: Sequence[EffectiveSetting], widest: int = 48) -> int:
    """Where the origin comments line up: after the longest line up to ``widest`` characters
    (longer lines, such as a deep path, keep their comment one space after the value)."""
    widths = []
    for setting in settings:
        depth = setting.key.count(".")
        shown = "" if isinstance(setting.value, list) else json.dumps(setting.value)
        widths.append(2 * depth + len(setting.key.rsplit(".", 1)[-1]) + 2 + len(shown))
    return min(max(widths, default=0), widest) + 2


def as_yaml(settings: Sequence[EffectiveSetting]) -> str:
    """The settings in ``parley.yml``'s shape, each line's origin as a comment."""
    document = CommentedMap()
    document.yaml_set_start_comment(
        "Parley's settings in effect, each with its origin. Secrets and URL passwords are\n"
        "masked: copy them from where they are set, not from here."
    )
    column = _comment_column(settings)
    for setting in settings:
        *sections, name = setting.key.split(".")
        target = document
        for section in sections:
            target = target.setdefault(section, CommentedMap())
        target[name] = setting.value
        target.yaml_add_eol_comment(setting.origin, name, column=column)
    yaml = YAML()
    yaml.width = 4096  # a long URL or path stays on its line, next to its comment
    yaml.representer.add_representer(type(None), _null)
    out = StringIO()
    yaml.dump(document, out)
    return out.getvalue()


_SOURCE_NAMES: dict[SettingSource, str] = {
    "file": "the config file",
    "environment": "environment variables",
    "option": "--set",
}


def summary(settings: Sequence[EffectiveSetting]) -> Text:
    """``Valid:`` and how many settings each layer gave."""
    counts = Counter(setting.source for setting in settings)
    parts = [
        f"{counts[source]} from {name}" for source, name in _SOURCE_NAMES.items() if counts[source]
    ]
    parts.append(f"{counts['default']} default{'s' if counts['default'] != 1 else ''}")
    return Text.assemble(("Valid: ", "bold green"), f"{len(settings)} settings; ", ", ".join(parts))


AssignmentsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Set a setting for this run, over parley.yml and the environment, e.g. "
        "--set server.port=8000. Repeat for more. Values are written as in environment "
        "variables: lists comma separated, empty to unset.",
        show_default=False,
    ),
]


def show(
    ctx: typer.Context,
    assignments: AssignmentsOption = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="table: for people; yaml: in parley.yml's shape with origins as comments; "
            "json: for tools.",
        ),
    ] = OutputFormat.TABLE,
) -> None:
    """Show every setting's value and where it comes from: default, parley.yml, environment
    variable or --set.

    Secrets and passwords inside URLs are masked. An invalid setting stops the command with
    exit code 1 and a list of every problem.
    """
    settings = settings_loader(ctx).explain(parse_assignments(assignments or []))
    if output_format is OutputFormat.JSON:
        typer.echo(as_json(settings))
    elif output_format is OutputFormat.YAML:
        typer.echo(as_yaml(settings), nl=False)
    else:
        console.stdout().print(as_table(settings))


def check(ctx: typer.Context, assignments: AssignmentsOption = None) -> None:
    """Check the settings: exit code 0 when they are valid, else 1 and a list of every problem.

    Reads what Parley reads at start-up: the code defaults, ./parley.yml (or --config), the
    PARLEY_* environment variables and --set.
    """
    settings = settings_loader(ctx).explain(parse_assignments(assignments or []))
    console.stdout().print(summary(settings))


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="config",
        help="Show and check Parley's settings (see docs/configuration.md).",
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    group.command("show")(show)
    group.command("check")(check)
    app.add_typer(group)
