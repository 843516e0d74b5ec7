"""The dialogue state policies see: one state before each action, Rasa's featurization."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.dialogue.builders import (
    action,
    bool_slot,
    context,
    conversation,
    listen,
    make_domain,
    slot,
    text_slot,
    turn,
    user,
)

from parley.core.domain import Entity, Intent, Slot, SlotType
from parley.core.events import (
    ActionExecuted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    UserFeaturization,
    UserUtteranceReverted,
    UserUttered,
)
from parley.dialogue.slots import SESSION_STARTED_METADATA, slot_features
from parley.dialogue.state import State, StateFeaturizer

DOMAIN = make_domain(["greet", "ask"], entities=["city"], slots=[text_slot("name")])


def test_one_state_before_each_action_and_the_current_one_last() -> None:
    ctx = context(DOMAIN)
    tracker = conversation(ctx, turn("greet", "utter_greet"), listen(), user("ask"))

    states = ctx.featurizer.past_states(tracker)

    assert [(s.prev_action, s.intent) for s in states] == [
        (None, None),  # before the first action_listen: the conversation start
        ("action_listen", "greet"),
        ("utter_greet", "greet"),  # the latest message stays until the next one
        ("action_listen", "ask"),
    ]
    assert states[0].is_empty
    assert states[0].describe() == "(conversation start)"
    assert "user: ask" in states[-1].describe()


def test_states_start_again_after_a_restart_and_a_session_start() -> None:
    ctx = context(DOMAIN)
    for reset in (Restarted(), SessionStarted()):
        tracker = conversation(
            ctx, turn("greet", "utter_greet"), slot("name", "Ada"), reset, listen(), user("ask")
        )
        states = ctx.featurizer.past_states(tracker)
        assert [(s.prev_action, s.intent, s.slots) for s in states] == [
            (None, None, ()),
            ("action_listen", "ask", ()),
        ]


def test_a_rewound_user_message_is_forgotten_with_its_listen() -> None:
    ctx = context(DOMAIN)
    tracker = conversation(
        ctx, turn("greet", "utter_greet"), listen(), user("ask"), UserUtteranceReverted()
    )

    states = ctx.featurizer.past_states(tracker)

    assert [(s.prev_action, s.intent) for s in states] == [
        (None, None),
        ("action_listen", "greet"),
        ("utter_greet", "greet"),
    ]


def test_entities_count_only_when_the_domain_lets_them_influence_the_conversation() -> None:
    domain = make_domain(
        ["inform"],
        entities=[
            Entity(name="city", roles=["from", "to"]),
            Entity(name="noise", influence_conversation=False),
        ],
    )
    ctx = context(domain)
    message = UserUttered(
        text="to Paris",
        parse_data={
            "intent": {"name": "inform"},
            "entities": [
                {"entity": "city", "value": "Paris", "role": "to"},
                {"entity": "noise", "value": "x"},
                {"entity": "unknown", "value": "y"},
            ],
        },
    )

    state = ctx.featurizer.state(conversation(ctx, listen(), message))

    assert state.entities == {"city", "city#to"}


@pytest.mark.parametrize(
    ("use_entities", "ignore", "expected"),
    [
        (True, [], {"city", "name"}),
        (False, [], set()),
        (["city"], [], {"city"}),
        (True, ["name"], {"city"}),
    ],
)
def test_an_intent_chooses_the_entities_it_uses(
    use_entities: bool | list[str], ignore: list[str], expected: set[str]
) -> None:
    domain = make_domain(entities=["city", "name"])
    domain.intents = [Intent(name="inform", use_entities=use_entities, ignore_entities=ignore)]
    ctx = context(domain)

    state = ctx.featurizer.state(conversation(ctx, listen(), user("inform", city="x", name="y")))

    assert state.entities == expected


def test_a_message_without_intent_is_read_by_its_text() -> None:
    ctx = context(DOMAIN)
    message = UserUttered(text="hello there", parse_data={"entities": []})

    state = ctx.featurizer.state(conversation(ctx, listen(), message))

    assert (state.intent, state.text) == (None, "hello there")


def test_user_featurization_switches_a_message_to_its_text() -> None:
    ctx = context(DOMAIN)
    by_intent = conversation(ctx, listen(), user("greet", "hi", city="Rome"))
    by_text = conversation(
        ctx,
        listen(),
        user("greet", "hi", city="Rome"),
        UserFeaturization(use_text_for_featurization=True),
    )

    assert ctx.featurizer.state(by_intent).intent == "greet"
    state = ctx.featurizer.state(by_text)
    assert (state.intent, state.text, state.entities) == (None, "hi", frozenset())


def test_only_set_slots_that_influence_the_conversation_are_in_the_state() -> None:
    domain = make_domain(
        ["greet"],
        slots=[
            text_slot("name"),
            text_slot("note", influence_conversation=False),
            bool_slot("vip"),
        ],
        forms={"form": ["name"]},
    )
    ctx = context(domain)
    tracker = conversation(
        ctx,
        listen(),
        user("greet"),
        slot("name", "Ada"),
        slot("note", "ignored"),
        slot("requested_slot", "name"),
        slot(SESSION_STARTED_METADATA, {"a": 1}),
    )

    assert ctx.featurizer.state(tracker).slots == (("name", (1.0,)),)


def test_an_initial_slot_value_is_in_every_state() -> None:
    ctx = context(make_domain(["greet"], slots=[text_slot("lang", initial_value="en")]))

    states = ctx.featurizer.past_states(conversation(ctx, listen(), user("greet")))

    assert [s.slots for s in states] == [(("lang", (1.0,)),)] * 2
    assert not states[0].is_empty


def test_the_active_loop_is_in_the_state() -> None:
    ctx = context(make_domain(["greet"], slots=[text_slot("name")], forms={"form": ["name"]}))
    tracker = conversation(ctx, listen(), user("greet"), action("form"), ActiveLoop(name="form"))

    assert ctx.featurizer.state(tracker).active_loop == "form"
    assert ctx.featurizer.state(conversation(ctx, listen(), user("greet"))).active_loop is None


@pytest.mark.parametrize(
    ("slot_spec", "value", "features"),
    [
        (Slot(name="s", type=SlotType.TEXT), None, (0.0,)),
        (Slot(name="s", type=SlotType.TEXT), "", (1.0,)),
        (Slot(name="s", type=SlotType.LIST), [], (0.0,)),
        (Slot(name="s", type=SlotType.LIST), ["a"], (1.0,)),
        (Slot(name="s", type=SlotType.BOOL), None, (0.0, 0.0)),
        (Slot(name="s", type=SlotType.BOOL), True, (1.0, 1.0)),
        (Slot(name="s", type=SlotType.BOOL), False, (1.0, 0.0)),
        (Slot(name="s", type=SlotType.BOOL), "false", (1.0, 0.0)),
        (Slot(name="s", type=SlotType.CATEGORICAL, values=["Low", "high"]), "LOW", (1, 0, 0)),
        (Slot(name="s", type=SlotType.CATEGORICAL, values=["low", "high"]), "mid", (0, 0, 1)),
        (Slot(name="s", type=SlotType.CATEGORICAL, values=["low", "high"]), None, (0, 0, 0)),
        (Slot(name="s", type=SlotType.FLOAT, min_value=0, max_value=10), 5, (1.0, 0.5)),
        (Slot(name="s", type=SlotType.FLOAT, min_value=0, max_value=10), 50, (1.0, 1.0)),
        (Slot(name="s", type=SlotType.FLOAT, min_value=0, max_value=10), -5, (1.0, 0.0)),
        (Slot(name="s", type=SlotType.FLOAT), None, (0.0, 0.0)),
        # Rasa reads a float slot holding no number as unset.
        (Slot(name="s", type=SlotType.FLOAT), "many", (0.0, 0.0)),
        (Slot(name="s", type=SlotType.ANY), "x", ()),
        (Slot(name="s", type=SlotType.TEXT, influence_conversation=False), "x", ()),
    ],
)
def test_slots_are_featurized_as_rasa_does(
    slot_spec: Slot, value: Any, features: tuple[float, ...]
) -> None:
    assert slot_features(slot_spec, value) == features


def test_training_examples_pair_each_action_with_the_states_before_it() -> None:
    featurizer = StateFeaturizer(DOMAIN)
    events = [*turn("greet", "utter_greet"), ActionExecuted(action_text="Hi there!"), listen()]

    examples = featurizer.training_examples(events)

    assert [(len(states), label) for states, label in examples] == [
        (1, "action_listen"),
        (2, "utter_greet"),
        (3, "Hi there!"),  # an end-to-end bot utterance is labelled by its text
        (4, "action_listen"),
    ]
    assert examples[-1][0][-1].prev_action == "Hi there!"
    # The states a training example sees are the ones a live conversation shows.
    tracker = featurizer.tracker("x", events[:3])
    assert featurizer.past_states(tracker) == examples[2][0]


def test_states_are_hashable_values() -> None:
    a = State(intent="greet", prev_action="action_listen", entities=frozenset({"city"}))
    b = State(intent="greet", prev_action="action_listen", entities=frozenset({"city"}))

    assert a == b
    assert len({a, b}) == 1
