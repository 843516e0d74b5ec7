"""The files a conversation test writes, as Rasa's ``rasa test`` names them:
``story_report.json`` (every story, passed or not, with its first diverging step) and
``failed_test_stories.yml`` (the failed stories, each wrong step marked
``# predicted: …``, so they can be read, fixed, and added to the training data)."""

from __future__ import annotations

import json
from pathlib import Path

from parley.core.story import Rule, Story
from parley.evaluation.conversations import ConversationReport, StepResult
from parley.evaluation.report_files import write_json
from parley.project.writer import FORMAT_VERSION, dump_yaml, step_document

REPORT_FILE = "story_report.json"
FAILED_FILE = "failed_test_stories.yml"


def write_conversation_report(
    report: ConversationReport, stories: list[Story | Rule], out_dir: Path
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_json(out_dir / REPORT_FILE, report.to_json())]
    failed = out_dir / FAILED_FILE
    blocks = [
        _failed_story(story, result.steps)
        for story, result in zip(stories, report.stories, strict=True)
        if not result.passed and result.skipped is None
    ]
    if blocks:
        failed.write_text(
            f'version: "{FORMAT_VERSION}"\nstories:\n' + "".join(blocks), encoding="utf-8"
        )
        written.append(failed)
    elif failed.exists():
        failed.unlink()  # a stale list of failures would mislead
    return written


def _failed_story(story: Story | Rule, steps: list[StepResult]) -> str:
    wrong: dict[int, list[str]] = {}
    for result in steps:
        if not result.passed:
            wrong.setdefault(result.step, []).append(_comment(result))
    lines = [f"- story: {json.dumps(story.name, ensure_ascii=False)}", "  steps:"]
    for index, step in enumerate(story.steps):
        rendered = dump_yaml([step_document(step)]).rstrip("\n").splitlines()
        if index in wrong:
            rendered[0] += "  # " + "; ".join(wrong[index])
        lines.extend("  " + line for line in rendered)
    trailing = [note for at, notes in wrong.items() if at >= len(story.steps) for note in notes]
    if trailing:
        lines.append("  # after the last step: " + "; ".join(trailing))
    return "\n".join(lines) + "\n"


def _comment(step: StepResult) -> str:
    if step.kind == "action":
        return f"predicted: {step.predicted}"
    if step.kind == "action run":
        return f"action {step.predicted}"
    return f"predicted {step.kind}: {step.predicted}"
