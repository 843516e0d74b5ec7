"""Where the CLI writes: results to stdout, failures to stderr, both through Rich.

Consoles are made per use rather than at import so that each one looks at the streams (and
whether they are terminals) as they are when a command runs.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    """Print a user-facing failure: red ``error:`` and the message, verbatim (no markup)."""
    stderr().print(Text.assemble(("error: ", "bold red"), (message, "red")))
