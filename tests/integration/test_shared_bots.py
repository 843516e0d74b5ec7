"""Every assistant in ../shared/bench/bots loads, validates, and holds what its files hold.

The expected figures come from each bot's COUNTS.json, which was computed from the files by
a separate tool, so this test checks Parley's reading against an independent count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parley.project import ProjectReading, read_project
from parley.project.project import TestData

pytestmark = pytest.mark.integration


def _counts(bot: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((bot / "COUNTS.json").read_text(encoding="utf-8"))
    return data


def _user_turns(tests: TestData) -> int:
    return sum(1 for story in tests.stories for step in story.steps if step.kind == "user")


def _observed(reading: ProjectReading) -> dict[str, Any]:
    project = reading.project
    nlu = project.nlu
    domain = project.domain

    def in_domain_file(response: str) -> bool:
        location = reading.sources.locate(("domain", "responses", response))
        return location is not None and "domain" in location.file.relative_to(reading.root).parts[0]

    return {
        "train_nlu_examples": len(nlu.examples),
        "train_nlu_intent_count": len({e.intent.split("/")[0] for e in nlu.examples if e.intent}),
        "retrieval_sub_intents": sorted(i for i in nlu.intents if "/" in i),
        "entities_annotated": sorted(nlu.entity_names),
        "synonyms": len(nlu.synonyms),
        "lookups": len(nlu.lookups),
        "regexes": len(nlu.regexes),
        "stories": len(project.stories),
        "rules": len(project.rules),
        "test_stories": len(project.tests.stories),
        "test_rules": len(project.tests.rules),
        "test_story_user_turns": _user_turns(project.tests),
        "test_nlu_examples": len(project.tests.nlu.examples),
        "domain.intents": len(domain.intents),
        "domain.entities": len(domain.entities),
        "domain.slots": len(domain.slots),
        # retrieval responses (utter_faq/ask_x) may be written in data files; COUNTS.json
        # counts the domain file's own
        "domain.responses": len([r for r in domain.responses if in_domain_file(r)]),
        "domain.forms": sorted(domain.form_names),
        "domain.actions": sorted(domain.action_names),
    }


def _expected(counts: dict[str, Any]) -> dict[str, Any]:
    domain = counts["domain"]
    return {
        "train_nlu_examples": counts["train_nlu_examples"],
        "train_nlu_intent_count": counts["train_nlu_intent_count"],
        "retrieval_sub_intents": sorted(counts["retrieval_sub_intents"]),
        "entities_annotated": sorted(counts["entities_annotated"]),
        "synonyms": counts["synonyms"],
        "lookups": counts["lookups"],
        "regexes": counts["regexes"],
        "stories": counts["stories"],
        "rules": counts["rules"],
        "test_stories": counts["test_stories"],
        "test_rules": counts["test_rules"],
        "test_story_user_turns": counts["test_story_user_turns"],
        "test_nlu_examples": counts["test_nlu_examples"],
        "domain.intents": domain["intents"],
        "domain.entities": domain["entities"],
        "domain.slots": domain["slots"],
        "domain.responses": domain["responses"],
        "domain.forms": sorted(domain["forms"] or []),
        "domain.actions": sorted(domain["actions"] or []),
    }


def test_a_shared_bot_loads_without_errors_and_matches_its_counts(shared_bot: Path) -> None:
    reading = read_project(shared_bot)
    assert not reading.errors, "\n".join(map(str, reading.errors))
    observed = _observed(reading)
    expected = _expected(_counts(shared_bot))
    differing = {
        key: (observed[key], expected[key]) for key in expected if observed[key] != expected[key]
    }
    assert not differing, f"observed vs COUNTS.json: {differing}"


def test_the_shared_bots_are_all_found(shared_bots: list[Path]) -> None:
    names = {bot.name for bot in shared_bots}
    assert {"formbot", "retail-demo", "insurance-demo", "01-actions", "05-validation"} <= names
    assert len(shared_bots) >= 16
