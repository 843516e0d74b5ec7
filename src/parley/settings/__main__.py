"""``python -m parley.settings [PAGE]``: print the settings reference, or rewrite it in PAGE."""

from __future__ import annotations

import sys
from pathlib import Path

from parley.settings.reference import render_reference_markdown, update_reference


def main(arguments: list[str]) -> None:
    if arguments:
        page = Path(arguments[0])
        page.write_text(update_reference(page.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(render_reference_markdown())


if __name__ == "__main__":
    main(sys.argv[1:])
