"""Where the CLI writes: results to stdout, failures to stderr, both through Rich.

Consoles are made per use rather than at import so that each one looks at the streams (and
whether they are terminals) as they are when a command runs.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    """Print a user-facing failure: red ``error:`` and the message, verbatim (no markup)."""
    stderr().print(Text.assemble(("error: ", "bold red"), (message, "red")))


def print_json(document: Any) -> None:
    """Print ``document`` as indented JSON, for the ``--json`` of a command (plain, so that
    tools can read it)."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def listing() -> Table:
    """An empty table in the style of the CLI's listings: a rule under the header, no frame."""
    return Table(box=box.SIMPLE_HEAD, pad_edge=False)
