"""How fast Parley trains whole assistants and answers a turn:
``.venv/bin/python benchmarks/turn.py [--bots formbot,insurance-demo] [--turns N]``.

For each assistant in ``../shared/bench/bots`` (or those named):

* **train** — a full training (NLU and dialogue) in this process, timed from the project
  read to the artifact written;
* **retrain** — ``parley train`` run again on the unchanged project in a fresh process
  (interpreter start included): the model is found by the source digest and reused;
* **turn** — ``Agent.handle`` on one message, in-process, with the in-memory tracker and
  lock stores: NLU parse, slot extraction, policy predictions and actions until the bot
  listens. Conversations replay the user messages of the bot's test stories (or its NLU
  examples), each conversation under its own sender id, after a warm-up. Custom actions go
  to an in-process action client that answers with no events, so the figure is Parley's
  own work, not an action server's.

Targets (issue 4): full training of the largest assistant ≤ 20 s, unchanged retrain ≤ 1 s,
turn p50 ≤ 3 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from parley.core.messages import UserMessage
from parley.core.story import UserStep
from parley.models.loading import load_model
from parley.nlu.component import ComponentContext
from parley.project import Project, load_project
from parley.project.annotation import AnnotationError, parse_annotated
from parley.training.model import train_model

REPO = Path(__file__).resolve().parents[1]
BOTS = REPO.parent / "shared" / "bench" / "bots"
PARLEY = Path(sys.executable).parent / "parley"


class SilentActionServer:
    """An action client answering every custom action with nothing to do."""

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"events": [], "responses": []}


def bot_folders(names: list[str] | None) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(BOTS.iterdir()):
        if not entry.is_dir():
            continue
        if (entry / "domain.yml").exists():
            found.append(entry)
        else:
            found.extend(s for s in sorted(entry.iterdir()) if (s / "domain.yml").exists())
    if names:
        found = [f for f in found if f.name in names]
    return found


def conversations(project: Project) -> list[list[str]]:
    talks: list[list[str]] = []
    for story in [*project.tests.stories, *project.tests.rules]:
        texts = []
        for step in story.steps:
            if isinstance(step, UserStep) and step.user:
                try:
                    texts.append(parse_annotated(step.user.strip())[0])
                except AnnotationError:
                    continue
        if texts:
            talks.append(texts)
    if not talks:
        examples = [e.text for e in project.nlu.examples if e.intent][:60]
        talks = [examples[i : i + 4] for i in range(0, len(examples), 4)]
    return talks


def measure(folder: Path, turns: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as scratch:
        out = Path(scratch) / "models"
        started = time.perf_counter()
        project = load_project(folder)
        result = train_model(project, out, context=ComponentContext(), force=True)
        trained = time.perf_counter() - started
        command = [str(PARLEY), "train", str(folder), "--out", str(out)]
        subprocess.run(command, check=True, capture_output=True)  # fills the source cache
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        retrained = time.perf_counter() - started
        agent = load_model(result.path).agent(action_client=SilentActionServer())
        talks = conversations(project)
        for index, text in enumerate(talks[0][:3]):
            agent.handle(UserMessage(text=text, sender_id=f"warm-up-{index}"))
        latencies: list[float] = []
        round_ = 0
        while len(latencies) < turns:
            for number, talk in enumerate(talks):
                sender = f"{round_}-{number}"
                for text in talk:
                    began = time.perf_counter()
                    agent.handle(UserMessage(text=text, sender_id=sender))
                    latencies.append(time.perf_counter() - began)
            round_ += 1
    latencies.sort()
    return {
        "train_s": trained,
        "retrain_s": retrained,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "turns_per_s": len(latencies) / sum(latencies),
        "examples": float(result.manifest.metrics.examples),
        "stories": float(result.manifest.metrics.stories + result.manifest.metrics.rules),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bots", help="comma-separated bot folder names (default: all)")
    parser.add_argument("--turns", type=int, default=1000, help="turns timed per bot")
    args = parser.parse_args()
    if not BOTS.is_dir():
        sys.exit(f"{BOTS} is missing: put the shared folder beside the clone")
    folders = bot_folders(args.bots.split(",") if args.bots else None)
    table = Table(title="Training and turn latency (in-process, in-memory stores)")
    for column in (
        "assistant",
        "NLU examples",
        "stories+rules",
        "full train s",
        "unchanged retrain s",
        "turn p50 ms",
        "turn p99 ms",
        "turns/s",
    ):
        table.add_column(column, justify="left" if column == "assistant" else "right")
    for folder in folders:
        print(f"· {folder.name}", file=sys.stderr, flush=True)
        row = measure(folder, args.turns)
        table.add_row(
            folder.name,
            f"{row['examples']:.0f}",
            f"{row['stories']:.0f}",
            f"{row['train_s']:.2f}",
            f"{row['retrain_s']:.2f}",
            f"{row['p50_ms']:.2f}",
            f"{row['p99_ms']:.2f}",
            f"{row['turns_per_s']:.0f}",
        )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
