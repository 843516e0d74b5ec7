"""RulePolicy: Rasa's rules, default intents, forms (loops) and the core fallback."""

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
    text_slot,
    trained,
    turn,
    user,
)

from parley.core.domain import Domain
from parley.core.events import ActionExecutionRejected, ActiveLoop, UserUttered
from parley.dialogue.policy import PolicyContext
from parley.dialogue.rule_policy import RulePolicy

DOMAIN = make_domain(
    ["greet", "bye", "ask", "request", "inform", "chitchat", "restart", "back", "session_start"],
    entities=["city"],
    slots=[bool_slot("vip"), text_slot("city"), text_slot("lang", influence_conversation=False)],
    forms={"form": ["city"]},
)

GREET_RULE = """
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
"""


def rule_policy(
    yaml: str, *, domain: Domain = DOMAIN, **options: object
) -> tuple[RulePolicy, PolicyContext]:
    ctx = context(domain)
    policy = trained(RulePolicy(options), yaml, ctx)
    assert isinstance(policy, RulePolicy)
    return policy, ctx


def test_a_rule_applies_in_any_context_then_the_bot_listens() -> None:
    policy, ctx = rule_policy(GREET_RULE)

    prediction = predict(policy, ctx, conversation(ctx, turn("greet")))
    assert prediction is not None
    assert (prediction.action, prediction.confidence, prediction.is_rule) == (
        "utter_greet",
        1.0,
        True,
    )
    assert (prediction.policy, prediction.priority) == ("RulePolicy", 6)
    # Anywhere in a conversation, not only at its start.
    assert (
        next_action(policy, ctx, turn("ask", "utter_answer"), slot("vip", True), turn("greet"))
        == "utter_greet"
    )
    assert next_action(policy, ctx, turn("greet", "utter_greet")) == "action_listen"


def test_no_rule_means_the_core_fallback_at_its_threshold() -> None:
    policy, ctx = rule_policy(GREET_RULE, core_fallback_threshold=0.42)

    prediction = predict(policy, ctx, conversation(ctx, turn("ask")))

    assert prediction is not None
    assert (prediction.action, prediction.confidence, prediction.is_rule) == (
        "action_default_fallback",
        0.42,
        False,
    )


def test_the_fallback_action_can_be_renamed_or_turned_off() -> None:
    renamed, ctx = rule_policy(GREET_RULE, core_fallback_action_name="action_my_fallback")
    assert next_action(renamed, ctx, turn("ask")) == "action_my_fallback"

    silent, ctx = rule_policy(GREET_RULE, enable_fallback_prediction=False)
    assert predict(silent, ctx, conversation(ctx, turn("ask"))) is None


def test_a_conversation_start_rule_applies_only_at_the_start() -> None:
    policy, ctx = rule_policy(
        """
rules:
- rule: welcome
  conversation_start: true
  steps:
  - intent: greet
  - action: utter_welcome
"""
    )

    assert next_action(policy, ctx, turn("greet")) == "utter_welcome"
    assert next_action(policy, ctx, turn("greet", "utter_welcome")) == "action_listen"
    assert (
        next_action(policy, ctx, turn("bye", "utter_bye"), turn("greet"))
        == "action_default_fallback"
    )


def test_a_conversation_start_rule_applies_whatever_slots_the_start_holds() -> None:
    # A slot with an initial value, or one carried over into a new session, is already
    # set in the first state; Rasa ignores slots when matching the conversation start.
    domain = make_domain(["greet"], slots=[text_slot("lang", initial_value="en")])
    policy, ctx = rule_policy(
        """
rules:
- rule: welcome
  conversation_start: true
  steps:
  - intent: greet
  - action: utter_welcome
""",
        domain=domain,
    )

    assert next_action(policy, ctx, turn("greet")) == "utter_welcome"
    assert next_action(policy, ctx, slot("lang", "fr"), turn("greet")) == "utter_welcome"
    assert (
        next_action(policy, ctx, turn("greet", "utter_welcome"), turn("greet"))
        == "action_default_fallback"
    )


def test_a_rule_that_does_not_wait_for_user_input_leaves_the_next_action_open() -> None:
    yaml = """
rules:
- rule: greet
  wait_for_user_input: {wait}
  steps:
  - intent: greet
  - action: utter_greet
"""
    waiting, ctx = rule_policy(yaml.format(wait="true"))
    open_ended, ctx = rule_policy(yaml.format(wait="false"))
    after = conversation(ctx, turn("greet", "utter_greet"))

    assert next_action(waiting, ctx, after.events) == "action_listen"
    fallback = predict(open_ended, ctx, after)
    assert fallback is not None
    assert (fallback.action, fallback.is_rule) == ("action_default_fallback", False)
    assert next_action(open_ended, ctx, turn("greet")) == "utter_greet"


def test_a_longer_rule_wins_over_a_shorter_one() -> None:
    policy, ctx = rule_policy(
        GREET_RULE
        + """
- rule: greet after a goodbye
  steps:
  - intent: bye
  - action: utter_bye
  - intent: greet
  - action: utter_welcome_back
""",
        restrict_rules=False,
    )

    assert next_action(policy, ctx, turn("greet")) == "utter_greet"
    assert next_action(policy, ctx, turn("bye", "utter_bye"), turn("greet")) == "utter_welcome_back"


def test_a_rule_with_a_slot_condition_wins_over_the_same_rule_without() -> None:
    for first, second in ((0, 1), (1, 0)):  # whatever order the rules are written in
        blocks = [
            "- rule: general\n  steps:\n  - intent: greet\n  - action: utter_greet\n",
            "- rule: vip\n  condition:\n  - slot_was_set:\n    - vip: true\n"
            "  steps:\n  - intent: greet\n  - action: utter_vip_greet\n",
        ]
        policy, ctx = rule_policy(f"rules:\n{blocks[first]}{blocks[second]}")

        assert next_action(policy, ctx, slot("vip", True), turn("greet")) == "utter_vip_greet"
        assert next_action(policy, ctx, slot("vip", False), turn("greet")) == "utter_greet"
        assert next_action(policy, ctx, turn("greet")) == "utter_greet"


def test_null_conditions_require_the_slot_and_the_loop_unset() -> None:
    policy, ctx = rule_policy(
        """
rules:
- rule: ask without city
  condition:
  - slot_was_set:
    - city: null
  - active_loop: null
  steps:
  - intent: ask
  - action: utter_which_city
"""
    )

    assert next_action(policy, ctx, turn("ask")) == "utter_which_city"
    assert next_action(policy, ctx, slot("city", "Rome"), turn("ask")) == "action_default_fallback"
    in_loop = [action("form"), ActiveLoop(name="form"), ActionExecutionRejected(name="form")]
    assert next_action(policy, ctx, turn("ask"), in_loop) == "action_default_fallback"


def test_slots_that_do_not_influence_the_conversation_are_no_condition() -> None:
    policy, ctx = rule_policy(
        """
rules:
- rule: r
  condition:
  - slot_was_set:
    - lang: fr
  steps:
  - intent: ask
  - action: utter_answer
"""
    )

    assert next_action(policy, ctx, turn("ask")) == "utter_answer"


def test_a_rule_with_entities_needs_exactly_those_entities() -> None:
    policy, ctx = rule_policy(
        """
rules:
- rule: r
  steps:
  - intent: inform
    entities:
    - city
  - action: utter_city
"""
    )

    assert next_action(policy, ctx, turn("inform", city="Rome")) == "utter_city"
    assert next_action(policy, ctx, turn("inform")) == "action_default_fallback"


def test_an_end_to_end_rule_matches_the_text() -> None:
    policy, ctx = rule_policy(
        """
rules:
- rule: r
  steps:
  - user: "hello robot"
  - bot: "Hello human!"
"""
    )
    said = [listen(), UserUttered(text="hello robot", parse_data={})]

    assert next_action(policy, ctx, said) == "Hello human!"
    assert (
        next_action(policy, ctx, listen(), UserUttered(text="hi", parse_data={}))
        == "action_default_fallback"
    )


def test_default_intents_run_their_default_actions_before_anything_else() -> None:
    policy, ctx = rule_policy(
        """
rules:
- rule: restart means hello
  steps:
  - intent: restart
  - action: utter_greet
"""
    )
    in_loop = [*turn("request", "form"), ActiveLoop(name="form")]

    assert next_action(policy, ctx, turn("restart")) == "action_restart"
    assert next_action(policy, ctx, turn("session_start")) == "action_session_start"
    assert next_action(policy, ctx, in_loop, turn("back")) == "action_back"
    # Only right after the user spoke.
    assert next_action(policy, ctx, turn("back", "action_back")) != "action_back"


FORM_RULES = """
rules:
- rule: activate the form
  steps:
  - intent: request
  - action: form
  - active_loop: form
- rule: submit the form
  condition:
  - active_loop: form
  steps:
  - action: form
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
  - action: utter_submit
- rule: chitchat in the form
  condition:
  - active_loop: form
  steps:
  - intent: chitchat
  - action: utter_chitchat
  - action: form
  - active_loop: form
"""

STARTED = [*turn("request", "form"), ActiveLoop(name="form"), slot("requested_slot", "city")]


def test_a_form_runs_after_each_user_message_until_it_is_done() -> None:
    policy, ctx = rule_policy(FORM_RULES)

    assert next_action(policy, ctx, turn("request")) == "form"
    assert next_action(policy, ctx, STARTED) == "action_listen"
    # The happy path needs no rule: any message goes to the active form.
    assert next_action(policy, ctx, STARTED, turn("inform", city="Rome")) == "form"
    assert next_action(policy, ctx, STARTED, turn("greet")) == "form"
    done = [
        *turn("inform", "form", city="Rome"),
        slot("city", "Rome"),
        ActiveLoop(name=None),
        slot("requested_slot", None),
    ]
    assert next_action(policy, ctx, STARTED, done) == "utter_submit"
    assert next_action(policy, ctx, STARTED, done, action("utter_submit")) == "action_listen"


def test_a_rejected_form_lets_the_rules_handle_the_message_then_runs_again() -> None:
    policy, ctx = rule_policy(FORM_RULES)
    rejected = [*turn("chitchat"), ActionExecutionRejected(name="form")]

    assert next_action(policy, ctx, STARTED, rejected) == "utter_chitchat"
    assert next_action(policy, ctx, STARTED, rejected, action("utter_chitchat")) == "form"
    assert next_action(
        policy, ctx, STARTED, rejected, action("utter_chitchat"), action("form")
    ) == ("action_listen")


def test_a_general_rule_ending_in_listen_returns_to_the_form() -> None:
    policy, ctx = rule_policy(FORM_RULES + GREET_RULE.replace("rules:\n", ""))
    rejected = [*turn("greet"), ActionExecutionRejected(name="form")]

    assert next_action(policy, ctx, STARTED, rejected) == "utter_greet"
    # Outside a form the rule ends in listening; inside, the form asks again.
    assert next_action(policy, ctx, turn("greet", "utter_greet")) == "action_listen"
    assert next_action(policy, ctx, STARTED, rejected, action("utter_greet")) == "form"


def test_a_rejected_form_is_not_predicted_again_right_away() -> None:
    policy, ctx = rule_policy(FORM_RULES)
    # The activating intent again, inside the form: the form rejected it, and the
    # activation rule must not send the message straight back to it.
    rejected = [*turn("request"), ActionExecutionRejected(name="form")]

    assert next_action(policy, ctx, STARTED, rejected) == "action_default_fallback"


def test_restrict_rules_warns_about_rules_with_several_user_messages() -> None:
    long_rule = """
rules:
- rule: a story really
  steps:
  - intent: greet
  - action: utter_greet
  - intent: bye
  - action: utter_bye
"""
    policy, ctx = rule_policy(long_rule)
    assert [p.code for p in ctx.problems] == ["rule-too-long"]
    assert not ctx.problems[0].is_error
    assert "restrict_rules" in ctx.problems[0].message

    policy, ctx = rule_policy(long_rule, restrict_rules=False)
    assert ctx.problems == []
    assert next_action(policy, ctx, turn("greet", "utter_greet"), turn("bye")) == "utter_bye"


def test_contradicting_rules_are_reported_and_the_first_one_kept() -> None:
    policy, ctx = rule_policy(
        GREET_RULE
        + """
- rule: greet differently
  steps:
  - intent: greet
  - action: utter_hello
"""
    )

    assert [p.code for p in ctx.problems] == ["rule-contradiction"]
    assert "utter_greet" in ctx.problems[0].message
    assert "utter_hello" in ctx.problems[0].message
    assert next_action(policy, ctx, turn("greet")) == "utter_greet"


def test_rules_with_the_same_ending_do_not_contradict() -> None:
    _, ctx = rule_policy(
        GREET_RULE + GREET_RULE.replace("rules:\n", "").replace("rule: greet", "rule: again")
    )

    assert ctx.problems == []


def test_no_rule_applies_before_the_user_said_anything() -> None:
    policy, ctx = rule_policy(GREET_RULE)

    assert next_action(policy, ctx, listen()) == "action_default_fallback"
    assert next_action(policy, ctx, listen(), user("greet")) == "utter_greet"
