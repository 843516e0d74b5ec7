"""``parley init``: write the starter assistant into a new folder."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from parley.cli import console
from parley.errors import ProjectExistsError
from parley.project.scaffold import create_starter_project


def init(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="Folder to create the project in; it must be new or empty.",
            show_default=False,
        ),
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a folder that is not empty, replacing starter files of the same name.",
        ),
    ] = False,
) -> None:
    """Create a starter assistant: a coffee-shop bot that takes drink orders with a form.

    It is a complete Rasa 3.x project (domain, NLU data, stories, rules, conversation tests,
    config) to change into your own.
    """
    try:
        written = create_starter_project(directory, force=force)
    except ProjectExistsError as error:
        if not error.target.is_dir():
            raise  # a file: --force would not help, so the library's message says it all
        # The library's message names its force=True; here the fix is a command to run.
        raise ProjectExistsError(
            directory,
            f"{directory} is not empty; choose a new or empty folder, or add the starter files "
            f"to this one with `parley init --force {shlex.quote(str(directory))}`, which "
            "replaces files of the same name",
        ) from None
    out = console.stdout()
    out.print(Text.assemble("Created a starter assistant in ", (str(directory), "bold"), ":"))
    for path in written:
        out.print(f"  {path.relative_to(directory).as_posix()}", markup=False)
    out.print(
        Text.assemble("Next: ", (f"parley validate {shlex.quote(str(directory))}", "bold cyan"))
    )


def register(app: typer.Typer) -> None:
    app.command("init")(init)
