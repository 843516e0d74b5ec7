"""The ``parley`` Typer app and the console-script entry point.

Each command group is one module with a ``register(app)`` function; ``COMMAND_GROUPS``
lists them in the order ``parley --help`` shows them. User errors (any
:class:`~parley.errors.ParleyError`, or the file system refusing) end the command with a
red one-line message and exit code 1; anything else is a bug and keeps its traceback.

The root callback keeps ``--config`` and the environment in a
:class:`~parley.cli.config.SettingsLoader` for the commands that need settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from parley.cli import (
    config,
    environments,
    init,
    jobs,
    migrate,
    models,
    projects,
    run,
    serve,
    shell,
    test,
    train,
    validate,
    version,
    worker,
)
from parley.cli.console import print_error
from parley.errors import ParleyError

COMMAND_GROUPS: tuple[Callable[[typer.Typer], None], ...] = (
    init.register,
    validate.register,
    train.register,
    run.register,
    serve.register,
    worker.register,
    models.register,
    environments.register,
    jobs.register,
    projects.register,
    shell.register,
    test.register,
    migrate.register,
    version.register,
    config.register,
)


class _ParleyGroup(TyperGroup):
    """The root command group; it turns user errors into a message and exit code 1."""

    # ``ctx`` is Any: its class lives in Typer's private copy of Click (typer._click), which
    # has no public name to annotate with.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ParleyError as error:
            print_error(str(error))
        except OSError as error:
            if error.filename is None:
                raise
            print_error(f"{error.filename}: {error.strerror}")
        raise typer.Exit(1)


def _root(
    ctx: typer.Context,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="Settings file to read instead of ./parley.yml (see `parley config show`).",
            show_default=False,
        ),
    ] = None,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the Parley version and exit.",
            callback=version.print_short_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Parley: self-hosted conversational AI for assistants in the Rasa 3.x project format.

    Start with `parley init my-bot`, then `parley validate my-bot`.
    """
    # The one place the command line reads the environment. Settings are loaded only by the
    # commands that need them, so a broken parley.yml does not stop `parley init`.
    ctx.obj = config.SettingsLoader(
        config_file=config_file, environ=dict(os.environ), cwd=Path.cwd()
    )


def create_app() -> typer.Typer:
    app = typer.Typer(
        name="parley",
        cls=_ParleyGroup,
        no_args_is_help=True,
        rich_markup_mode="rich",
        add_completion=False,
        pretty_exceptions_show_locals=False,
    )
    app.callback()(_root)
    for register in COMMAND_GROUPS:
        register(app)
    return app


app = create_app()


def main() -> None:
    """Entry point of the ``parley`` console script and ``python -m parley``."""
    app()
