"""``parley version`` and the root ``--version`` flag."""

from __future__ import annotations

import platform

import typer
from rich.text import Text

from parley.cli import console
from parley.version import __version__


def version_info() -> dict[str, str]:
    """What a bug report needs to know about this installation."""
    return {
        "Parley": __version__,
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "Platform": platform.platform(),
    }


def print_short_version(value: bool) -> None:
    """Eager callback of ``parley --version``: print the version and stop."""
    if value:
        typer.echo(f"parley {__version__}")
        raise typer.Exit


def show_version() -> None:
    """Print the Parley version, the Python running it and the platform."""
    out = console.stdout()
    for name, value in version_info().items():
        out.print(Text.assemble((f"{name:<10}", "bold"), value))


def register(app: typer.Typer) -> None:
    app.command("version")(show_version)
