"""``parley import`` and ``parley export``: move a project between a folder and the
database of the settings, file for file and byte for byte."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from parley.cli import console, report
from parley.cli.config import settings_loader
from parley.cli.options import ProjectDirArgument
from parley.core.ports import ProjectStore
from parley.core.problem import by_position
from parley.errors import ConflictError, ParleyError, ProjectExistsError
from parley.models.registry import checked_name
from parley.project import read_project
from parley.project.files import files_read, write_project_files
from parley.settings import Settings


@contextmanager
def _database_projects(settings: Settings) -> Iterator[ProjectStore]:
    # Imported here: the database layer (SQLAlchemy, the drivers) is not loaded for the
    # commands that never touch it.
    from parley.bootstrap.platform import platform  # noqa: PLC0415

    stores = platform(settings)
    try:
        yield stores.projects
    finally:
        stores.database.close()


open_projects: Callable[[Settings], AbstractContextManager[ProjectStore]] = _database_projects
"""The project store of the settings, open for one command (a seam for the unit tests,
which put the in-memory store here)."""

ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        metavar="NAME",
        help="The project in the database.  \\[default: environments.project, i.e. default]",
        show_default=False,
    ),
]


def import_project(
    ctx: typer.Context,
    directory: ProjectDirArgument = Path("."),
    project: ProjectOption = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace/--no-replace",
            help="Replace the files of the project when it exists already.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Import the project even when it has errors."),
    ] = False,
) -> None:
    """Import a project folder into the database (see IMPORT_HELP)."""
    reading = read_project(directory)
    err = console.stderr()
    for problem in sorted(reading.problems, key=by_position):
        err.print(report.problem_line(problem))
    shown = report.display_path(directory)
    if reading.errors and not force:
        console.print_error(
            f"{shown} has {len(reading.errors)} error(s); fix them and import again "
            "(`parley validate` lists them), or pass --force to import it as it is"
        )
        raise typer.Exit(1)
    files = files_read(reading)
    settings = settings_loader(ctx).load()
    name = checked_name("project", project or settings.environments.project)
    with open_projects(settings) as store:
        exists = name in store.names()
        if exists and not replace:
            raise ConflictError(
                f"there is a project {name!r} already; pass --replace to replace its files "
                f"with those of {shown}, or --project to import into another project"
            )
        if not exists:
            store.create(name)
        try:
            store.replace(name, files)
        except BaseException:
            if not exists:  # an empty project is not what was asked for
                with suppress(ParleyError):
                    store.delete(name)
            raise
    what = "the files of the project" if exists else "the new project"
    _print_files(
        Text.assemble(
            ("Imported ", "bold green"),
            f"{_count(files)} from {shown} as {what} ",
            (name, "bold"),
            ":",
        ),
        files,
    )


def export_project(
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="Folder to write the project's files into; it must be new or empty.",
            show_default=False,
        ),
    ],
    project: ProjectOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a folder that is not empty, replacing files of the same name.",
        ),
    ] = False,
) -> None:
    """Export a project from the database into a folder (see EXPORT_HELP)."""
    shown = report.display_path(directory)
    if directory.exists() and not directory.is_dir():
        raise ProjectExistsError(directory, f"{shown} is a file; give a folder to export into")
    occupied = directory.is_dir() and any(directory.iterdir())
    if occupied and not force:
        raise ProjectExistsError(
            directory,
            f"{shown} is not empty; choose a new or empty folder, or write the project into "
            f"this one with `parley export --force {shlex.quote(str(directory))}`, which "
            "replaces files of the same name",
        )
    settings = settings_loader(ctx).load()
    name = checked_name("project", project or settings.environments.project)
    with open_projects(settings) as store:
        files = store.files(name)
    if not files:
        console.stdout().print(
            Text.assemble("The project ", (name, "bold"), " has no files; nothing was written.")
        )
        return
    write_project_files(directory, files)
    if occupied:
        _warn_leftovers(directory, files, name)
    _print_files(
        Text.assemble(
            ("Exported ", "bold green"),
            f"{_count(files)} of the project ",
            (name, "bold"),
            f" to {shown}:",
        ),
        files,
    )
    console.stdout().print(
        Text.assemble("Next: ", (f"parley validate {shlex.quote(str(directory))}", "bold cyan"))
    )


def _warn_leftovers(directory: Path, files: Iterable[str], name: str) -> None:
    """Files the folder held before that the reader reads too: the folder's project is not
    the stored one while they are there."""
    exported = set(files)
    read = (path.relative_to(directory).as_posix() for path in read_project(directory).files)
    err = console.stderr()
    for leftover in sorted(set(read) - exported):
        err.print(
            Text.assemble(
                ("warning: ", "bold yellow"),
                f"{leftover} is not a file of the project {name!r} but was in the folder "
                "already and is read with it; delete it to have the project as stored",
            )
        )


def _print_files(heading: Text, files: Iterable[str]) -> None:
    out = console.stdout()
    out.print(heading)
    for path in files:
        out.print(f"  {path}", markup=False)


def _count(files: Iterable[str]) -> str:
    count = len(list(files))
    return f"{count} file{'' if count == 1 else 's'}"


# One line per paragraph: Typer's rich help keeps the line breaks written in a docstring.
IMPORT_HELP = "\n\n".join(
    [
        "Import a project folder into the database: its Rasa files, exactly as they are.",
        "The project is checked first, as `parley validate` does, and not imported while it "
        "has errors, unless --force. A new project is created; an existing one keeps its "
        "files unless --replace, which makes the folder's files its only files.",
    ]
)
EXPORT_HELP = "\n\n".join(
    [
        "Export a project from the database into a folder: its Rasa files, byte for byte.",
        "The folder must be new or empty, unless --force. It gets the files as they were "
        "imported or last edited, and nothing else.",
    ]
)


def register(app: typer.Typer) -> None:
    app.command("import", help=IMPORT_HELP)(import_project)
    app.command("export", help=EXPORT_HELP)(export_project)
