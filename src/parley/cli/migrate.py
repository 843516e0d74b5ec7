"""``parley migrate``: write a project out again in the current Rasa 3.x format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from parley.cli import console
from parley.project import load_project, write_project


def migrate(
    source: Annotated[
        Path,
        typer.Argument(metavar="SOURCE", help="The project folder to read.", show_default=False),
    ],
    target: Annotated[
        Path,
        typer.Argument(
            metavar="TARGET",
            help="Folder to write the converted project to; it must not hold a project yet.",
            show_default=False,
        ),
    ],
) -> None:
    """Write a project in the Rasa 3.x format, e.g. one whose domain is in the 2.x format.

    The project is read and checked first (errors stop it); then every part is written in
    the canonical layout: domain.yml, config.yml, data/nlu.yml, data/stories.yml,
    data/rules.yml, tests/. What the files mean is kept exactly; comments and the order of
    keys within a file are not.
    """
    project = load_project(source)
    written = write_project(project, target)
    out = console.stdout()
    out.print(Text.assemble("Wrote ", (str(target), "bold"), " in the Rasa 3.x format:"))
    for path in written:
        out.print(f"  {path.relative_to(target).as_posix()}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)
