"""``parley validate``: check a project and list every problem with its file and position."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from parley.cli import console, report
from parley.cli.options import ProjectDirArgument
from parley.errors import ParleyError
from parley.project import read_project


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def validate(
    directory: ProjectDirArgument = Path("."),
    fail_on_warnings: Annotated[
        bool,
        typer.Option("--fail-on-warnings", help="Exit with 1 when there are warnings too."),
    ] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            # Typer renders help as Rich markup, where a bare [code] would vanish as a tag.
            help="text: one `file:line:col: severity: message \\[code]` line per problem; "
            "json: a document for tools.",
        ),
    ] = OutputFormat.TEXT,
) -> None:
    """Check a project: YAML syntax, the format of every file, and that the files agree.

    Exits with 1 when there are errors (or warnings, with --fail-on-warnings), else 0.
    """
    try:
        reading = read_project(directory)
    except ParleyError as error:
        if output_format is not OutputFormat.JSON:
            raise
        # Tools asked for JSON: they get a document on stdout even when nothing was read.
        typer.echo(json.dumps({"project": str(directory), "valid": False, "error": str(error)}))
        raise typer.Exit(1) from None
    if output_format is OutputFormat.JSON:
        typer.echo(report.as_json(reading))
    else:
        report.print_text(reading, console.stdout())
    if reading.errors or (fail_on_warnings and reading.warnings):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
