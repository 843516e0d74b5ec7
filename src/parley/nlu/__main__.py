"""``python -m parley.nlu PATH`` writes the NLU component reference page to PATH."""

from __future__ import annotations

import sys
from pathlib import Path

from parley.nlu.catalog import render_catalog

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m parley.nlu docs/nlu-components.md")
    Path(sys.argv[1]).write_text(render_catalog(), encoding="utf-8")
