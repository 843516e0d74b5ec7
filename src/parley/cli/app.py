"""The ``parley`` Typer app and the console-script entry point.

Each command group is one module with a ``register(app)`` function; ``COMMAND_GROUPS``
lists them in the order ``parley --help`` shows them. User errors (any
:class:`~parley.errors.ParleyError`, or the file system refusing) end the command with a
red one-line message and exit code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from parley.cli import init, validate, version
from parley.cli.console import print_error
from parley.errors import ParleyError

COMMAND_GROUPS: tuple[Callable[[typer.Typer], None], ...] = (
    init.register,
    validate.register,
    version.register,
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
