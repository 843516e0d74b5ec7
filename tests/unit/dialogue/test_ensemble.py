"""The ensemble (most confident wins, ties go to the higher priority) and the policy names
a config may use (Rasa's mapped to Parley's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from tests.unit.dialogue.builders import (
    context,
    conversation,
    make_domain,
    read_data,
    trained,
    turn,
)

from parley.core.tracker import Tracker
from parley.dialogue.dialogue_model import DialogueModel
from parley.dialogue.ensemble import Ensemble
from parley.dialogue.memoization import MemoizationPolicy
from parley.dialogue.ml_policy import MLPolicy
from parley.dialogue.policy import Policy, PolicyContext, Prediction, TrainingData
from parley.dialogue.registry import DEFAULT_POLICIES, policies, resolve_policies
from parley.dialogue.rule_policy import RulePolicy
from parley.dialogue.state import State
from parley.errors import UnknownNameError
from parley.project.config import ComponentSpec

DOMAIN = make_domain(["greet", "ask", "bye"])


class Fixed(Policy):
    """Always predicts ``options["action"]`` with ``options["confidence"]``."""

    name = "Fixed"

    def train(self, data: TrainingData, context: PolicyContext) -> None:
        pass

    def predict(
        self, tracker: Tracker, states: Sequence[State], context: PolicyContext
    ) -> Prediction | None:
        if "action" not in self.options:
            return None
        return self._prediction(self.options["action"], float(self.options["confidence"]))

    def persist(self, folder: Path) -> None:
        pass

    @classmethod
    def load(cls, folder: Path, options: Mapping[str, Any]) -> Policy:
        return cls(options)


def fixed(action: str, confidence: float, priority: int) -> Fixed:
    return Fixed({"action": action, "confidence": confidence, "priority": priority})


def winner(*members: Policy) -> Prediction | None:
    ctx = context(DOMAIN)
    return Ensemble(members).predict(conversation(ctx, turn("greet")), ctx)


def test_the_most_confident_prediction_wins_whatever_the_priority() -> None:
    low_priority = fixed("sure", 0.9, priority=1)
    high_priority = fixed("unsure", 0.5, priority=6)

    for members in ((low_priority, high_priority), (high_priority, low_priority)):
        best = winner(*members)
        assert best is not None
        assert (best.action, best.confidence) == ("sure", 0.9)


def test_a_tie_goes_to_the_higher_priority_whatever_the_order() -> None:
    low = fixed("low", 0.8, priority=1)
    high = fixed("high", 0.8, priority=3)

    for members in ((low, high), (high, low)):
        best = winner(*members)
        assert best is not None
        assert (best.action, best.priority) == ("high", 3)


def winning_action(*members: Policy) -> str | None:
    best = winner(*members)
    return best.action if best else None


def test_a_full_tie_goes_to_the_first_policy() -> None:
    first, second = fixed("first", 0.7, 2), fixed("second", 0.7, 2)

    assert winning_action(first, second) == "first"
    assert winning_action(second, first) == "second"


def test_policies_without_an_answer_are_skipped() -> None:
    assert winning_action(Fixed(), fixed("only", 0.1, 1), Fixed()) == "only"
    assert winner(Fixed(), Fixed()) is None
    assert winner() is None


def test_default_priorities_follow_rasa() -> None:
    assert RulePolicy().priority == 6
    assert MemoizationPolicy().priority == 3
    assert MLPolicy().priority == 1
    assert RulePolicy({"priority": 2}).priority == 2


STORY_AND_RULE = """
stories:
- story: greet
  steps:
  - intent: greet
  - action: utter_story_greet
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_rule_greet
"""


def test_a_rule_beats_a_story_on_a_tie_and_a_changed_priority_turns_it() -> None:
    # Both are sure (1.0): the priority decides.
    ctx = context(DOMAIN)
    tracker = conversation(ctx, turn("greet"))

    default = Ensemble(
        [
            trained(MemoizationPolicy(), STORY_AND_RULE, ctx),
            trained(RulePolicy(), STORY_AND_RULE, ctx),
        ]
    )
    best = default.predict(tracker, ctx)
    assert best is not None
    assert (best.action, best.policy) == ("utter_rule_greet", "RulePolicy")

    demoted = Ensemble(
        [
            trained(MemoizationPolicy(), STORY_AND_RULE, ctx),
            trained(RulePolicy({"priority": 1}), STORY_AND_RULE, ctx),
        ]
    )
    best = demoted.predict(tracker, ctx)
    assert best is not None
    assert (best.action, best.policy) == ("utter_story_greet", "MemoizationPolicy")


@pytest.mark.parametrize(
    ("ml_confidence", "expected"),
    [(0.29, "action_default_fallback"), (0.3, "action_default_fallback"), (0.31, "ml_guess")],
)
def test_the_core_fallback_wins_unless_another_policy_is_surer_than_the_threshold(
    ml_confidence: float, expected: str
) -> None:
    ctx = context(DOMAIN)
    rules = trained(RulePolicy({"core_fallback_threshold": 0.3}), "rules: []", ctx)

    best = Ensemble([fixed("ml_guess", ml_confidence, 1), rules]).predict(
        conversation(ctx, turn("ask")), ctx
    )

    assert best is not None
    assert best.action == expected


def test_states_are_computed_when_not_given() -> None:
    ctx = context(DOMAIN)
    tracker = conversation(ctx, turn("greet"))
    memo = trained(MemoizationPolicy(), STORY_AND_RULE, ctx)

    given = Ensemble([memo]).predict(tracker, ctx, ctx.featurizer.past_states(tracker))
    computed = Ensemble([memo]).predict(tracker, ctx)

    assert given == computed
    assert computed is not None
    assert computed.action == "utter_story_greet"


# -- policy names -----------------------------------------------------------------------


def test_rasa_policy_names_map_to_parley_policies() -> None:
    specs = [
        ComponentSpec(name="MemoizationPolicy", options={"max_history": 3}),
        ComponentSpec(name="RulePolicy", options={"core_fallback_threshold": 0.4}),
        ComponentSpec(name="TEDPolicy", options={"max_history": 5, "epochs": 100}),
        ComponentSpec(name="AugmentedMemoizationPolicy"),
    ]

    resolved, problems = resolve_policies(specs)

    assert [(s.name, s.options) for s in resolved] == [
        ("MemoizationPolicy", {"max_history": 3}),
        ("RulePolicy", {"core_fallback_threshold": 0.4}),
        ("MLPolicy", {"max_history": 5, "epochs": 100}),
        ("AugmentedMemoizationPolicy", {}),
    ]
    assert problems == []
    assert [policies.get(s.name) for s in resolved] == [
        MemoizationPolicy,
        RulePolicy,
        MLPolicy,
        policies.get("AugmentedMemoizationPolicy"),
    ]


def test_unexpected_intent_policy_is_left_out_with_a_warning() -> None:
    resolved, problems = resolve_policies(
        [ComponentSpec(name="UnexpecTEDIntentPolicy"), ComponentSpec(name="RulePolicy")]
    )

    assert [s.name for s in resolved] == ["RulePolicy"]
    assert [(p.code, p.is_error) for p in problems] == [("policy-skipped", False)]
    assert "UnexpecTEDIntentPolicy" in problems[0].message


def test_no_policies_configured_means_rasa_s_defaults() -> None:
    resolved, problems = resolve_policies(None)

    assert [s.name for s in resolved] == ["MemoizationPolicy", "RulePolicy", "MLPolicy"]
    assert resolved == DEFAULT_POLICIES
    assert problems == []


def test_an_unknown_policy_name_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownNameError) as raised:
        resolve_policies([ComponentSpec(name="FormPolicy")])

    message = str(raised.value)
    assert "FormPolicy" in message
    for name in ("RulePolicy", "MemoizationPolicy", "AugmentedMemoizationPolicy", "MLPolicy"):
        assert name in message
    assert "TEDPolicy" in message  # Rasa's names count as valid too


def test_a_rasa_config_trains_with_warnings_only_for_options_parley_does_not_use() -> None:
    stories, rules = read_data(STORY_AND_RULE)
    specs = [
        ComponentSpec(name="RulePolicy", options={"core_fallback_threshold": 0.3}),
        ComponentSpec(
            name="TEDPolicy",
            options={"max_history": 3, "epochs": 20, "constrain_similarities": True},
        ),
        ComponentSpec(name="MemoizationPolicy", options={"max_history": 2, "colour": "red"}),
        ComponentSpec(name="UnexpecTEDIntentPolicy", options={"epochs": 20}),
    ]

    model, problems = DialogueModel.train(DOMAIN, stories, rules, specs)

    assert [p.name for p in model.policies] == ["RulePolicy", "MLPolicy", "MemoizationPolicy"]
    assert sorted(p.code for p in problems) == ["policy-option-ignored", "policy-skipped"]
    ignored = next(p for p in problems if p.code == "policy-option-ignored")
    assert "colour" in ignored.message
    assert "max_history" in ignored.message  # the valid options are listed
    best = model.predict(model.tracker("t", turn("greet")))
    assert best is not None
    assert (best.action, best.policy) == ("utter_rule_greet", "RulePolicy")
