"""Option values and arguments shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

MAX_SEED = 2**32 - 1
"""Seeds go to numpy and scikit-learn, which take 0 … 2³²−1."""

ProjectDirArgument = Annotated[
    Path, typer.Argument(metavar="DIR", help="The project folder (holding domain.yml).")
]
"""The project folder a command reads; commands default it to ``Path(".")``."""
