"""MLPolicy: a network over the featurized dialogue state that generalizes beyond the
stories (Parley's answer to TEDPolicy)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.dialogue.builders import (
    bool_slot,
    context,
    conversation,
    make_domain,
    next_action,
    predict,
    read_data,
    slot,
    text_slot,
    trained,
    training_data,
    turn,
)

from parley.core.events import Event
from parley.dialogue.memoization import MemoizationPolicy
from parley.dialogue.ml_policy import MLPolicy, StateEncoder
from parley.dialogue.policy import PolicyContext, TrainingData
from parley.dialogue.state import State

DOMAIN = make_domain(
    ["greet", "ask", "bye", "check", "thanks", "inform"],
    slots=[bool_slot("member"), text_slot("city")],
)


def story(name: str, *turns: str) -> str:
    """A story in YAML from ``intent>action`` turns and ``slot=value`` steps."""
    lines = [f"- story: {name}", "  steps:"]
    for part in turns:
        if "=" in part:
            slot_name, value = part.split("=")
            lines += ["  - slot_was_set:", f"    - {slot_name}: {value}"]
        else:
            intent, action = part.split(">")
            lines += [f"  - intent: {intent}", f"  - action: {action}"]
    return "\n".join(lines) + "\n"


CHECK = "check>action_check"
# Whether the user is a member decides the answer to `ask`, whatever came before; the
# other intents get the same answer whatever the slots. `city` never matters.
STORIES = "stories:\n" + "".join(
    [
        story("member 1", CHECK, "member=true", "greet>utter_greet", "ask>utter_member_price"),
        story(
            "member 2",
            CHECK,
            "member=true",
            "thanks>utter_welcome",
            "ask>utter_member_price",
            "greet>utter_greet",
        ),
        story("member 3", CHECK, "member=true", "ask>utter_member_price", "thanks>utter_welcome"),
        story(
            "guest 1",
            CHECK,
            "member=false",
            "greet>utter_greet",
            "ask>utter_price",
            "bye>utter_bye",
        ),
        story(
            "guest 2",
            CHECK,
            "member=false",
            "thanks>utter_welcome",
            "ask>utter_price",
            "greet>utter_greet",
        ),
        story(
            "guest 3",
            CHECK,
            "member=false",
            "ask>utter_price",
            "thanks>utter_welcome",
            "bye>utter_bye",
        ),
        story(
            "anyone",
            "greet>utter_greet",
            "ask>utter_price",
            "thanks>utter_welcome",
            "bye>utter_bye",
        ),
        story("city", "inform>action_save_city", "city=Rome", "greet>utter_greet", "bye>utter_bye"),
    ]
)

# The answer to `ask` depends on the turn before it, two states back.
HISTORY_STORIES = (
    "stories:\n"
    + story("a", "greet>utter_greet", "ask>utter_a")
    + story("b", "bye>utter_bye", "ask>utter_b")
)

MEMBER = [*turn("check", "action_check"), slot("member", True)]
GUEST = [*turn("check", "action_check"), slot("member", False)]
CITY = [*turn("inform", "action_save_city"), slot("city", "Rome")]


@pytest.fixture(scope="module")
def ml() -> tuple[MLPolicy, PolicyContext]:
    ctx = context(DOMAIN)
    policy = trained(MLPolicy(), STORIES, ctx)
    assert isinstance(policy, MLPolicy)
    return policy, ctx


@pytest.fixture(scope="module")
def memo() -> tuple[MemoizationPolicy, PolicyContext]:
    ctx = context(DOMAIN)
    policy = trained(MemoizationPolicy(), STORIES, ctx)
    assert isinstance(policy, MemoizationPolicy)
    return policy, ctx


CASES: dict[str, tuple[list[Event], str]] = {
    # Intent and slot combinations no story shows together.
    "member asks, city known": ([*CITY, *MEMBER, *turn("ask")], "utter_member_price"),
    "guest asks, city known": ([*CITY, *GUEST, *turn("ask")], "utter_price"),
    "thanks, city known": ([*CITY, *turn("thanks")], "utter_welcome"),
    # Histories no story shows.
    "bye first": (turn("bye"), "utter_bye"),
    "member asks after bye": (
        [*MEMBER, *turn("bye", "utter_bye"), *turn("ask")],
        "utter_member_price",
    ),
    "guest asks after bye": ([*GUEST, *turn("bye", "utter_bye"), *turn("ask")], "utter_price"),
    "member asks twice": (
        [*MEMBER, *turn("ask", "utter_member_price"), *turn("ask")],
        "utter_member_price",
    ),
    "member from the start": ([slot("member", True), *turn("ask")], "utter_member_price"),
}


@pytest.mark.parametrize("case", CASES)
def test_it_generalizes_beyond_the_stories(
    case: str, ml: tuple[MLPolicy, PolicyContext], memo: tuple[MemoizationPolicy, PolicyContext]
) -> None:
    events, expected = CASES[case]
    policy, ctx = ml
    memory, memory_ctx = memo

    prediction = predict(policy, ctx, conversation(ctx, events))

    assert prediction is not None
    assert prediction.action == expected
    assert prediction.confidence > 0.5
    assert (prediction.policy, prediction.priority, prediction.is_rule) == ("MLPolicy", 1, False)
    # The stories do not hold this conversation: memoization has nothing to say.
    assert next_action(memory, memory_ctx, events) is None


def test_it_predicts_the_stories_themselves(ml: tuple[MLPolicy, PolicyContext]) -> None:
    policy, ctx = ml

    assert next_action(policy, ctx, MEMBER, turn("greet")) == "utter_greet"
    assert next_action(policy, ctx, MEMBER, turn("greet", "utter_greet")) == "action_listen"
    assert (
        next_action(policy, ctx, GUEST, turn("greet", "utter_greet"), turn("ask")) == "utter_price"
    )


def test_its_confidence_is_the_probability_of_the_action(
    ml: tuple[MLPolicy, PolicyContext],
) -> None:
    policy, ctx = ml
    tracker = conversation(ctx, turn("bye", "utter_bye"))
    states = ctx.featurizer.past_states(tracker)

    probabilities = policy.probabilities(states)
    prediction = policy.predict(tracker, states, ctx)

    assert prediction is not None
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert prediction.confidence == pytest.approx(max(probabilities.values()))
    assert max(probabilities, key=probabilities.__getitem__) == prediction.action


def test_training_with_the_same_seed_gives_the_same_model() -> None:
    def probabilities(seed: int) -> dict[str, float]:
        ctx = context(DOMAIN, seed=seed)
        policy = trained(MLPolicy({"epochs": 20}), HISTORY_STORIES, ctx)
        assert isinstance(policy, MLPolicy)
        return policy.probabilities(ctx.featurizer.past_states(conversation(ctx, turn("ask"))))

    assert probabilities(1) == probabilities(1)
    assert probabilities(1) != probabilities(2)


def test_an_intent_it_never_saw_does_not_break_it(ml: tuple[MLPolicy, PolicyContext]) -> None:
    policy, ctx = ml

    assert next_action(policy, ctx, turn("never_seen", city="x")) is not None


def test_it_learns_from_rules_too() -> None:
    ctx = context(DOMAIN)
    policy = trained(
        MLPolicy(),
        """
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: bye
  steps:
  - intent: bye
  - action: utter_bye
""",
        ctx,
    )

    assert next_action(policy, ctx, turn("greet")) == "utter_greet"
    assert next_action(policy, ctx, turn("bye")) == "utter_bye"
    assert next_action(policy, ctx, turn("bye", "utter_bye")) == "action_listen"


def test_without_training_data_it_predicts_nothing() -> None:
    ctx = context(DOMAIN)
    policy = MLPolicy()
    policy.train(TrainingData(), ctx)

    assert predict(policy, ctx, conversation(ctx, turn("greet"))) is None


def test_max_history_sets_the_encoding_size() -> None:
    states = [State(), State(intent="greet", prev_action="action_listen")]
    sizes = {}
    for history in (1, 2, 4):
        encoder = StateEncoder.fit([states], history)
        vector = encoder.encode(states)
        sizes[history] = vector.shape
        assert vector.shape == (encoder.state_size * history,)
    assert sizes[1] != sizes[2] != sizes[4]


def test_only_the_last_max_history_states_are_encoded() -> None:
    greet = State(intent="greet", prev_action="action_listen")
    bye = State(intent="bye", prev_action="action_listen")
    then = State(intent="ask", prev_action="utter_x")
    histories = [[greet, then], [bye, then]]

    one = StateEncoder.fit(histories, 1)
    two = StateEncoder.fit(histories, 2)

    assert np.array_equal(one.encode(histories[0]), one.encode(histories[1]))
    assert not np.array_equal(two.encode(histories[0]), two.encode(histories[1]))
    # A short history is padded at the front: its last state sits where it always does.
    assert np.array_equal(two.encode([then])[two.state_size :], one.encode([then]))
    assert not two.encode([then])[: two.state_size].any()


def test_max_history_decides_how_much_context_the_policy_uses() -> None:
    yaml = HISTORY_STORIES
    after_greet = [*turn("greet", "utter_greet"), *turn("ask")]
    after_bye = [*turn("bye", "utter_bye"), *turn("ask")]

    ctx = context(DOMAIN)
    forgetful = trained(MLPolicy({"max_history": 1}), yaml, ctx)
    remembering = trained(MLPolicy({"max_history": 3}), yaml, ctx)

    assert next_action(forgetful, ctx, after_greet) == next_action(forgetful, ctx, after_bye)
    assert next_action(remembering, ctx, after_greet) == "utter_a"
    assert next_action(remembering, ctx, after_bye) == "utter_b"


@pytest.mark.parametrize(("option", "expected"), [(None, 5), (3, 3), (0, 1)])
def test_max_history_option(option: int | None, expected: int) -> None:
    assert MLPolicy({"max_history": option}).max_history == expected


def test_training_examples_come_from_every_story() -> None:
    stories, _ = read_data(STORIES)
    data = training_data(STORIES)

    assert len(data.stories) == len(stories)
