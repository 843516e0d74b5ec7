"""Reading training data files (NLU, stories, rules, tests) into the core models."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from parley.core.problem import Problem
from parley.core.story import (
    ActionStep,
    ActiveLoopStep,
    CheckpointStep,
    OrStep,
    SlotValue,
    SlotWasSetStep,
    StepEntity,
    UserStep,
)
from parley.core.training_data import EntityAnnotation, LookupTable, RegexPattern, Synonym
from parley.project.training_data_file import TrainingDataContent, read_training_data
from parley.project.yaml_file import read_yaml


def read(tmp_path: Path, text: str, name: str = "data.yml") -> TrainingDataContent:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return read_training_data(read_yaml(path))


def errors(content: TrainingDataContent) -> list[Problem]:
    return [p for p in content.problems if p.is_error]


def warnings(content: TrainingDataContent) -> list[Problem]:
    return [p for p in content.problems if not p.is_error]


def only_error(content: TrainingDataContent) -> Problem:
    found = errors(content)
    assert len(found) == 1, [str(p) for p in content.problems]
    return found[0]


def position(problem: Problem) -> tuple[int | None, int | None]:
    assert problem.location is not None
    return problem.location.line, problem.location.column


# --- NLU ----------------------------------------------------------------------------------


def test_intent_examples_are_read_with_their_entities(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        version: "3.1"
        nlu:
        - intent: inform
          metadata: {sentiment: neutral}
          examples: |
            - I live in [Berlin](city)
            -   fly from [LA]{"entity": "city", "value": "Los Angeles", "role": "from"}

            - plain one
        - intent: chitchat/ask_name
          examples: |
            - what's your name?
        """,
    )
    assert content.problems == []
    examples = content.nlu.examples
    assert [(e.text, e.intent) for e in examples] == [
        ("I live in Berlin", "inform"),
        ("fly from LA", "inform"),
        ("plain one", "inform"),
        ("what's your name?", "chitchat/ask_name"),
    ]
    assert examples[0].entities == [
        EntityAnnotation(start=10, end=16, value="Berlin", entity="city")
    ]
    assert examples[1].entities[0].role == "from"
    assert examples[1].entities[0].value == "Los Angeles"
    assert content.nlu.intent_metadata == {"inform": {"sentiment": "neutral"}}
    assert examples[3].retrieval_intent == "chitchat"


def test_examples_written_as_mappings_carry_their_metadata(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        nlu:
        - intent: greet
          examples:
          - text: |
              hi [Ann](name)
            metadata: {lang: en}
          - text: "  hello  "
        """,
    )
    assert content.problems == []
    assert [(e.text, e.metadata) for e in content.nlu.examples] == [
        ("hi Ann", {"lang": "en"}),
        ("hello", None),
    ]
    assert content.nlu.examples[0].entities[0].entity == "name"


def test_synonyms_regexes_and_lookups(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        r"""
        nlu:
        - synonym: New York
          examples: |
            - NYC
            - the big apple
        - regex: claim_id
          examples: |
            - [a-z]{1,2}\d{5,7}
        - lookup: state
          examples: |
            - Alabama
            - Alaska
        """,
    )
    assert content.problems == []
    assert content.nlu.synonyms == [Synonym(value="New York", examples=["NYC", "the big apple"])]
    # Regex patterns are not annotated text: their brackets are kept as written.
    assert content.nlu.regexes == [RegexPattern(name="claim_id", patterns=[r"[a-z]{1,2}\d{5,7}"])]
    assert content.nlu.lookups == [LookupTable(name="state", elements=["Alabama", "Alaska"])]
    assert content.locations[("nlu", "synonyms", 0)].line == 2
    assert content.locations[("nlu", "regexes", 0)].line == 6
    assert content.locations[("nlu", "lookups", 0)].line == 9


def test_unicode_emoji_and_right_to_left_examples_survive(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        nlu:
        - intent: greet
          examples: |
            - שלום [תל אביב](city) 🎉
            - Grüß dich 😀
        """,
    )
    first, second = content.nlu.examples
    assert first.text == "שלום תל אביב 🎉"
    assert first.text[first.entities[0].start : first.entities[0].end] == "תל אביב"
    assert second.text == "Grüß dich 😀"


def test_example_locations_follow_the_block_indent_of_the_file(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        nlu:
        - intent: greet
          examples: |-
                - hi
                - hello
        """,
    )
    assert content.problems == []
    # Each example is located where its text starts, after `- `.
    assert position_of(content, ("nlu", "examples", 0)) == (4, 11)
    assert position_of(content, ("nlu", "examples", 1)) == (5, 11)


def position_of(content: TrainingDataContent, path: tuple[str | int, ...]) -> tuple[int, int]:
    location = content.locations[path]
    assert location.line is not None
    assert location.column is not None
    return location.line, location.column


def test_a_bad_annotation_points_at_its_line_and_column(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        nlu:
        - intent: inform
          examples: |
            - I live in [Berlin](city)
            - fly to [LA]{"entity": "city", "rol": "to"}
        """,
    )
    problem = only_error(content)
    assert problem.code == "annotation-syntax"
    assert position(problem) == (5, 18)  # the `{` of the JSON object
    assert "did you mean 'role'" in problem.message


def test_a_bad_annotation_in_a_quoted_example_points_into_the_quotes(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        nlu:
        - intent: inform
          examples:
          - text: "to [LA]{entity: city}"
        """,
    )
    assert position(only_error(content)) == (4, 20)


def test_a_line_without_a_dash_is_skipped_with_a_warning_at_its_line(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        nlu:
        - intent: greet
          examples: |
            - hi
            hello
            -
        """,
    )
    assert errors(content) == []
    assert [(p.code, position(p)) for p in warnings(content)] == [
        ("example-format", (5, 5)),
        ("empty-example", (6, 5)),
    ]
    assert [e.text for e in content.nlu.examples] == ["hi"]


def test_a_near_miss_annotation_is_a_warning_and_stays_text(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        nlu:
        - intent: inform
          examples: |
            - fly to [Paris](city
        """,
    )
    (warning,) = content.problems
    assert (warning.code, position(warning)) == ("annotation-slip", (4, 14))
    assert content.nlu.examples[0].text == "fly to [Paris](city"


def test_an_intent_without_examples_is_a_warning(tmp_path: Path) -> None:
    content = read(tmp_path, 'nlu:\n- intent: greet\n  examples: ""\n')
    assert [p.code for p in content.problems] == ["no-examples"]


# --- schema problems ----------------------------------------------------------------------


def test_an_unknown_top_level_key_names_the_valid_ones(tmp_path: Path) -> None:
    content = read(tmp_path, 'version: "3.1"\nintents:\n- greet\n')
    problem = only_error(content)
    assert problem.code == "unknown-key"
    assert position(problem) == (2, 1)
    assert "'intents'" in problem.message
    assert "version, nlu, stories, rules, responses" in problem.message


@pytest.mark.parametrize(
    ("text", "code", "where", "words"),
    [
        (
            "nlu:\n- intent: greet\n  examples: {a: 1}\n",
            "wrong-type",
            (3, 13),
            "must be a list or a string",
        ),
        ("nlu:\n- synonym: x\n  examples:\n  - a\n", "wrong-type", (4, 3), "must be a string"),
        ("nlu:\n- intent: ''\n  examples: '- hi'\n", "invalid-value", (2, 11), "empty"),
        ("nlu:\n- intent: greet\n", "missing-key", (2, 3), "'examples'"),
        ("stories:\n- story: s\n  steps: go\n", "wrong-type", (3, 10), "must be a list"),
        ("stories:\n- story: s\n  steps:\n  - greet\n", "wrong-type", (4, 5), "mapping"),
        (
            "rules:\n- rule: r\n  conversation_start: yes\n  steps: []\n",
            "wrong-type",
            (3, 23),
            "true or false",
        ),
    ],
)
def test_wrong_types_and_values_are_located(
    tmp_path: Path, text: str, code: str, where: tuple[int, int], words: str
) -> None:
    problem = only_error(read(tmp_path, text))
    assert (problem.code, position(problem)) == (code, where)
    assert words in problem.message


def test_an_nlu_item_of_two_kinds_is_reported(tmp_path: Path) -> None:
    content = read(tmp_path, "nlu:\n- intent: bye\n  synonym: x\n  examples: '- bye'\n")
    problem = only_error(content)
    assert position(problem) == (2, 3)
    assert "`intent` and `synonym`" in problem.message


def test_a_step_of_two_kinds_is_reported_with_both_keys(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        stories:
        - story: s
          steps:
          - intent: greet
            action: utter_greet
        """,
    )
    problem = only_error(content)
    assert position(problem) == (4, 5)
    assert "`intent` and `action`" in problem.message
    assert "one story step for each" in problem.message


def test_a_misspelled_step_key_is_an_unknown_key_with_a_suggestion(tmp_path: Path) -> None:
    content = read(tmp_path, "stories:\n- story: s\n  steps:\n  - acton: utter_greet\n")
    problem = only_error(content)
    assert (problem.code, position(problem)) == ("unknown-key", (4, 5))
    assert "did you mean 'action'" in problem.message
    assert "active_loop, slot_was_set, checkpoint, or" in problem.message


@pytest.mark.parametrize("step", ["{}", "{entities: [city]}", "{metadata: {a: 1}}"])
def test_a_step_of_known_keys_but_no_kind_says_which_keys_make_one(
    tmp_path: Path, step: str
) -> None:
    content = read(tmp_path, f"stories:\n- story: s\n  steps:\n  - {step}\n")
    problem = only_error(content)
    assert problem.code == "invalid-value"
    assert "a story step needs one of the keys intent, user, action, bot" in problem.message


def test_an_unknown_key_in_a_step_is_located_at_the_key(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        stories:
        - story: s
          steps:
          - intent: greet
            entites: [city]
        """,
    )
    problem = only_error(content)
    assert (problem.code, position(problem)) == ("unknown-key", (5, 5))
    assert "'entites'" in problem.message
    assert "entities" in problem.message


def test_action_and_bot_in_one_step_are_refused(tmp_path: Path) -> None:
    content = read(tmp_path, "stories:\n- story: s\n  steps:\n  - action: a\n    bot: hi\n")
    assert "`action` or `bot`, not both" in only_error(content).message


def test_rules_refuse_checkpoints_and_conditions_refuse_user_turns(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        rules:
        - rule: r
          condition:
          - intent: greet
          steps:
          - checkpoint: c
        """,
    )
    messages = {position(p): p.message for p in errors(content)}
    assert set(messages) == {(4, 5), (6, 5)}
    assert "cannot be used in rules" in messages[(6, 5)]
    assert "active_loop, slot_was_set" in messages[(4, 5)]


def test_an_annotation_error_is_found_even_when_the_story_has_other_errors(
    tmp_path: Path,
) -> None:
    content = read(
        tmp_path,
        """
        stories:
        - story: s
          steps:
          - acton: x
          - user: |
              hi [there]{"entity": }
            intent: greet
        """,
    )
    assert sorted((p.code, position(p)) for p in errors(content)) == [
        ("annotation-syntax", (6, 28)),
        ("unknown-key", (4, 5)),
    ]


def test_entity_entries_with_two_names_or_unknown_keys_are_reported(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        stories:
        - story: s
          steps:
          - intent: inform
            entities:
            - city: Rome
              country: Italy
            - entity: city
              rle: from
        """,
    )
    found = {(p.code, position(p)) for p in errors(content)}
    assert found == {("invalid-value", (6, 7)), ("unknown-key", (9, 7))}


# --- stories and rules --------------------------------------------------------------------


def test_every_step_kind_is_converted(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        version: "3.1"
        stories:
        - story: all kinds
          metadata: {author: me}
          steps:
          - checkpoint: start
            slot_was_set:
            - mood: happy
          - intent: inform
            entities:
            - city
            - city: Berlin
              role: to
            - entity: city
              value: Rome
              group: "1"
            metadata: {turn: 1}
          - action: utter_ok
          - bot: Here you go
          - active_loop: restaurant_form
          - active_loop: null
          - slot_was_set:
            - cuisine
            - seats: 4
              outdoor: true
          - or:
            - intent: affirm
            - user: "[yes](answer) please"
            - slot_was_set:
              - confirmed: true
        """,
    )
    assert content.problems == []
    (story,) = content.stories
    assert story.name == "all kinds"
    assert story.metadata == {"author": "me"}
    assert story.steps == [
        CheckpointStep(checkpoint="start", slot_was_set=[SlotValue(name="mood", value="happy")]),
        UserStep(
            intent="inform",
            entities=[
                StepEntity(entity="city", value_given=False),
                StepEntity(entity="city", value="Berlin", role="to"),
                StepEntity(entity="city", value="Rome", group="1"),
            ],
            metadata={"turn": 1},
        ),
        ActionStep(action="utter_ok"),
        ActionStep(bot="Here you go"),
        ActiveLoopStep(active_loop="restaurant_form"),
        ActiveLoopStep(active_loop=None),
        SlotWasSetStep(
            slots=[
                SlotValue(name="cuisine", value_given=False),
                SlotValue(name="seats", value=4),
                SlotValue(name="outdoor", value=True),
            ]
        ),
        OrStep(
            alternatives=[
                UserStep(intent="affirm"),
                UserStep(user="[yes](answer) please"),
                SlotWasSetStep(slots=[SlotValue(name="confirmed", value=True)]),
            ]
        ),
    ]


def test_rules_keep_conditions_and_flags(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        rules:
        - rule: submit
          condition:
          - active_loop: restaurant_form
          - slot_was_set:
            - requested_slot: null
          steps:
          - action: restaurant_form
          - active_loop: null
          wait_for_user_input: false
        - rule: welcome
          conversation_start: true
          steps:
          - intent: greet
          - action: utter_greet
        """,
    )
    assert content.problems == []
    submit, welcome = content.rules
    assert submit.condition == [
        ActiveLoopStep(active_loop="restaurant_form"),
        SlotWasSetStep(slots=[SlotValue(name="requested_slot", value=None)]),
    ]
    assert (submit.conversation_start, submit.wait_for_user_input) == (False, False)
    assert (welcome.conversation_start, welcome.wait_for_user_input) == (True, True)
    assert content.locations[("rules", 0, "condition", 1)].line == 5
    assert content.locations[("rules", 1, "steps", 1)].line == 15


def test_end_to_end_user_text_stays_annotated(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        stories:
        - story: e2e
          steps:
          - user: |
              I am in [Berlin](city)
            intent: inform
          - user: hi
        """,
        name="test_stories.yml",
    )
    assert content.problems == []
    assert [s.user for s in content.stories[0].steps if isinstance(s, UserStep)] == [
        "I am in [Berlin](city)",
        "hi",
    ]


def test_end_to_end_user_text_annotations_are_checked(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        stories:
        - story: e2e
          steps:
          - intent: inform
            user: |
              I am
              in [Berlin]{"entity": "city", "value": }
        """,
    )
    assert position(only_error(content)) == (7, 46)


def test_an_intent_written_with_a_slash_is_read_without_it(tmp_path: Path) -> None:
    content = read(tmp_path, "stories:\n- story: s\n  steps:\n  - intent: /greet\n")
    assert [p.code for p in content.problems] == ["intent-prefix"]
    assert content.stories[0].steps == [UserStep(intent="greet")]


def test_locations_are_keyed_by_paths_local_to_the_file(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        stories:
        - story: one
          steps:
          - intent: greet
            entities:
            - name: Ann
          - action: utter_greet
        - story: two
          steps:
          - or:
            - intent: a
            - intent: b
        """,
    )
    assert position_of(content, ("stories", 0)) == (2, 3)
    assert position_of(content, ("stories", 0, "steps", 0, "entities", 0)) == (6, 7)
    assert position_of(content, ("stories", 0, "steps", 1)) == (7, 5)
    assert position_of(content, ("stories", 1, "steps", 0, "alternatives", 1)) == (12, 7)


# --- responses, files, merging ------------------------------------------------------------


def test_retrieval_responses_are_read_with_their_locations(tmp_path: Path) -> None:
    content = read(
        tmp_path,
        """
        responses:
          utter_chitchat/ask_name:
          - text: I am a bot.
            image: https://example.org/bot.png
          - text: Call me bot.
        """,
    )
    assert content.problems == []
    variations = content.responses["utter_chitchat/ask_name"]
    assert [v.text for v in variations] == ["I am a bot.", "Call me bot."]
    assert variations[0].image == "https://example.org/bot.png"
    assert content.response_locations["utter_chitchat/ask_name"].line == 3


def test_an_empty_file_holds_nothing(tmp_path: Path) -> None:
    content = read(tmp_path, "# nothing yet\n")
    assert content == TrainingDataContent()


def test_rasa_2_files_read_and_unknown_versions_warn(tmp_path: Path) -> None:
    assert read(tmp_path, 'version: "2.0"\nnlu: []\n').problems == []
    content = read(tmp_path, 'version: "9.0"\nnlu: []\n')
    assert [(p.code, position(p)) for p in content.problems] == [("unknown-version", (1, 10))]


def test_merge_appends_and_keeps_the_first_response(tmp_path: Path) -> None:
    first = read(
        tmp_path,
        "nlu:\n- intent: a\n  examples: '- x'\nresponses:\n  utter_q/a:\n  - text: one\n",
        name="one.yml",
    )
    second = read(
        tmp_path,
        "stories:\n- story: s\n  steps:\n  - intent: a\nresponses:\n  utter_q/a:\n  - text: two\n",
        name="two.yml",
    )
    first.merge(second)
    assert len(first.nlu.examples) == 1
    assert [s.name for s in first.stories] == ["s"]
    assert first.responses["utter_q/a"][0].text == "one"
    (warning,) = first.problems
    assert warning.code == "duplicate-definition"
    assert warning.location is not None
    assert warning.location.file.name == "two.yml"
