"""Every assistant in ../shared/bench/bots trains its NLU with its own config.yml, and the
model loaded back from the artifact recognises the bot's own examples."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from parley.models.loading import load_model
from parley.nlu.component import ComponentContext
from parley.project import load_project
from parley.training.model import train_model

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FALLBACK = "nlu_fallback"


def test_a_shared_bot_trains_and_knows_its_own_examples(shared_bot: Path, tmp_path: Path) -> None:
    project = load_project(shared_bot)
    result = train_model(project, tmp_path, context=ComponentContext(), nlu_only=True)
    assert not result.reused
    pipeline = load_model(result.path, ComponentContext()).pipeline

    # The examples of the bot's most frequent intent (the best-learnt one), base names only:
    # a retrieval intent ("faq/ask_x") is classified as "faq".
    gold = [e for e in project.nlu.examples if e.intent]
    counts = Counter((e.intent or "").split("/")[0] for e in gold)
    intent, _ = counts.most_common(1)[0]
    examples = [e.text for e in gold if (e.intent or "").split("/")[0] == intent][:10]
    parsed = pipeline.parse_batch(examples)
    assert all(r.intent is not None for r in parsed)
    # A fallback may stand in front; what the classifier ranks first must be the bot's intent.
    tops = [next(i.name for i in r.intent_ranking if i.name != FALLBACK) for r in parsed]
    assert tops.count(intent) >= len(examples) * 0.8, list(zip(examples, tops, strict=True))
    assert any(r.intent is not None and r.intent.name == intent for r in parsed)
