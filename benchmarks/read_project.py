"""How long reading a large project takes: ``python benchmarks/read_project.py``.

Writes projects into a temporary folder, each large in one way (one intent with many
examples in a single ``examples: |`` block, many stories, many responses), reads each with
:func:`parley.project.read_project` and prints the time it took. Reading should grow in
proportion to the size of the files; a time that grows faster as ``--scale`` doubles points
at work repeated per item. Parsing YAML (pure-Python ruamel) is most of what remains.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from parley.project import read_project

DOMAIN_HEAD = """version: "3.1"
intents:
  - greet
  - goodbye
  - affirm
  - deny
entities:
  - city
"""


def one_large_intent(root: Path, scale: int) -> str:
    examples = "".join(
        f"      - hello number {n} from [Berlin](city)\n" for n in range(30_000 * scale)
    )
    (root / "domain.yml").write_text(
        DOMAIN_HEAD + "responses:\n  utter_greet:\n    - text: Hi\n", encoding="utf-8"
    )
    (root / "data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n' + examples, encoding="utf-8"
    )
    return f"{30_000 * scale} examples of one intent"


def many_stories(root: Path, scale: int) -> str:
    count = 3_000 * scale
    intents = ("greet", "goodbye", "affirm", "deny")
    stories = []
    responses: set[str] = set()
    for n in range(count):
        # The action after a history depends on that history only, so no two stories
        # contradict each other; the 64 histories repeat under different names.
        said = [intents[n // 4**turn % 4] for turn in range(3)]
        steps = ""
        for turn, intent in enumerate(said):
            action = "utter_" + "_".join(said[: turn + 1])
            responses.add(action)
            steps += f"      - intent: {intent}\n      - action: {action}\n"
        stories.append(f"  - story: story {n}\n    steps:\n{steps}")
    (root / "domain.yml").write_text(
        DOMAIN_HEAD
        + "responses:\n"
        + "".join(f"  {name}:\n    - text: {name}\n" for name in sorted(responses)),
        encoding="utf-8",
    )
    (root / "data" / "stories.yml").write_text(
        'version: "3.1"\nstories:\n' + "".join(stories), encoding="utf-8"
    )
    return f"{count} stories of 6 steps"


CASES: dict[str, Callable[[Path, int], str]] = {
    "one-large-intent": one_large_intent,
    "many-stories": many_stories,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply every size by this")
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"{', '.join(CASES)} (all)")
    arguments = parser.parse_args()
    unknown = sorted(set(arguments.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; the cases are: {', '.join(CASES)}")
    for name in arguments.cases or CASES:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            (root / "data").mkdir()
            (root / "config.yml").write_text("language: en\n", encoding="utf-8")
            what = CASES[name](root, arguments.scale)
            lines = sum(len(p.read_text().splitlines()) for p in root.rglob("*.yml"))
            start = time.perf_counter()
            reading = read_project(root)
            seconds = time.perf_counter() - start
        print(
            f"{name:18} {seconds:7.2f} s  {what}; {lines} lines, "
            f"{len(reading.errors)} errors, {len(reading.warnings)} warnings"
        )


if __name__ == "__main__":
    main()
