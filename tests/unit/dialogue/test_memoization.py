"""MemoizationPolicy and AugmentedMemoizationPolicy: the stories, remembered exactly."""

from __future__ import annotations

from tests.unit.dialogue.builders import (
    action,
    bool_slot,
    context,
    conversation,
    listen,
    make_domain,
    next_action,
    predict,
    slot,
    trained,
    turn,
    user,
)

from parley.dialogue.memoization import AugmentedMemoizationPolicy, MemoizationPolicy
from parley.dialogue.policy import PolicyContext

DOMAIN = make_domain(["greet", "ask", "bye", "thanks"], slots=[bool_slot("vip")])

STORIES = """
stories:
- story: greet then ask
  steps:
  - intent: greet
  - action: utter_greet
  - intent: ask
  - action: utter_answer
"""


def memo(
    yaml: str = STORIES, *, augmented: bool = False, **options: object
) -> tuple[MemoizationPolicy, PolicyContext]:
    ctx = context(DOMAIN)
    kind = AugmentedMemoizationPolicy if augmented else MemoizationPolicy
    policy = trained(kind(options), yaml, ctx)
    assert isinstance(policy, MemoizationPolicy)
    return policy, ctx


def test_it_predicts_what_the_story_did_with_full_confidence() -> None:
    policy, ctx = memo()

    prediction = predict(policy, ctx, conversation(ctx, turn("greet")))

    assert prediction is not None
    assert (prediction.action, prediction.confidence) == ("utter_greet", 1.0)
    assert (prediction.policy, prediction.priority, prediction.is_rule) == (
        "MemoizationPolicy",
        3,
        False,
    )
    assert next_action(policy, ctx, turn("greet", "utter_greet")) == "action_listen"
    assert next_action(policy, ctx, turn("greet", "utter_greet"), turn("ask")) == "utter_answer"
    # The bot listens when the story is over.
    assert next_action(policy, ctx, turn("greet", "utter_greet"), turn("ask", "utter_answer")) == (
        "action_listen"
    )


def test_it_has_nothing_to_say_about_conversations_the_stories_do_not_show() -> None:
    policy, ctx = memo()

    assert predict(policy, ctx, conversation(ctx, turn("ask"))) is None
    assert predict(policy, ctx, conversation(ctx, turn("bye", "utter_bye"), turn("greet"))) is None
    assert predict(policy, ctx, conversation(ctx, slot("vip", True), turn("greet"))) is None


def test_max_history_limits_how_far_back_it_looks() -> None:
    long_ago = [*turn("bye", "utter_bye"), *turn("thanks", "utter_welcome")]
    greeted = [*turn("greet", "utter_greet"), *turn("ask")]

    short, ctx = memo(max_history=2)
    assert next_action(short, ctx, long_ago, greeted) == "utter_answer"

    full, ctx = memo(max_history=None)
    assert next_action(full, ctx, greeted) == "utter_answer"
    assert next_action(full, ctx, long_ago, greeted) is None


def test_states_that_led_to_different_actions_are_forgotten() -> None:
    policy, ctx = memo(
        """
stories:
- story: one
  steps:
  - intent: greet
  - action: utter_greet
- story: other
  steps:
  - intent: greet
  - action: utter_hello
  - intent: bye
  - action: utter_bye
"""
    )

    assert predict(policy, ctx, conversation(ctx, turn("greet"))) is None
    # What the stories agree on is kept.
    assert next_action(policy, ctx, turn("greet", "utter_hello"), turn("bye")) == "utter_bye"


def test_slots_set_in_a_story_are_part_of_what_is_remembered() -> None:
    policy, ctx = memo(
        """
stories:
- story: vip
  steps:
  - intent: greet
  - action: action_check
  - slot_was_set:
    - vip: true
  - action: utter_vip
- story: guest
  steps:
  - intent: greet
  - action: action_check
  - slot_was_set:
    - vip: false
  - action: utter_guest
"""
    )
    checked = [*turn("greet", "action_check")]

    assert next_action(policy, ctx, checked, slot("vip", True)) == "utter_vip"
    assert next_action(policy, ctx, checked, slot("vip", False)) == "utter_guest"
    assert next_action(policy, ctx, checked) is None


def test_augmented_memoization_recalls_a_story_after_a_different_start() -> None:
    plain, ctx = memo()
    augmented, ctx = memo(augmented=True)
    other_start = [*turn("bye", "utter_bye"), *turn("thanks", "utter_welcome")]

    assert next_action(plain, ctx, other_start, turn("greet")) is None
    prediction = predict(augmented, ctx, conversation(ctx, other_start, turn("greet")))
    assert prediction is not None
    assert (prediction.action, prediction.confidence) == ("utter_greet", 1.0)
    assert prediction.policy == "AugmentedMemoizationPolicy"
    assert next_action(augmented, ctx, other_start, turn("greet", "utter_greet"), turn("ask")) == (
        "utter_answer"
    )


def test_augmented_memoization_forgets_slots_set_in_the_forgotten_turns() -> None:
    # A slot set earlier is in every later state; Rasa's augmented memoization replays
    # the conversation from a later action on a fresh tracker, so the slot is forgotten
    # and the story (which never set it) is recalled.
    earlier = [*turn("bye", "utter_bye"), slot("vip", True)]
    later = [*turn("greet", "utter_greet"), *turn("ask")]

    plain, ctx = memo(max_history=2)
    assert next_action(plain, ctx, earlier, later) is None

    augmented, ctx = memo(augmented=True, max_history=2)
    assert next_action(augmented, ctx, earlier, later) == "utter_answer"


def test_augmented_memoization_keeps_the_slots_the_story_needs() -> None:
    policy, ctx = memo(
        """
stories:
- story: vip asks
  steps:
  - intent: ask
  - action: action_check
  - slot_was_set:
    - vip: true
  - action: utter_vip_answer
- story: guest asks
  steps:
  - intent: ask
  - action: action_check
  - action: utter_guest_answer
""",
        augmented=True,
    )
    before = [*turn("bye", "utter_bye")]

    assert next_action(policy, ctx, before, turn("ask", "action_check"), slot("vip", True)) == (
        "utter_vip_answer"
    )
    assert next_action(policy, ctx, before, turn("ask", "action_check")) == "utter_guest_answer"


def test_augmented_memoization_still_says_nothing_when_no_truncation_matches() -> None:
    policy, ctx = memo(augmented=True)

    assert predict(policy, ctx, conversation(ctx, turn("thanks"))) is None
    assert predict(policy, ctx, conversation(ctx, listen(), user(None, "hm"), action("x"))) is None
