"""Writing projects back as Rasa 3.x files (``parley.project.writer``).

The first tests check the text of each file kind for models built in code; the last ones
write a project that uses every feature of the format, read it back, and compare.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from parley.core.domain import (
    Action,
    Button,
    Domain,
    Entity,
    Form,
    Intent,
    MappingCondition,
    MappingType,
    ResponseCondition,
    ResponseVariation,
    SessionConfig,
    Slot,
    SlotMapping,
    SlotType,
)
from parley.core.story import (
    ActionStep,
    ActiveLoopStep,
    CheckpointStep,
    OrStep,
    Rule,
    SlotValue,
    SlotWasSetStep,
    Step,
    StepEntity,
    Story,
    UserStep,
)
from parley.core.training_data import (
    EntityAnnotation,
    Example,
    LookupTable,
    NLUData,
    RegexPattern,
    Synonym,
)
from parley.errors import ProjectError
from parley.project import ComponentSpec, ModelConfig, Project, TestData, load_project
from parley.project.writer import (
    dump_config,
    dump_domain,
    dump_nlu,
    dump_rules,
    dump_stories,
    dump_test_stories,
    dump_yaml,
    write_project,
)
from parley.project.yaml_file import read_yaml_text


def parsed(text: str) -> Any:
    """``text`` read the way project files are read (YAML 1.2)."""
    return read_yaml_text(Path("written.yml"), text).data


def block(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- domain -------------------------------------------------------------------------------


def test_a_domain_is_written_with_only_what_differs_from_the_defaults() -> None:
    domain = Domain(
        intents=[
            Intent(name="greet"),
            Intent(name="chitchat", use_entities=[]),
            Intent(name="inform", ignore_entities=["noise"]),
        ],
        entities=[Entity(name="city", roles=["from", "to"]), Entity(name="noise")],
        slots=[
            Slot(
                name="city",
                type=SlotType.TEXT,
                mappings=[
                    SlotMapping(
                        type=MappingType.FROM_ENTITY,
                        entity="city",
                        role="to",
                        intent=["inform"],
                        conditions=[MappingCondition(active_loop="trip_form")],
                    )
                ],
            ),
            # Readers default `influence_conversation` to false for `any` slots only.
            Slot(name="seen", type=SlotType.ANY, influence_conversation=False),
        ],
        responses={"utter_greet": [ResponseVariation(text="Hello!")]},
        actions=[Action(name="action_search"), Action(name="action_book", send_domain=True)],
        forms=[Form(name="trip_form", required_slots=["city"])],
    )
    assert dump_domain(domain) == block(
        """
        version: "3.1"

        intents:
        - greet
        - chitchat:
            use_entities: []
        - inform:
            ignore_entities:
            - noise

        entities:
        - city:
            roles:
            - from
            - to
        - noise

        slots:
          city:
            type: text
            mappings:
            - type: from_entity
              entity: city
              role: to
              intent: inform
              conditions:
              - active_loop: trip_form
          seen:
            type: any
            mappings: []

        responses:
          utter_greet:
          - text: Hello!

        actions:
        - action_search
        - action_book:
            send_domain: true

        forms:
          trip_form:
            required_slots:
            - city

        session_config:
          session_expiration_time: 60
          carry_over_slots_to_new_session: true
        """
    )


def test_slot_fields_are_written_when_set_and_mappings_always() -> None:
    slots = parsed(
        dump_domain(
            Domain(
                slots=[
                    Slot(name="any_on", type=SlotType.ANY, influence_conversation=True),
                    Slot(name="text_off", type=SlotType.TEXT, influence_conversation=False),
                    Slot(
                        name="size",
                        type=SlotType.CATEGORICAL,
                        values=["small", "yes", "2"],
                        initial_value="small",
                    ),
                    Slot(name="ratio", type=SlotType.FLOAT, min_value=0.5, max_value=10.0),
                ]
            )
        )
    )["slots"]
    assert slots == {
        "any_on": {"type": "any", "influence_conversation": True, "mappings": []},
        "text_off": {"type": "text", "influence_conversation": False, "mappings": []},
        "size": {
            "type": "categorical",
            "initial_value": "small",
            "values": ["small", "yes", "2"],
            "mappings": [],
        },
        "ratio": {"type": "float", "min_value": 0.5, "max_value": 10, "mappings": []},
    }


def test_slot_mappings_name_several_intents_as_a_list_and_keep_values() -> None:
    slot = Slot(
        name="outdoor",
        type=SlotType.BOOL,
        mappings=[
            SlotMapping(
                type=MappingType.FROM_INTENT,
                intent=["affirm", "agree"],
                not_intent=["deny"],
                value=True,
                conditions=[MappingCondition(active_loop="f", requested_slot="outdoor")],
            ),
            SlotMapping(type=MappingType.CUSTOM, action="action_fill"),
        ],
    )
    assert parsed(dump_domain(Domain(slots=[slot])))["slots"]["outdoor"]["mappings"] == [
        {
            "type": "from_intent",
            "intent": ["affirm", "agree"],
            "not_intent": "deny",
            "value": True,
            "conditions": [{"active_loop": "f", "requested_slot": "outdoor"}],
        },
        {"type": "custom", "action": "action_fill"},
    ]


def test_responses_keep_every_key_and_multi_line_text_is_a_literal_block() -> None:
    variation = ResponseVariation(
        text="Pick one:\n- tea\n- coffee",
        buttons=[
            Button(title="Yes", payload="/affirm"),
            Button(title="Site", url="https://example.org", type="web_url"),
        ],
        channel="slack",
        condition=[ResponseCondition(name="logged_in", value=True)],
        id="pick",
        metadata={"rephrase": True},
        custom={"blocks": [{"type": "divider"}]},
        quick_replies=[{"title": "a"}],
    )
    text = dump_domain(Domain(responses={"utter_pick": [variation]}))
    assert "  - text: |-\n      Pick one:\n      - tea\n      - coffee\n" in text
    assert "title: 'Yes'" in text  # a string to YAML 1.1 tools as well
    assert parsed(text)["responses"]["utter_pick"] == [
        {
            "text": "Pick one:\n- tea\n- coffee",
            "buttons": [
                {"title": "Yes", "payload": "/affirm"},
                {"title": "Site", "url": "https://example.org", "type": "web_url"},
            ],
            "custom": {"blocks": [{"type": "divider"}]},
            "channel": "slack",
            "condition": [{"type": "slot", "name": "logged_in", "value": True}],
            "id": "pick",
            "metadata": {"rephrase": True},
            "quick_replies": [{"title": "a"}],
        }
    ]


def test_domain_settings_that_differ_from_the_defaults_are_written() -> None:
    data = parsed(
        dump_domain(
            Domain(
                forms=[Form(name="f", required_slots=[], ignored_intents=["chitchat"])],
                e2e_actions=["Hi there!"],
                session_config=SessionConfig(
                    session_expiration_time=0.5, carry_over_slots_to_new_session=False
                ),
                store_entities_as_slots=False,
            )
        )
    )
    assert data == {
        "version": "3.1",
        "config": {"store_entities_as_slots": False},
        "forms": {"f": {"required_slots": [], "ignored_intents": ["chitchat"]}},
        "e2e_actions": ["Hi there!"],
        "session_config": {
            "session_expiration_time": 0.5,
            "carry_over_slots_to_new_session": False,
        },
    }


def test_lists_shared_between_models_are_written_out_each_time() -> None:
    first = Form(name="first", required_slots=["a", "b"])
    second = first.model_copy(update={"name": "second"})  # shares required_slots
    text = dump_domain(Domain(forms=[first, second]))
    assert "&id" not in text
    assert "*id" not in text
    assert parsed(text)["forms"] == {
        "first": {"required_slots": ["a", "b"]},
        "second": {"required_slots": ["a", "b"]},
    }


# --- NLU ----------------------------------------------------------------------------------


def entity(start: int, end: int, value: object, name: str, **kwargs: str) -> EntityAnnotation:
    return EntityAnnotation(start=start, end=end, value=value, entity=name, **kwargs)


def test_nlu_examples_are_literal_lines_with_their_annotations() -> None:
    nlu = NLUData(
        examples=[
            Example(text="hi", intent="greet"),
            Example(text="hello there", intent="greet"),
            Example(text="to Berlin", intent="inform", entities=[entity(3, 9, "Berlin", "city")]),
            Example(
                text="from LA",
                intent="inform",
                entities=[entity(5, 7, "Los Angeles", "city", role="from")],
            ),
        ],
        synonyms=[Synonym(value="Los Angeles", examples=["LA", "L.A."])],
        regexes=[RegexPattern(name="zip", patterns=[r"\d{5}"])],
        lookups=[LookupTable(name="city", elements=["Berlin", "Paris"])],
        intent_metadata={"greet": {"sentiment": "neutral"}},
    )
    assert dump_nlu(nlu) == block(
        r"""
        version: "3.1"

        nlu:
        - intent: greet
          metadata:
            sentiment: neutral
          examples: |
            - hi
            - hello there

        - intent: inform
          examples: |
            - to [Berlin](city)
            - from [LA]{"entity": "city", "value": "Los Angeles", "role": "from"}

        - synonym: Los Angeles
          examples: |
            - LA
            - L.A.

        - regex: zip
          examples: |
            - \d{5}

        - lookup: city
          examples: |
            - Berlin
            - Paris
        """
    )


def test_interleaved_intents_are_written_as_several_items_to_keep_the_order() -> None:
    nlu = NLUData(
        examples=[
            Example(text="a", intent="one"),
            Example(text="b", intent="two"),
            Example(text="c", intent="one"),
        ]
    )
    items = parsed(dump_nlu(nlu))["nlu"]
    assert [(item["intent"], item["examples"]) for item in items] == [
        ("one", "- a\n"),
        ("two", "- b\n"),
        ("one", "- c\n"),
    ]


def test_examples_with_metadata_use_the_list_form() -> None:
    nlu = NLUData(
        examples=[
            Example(text="hi", intent="greet", metadata={"source": "chat"}),
            Example(text="hey", intent="greet"),
        ]
    )
    assert parsed(dump_nlu(nlu))["nlu"] == [
        {
            "intent": "greet",
            "examples": [{"text": "hi", "metadata": {"source": "chat"}}, {"text": "hey"}],
        }
    ]


@pytest.mark.parametrize(
    "text",
    [
        "two\nlines",
        "tab\tat the end\t",
        "line\u2028separator",
        "next\x85line",
        "carriage\rreturn",
        "bell\x07",
    ],
)
def test_a_text_that_cannot_stand_on_a_line_is_written_exactly_in_the_list_form(
    text: str,
) -> None:
    nlu = NLUData(examples=[Example(text="fine", intent="i"), Example(text=text, intent="i")])
    written = dump_nlu(nlu)
    assert parsed(written)["nlu"] == [
        {"intent": "i", "examples": [{"text": "fine"}, {"text": text}]}
    ]


def test_plain_brackets_that_look_like_annotations_are_escaped() -> None:
    nlu = NLUData(examples=[Example(text="press [1](sic)", intent="i")])
    assert parsed(dump_nlu(nlu))["nlu"][0]["examples"] == "- press \\[1](sic)\n"


def test_synonym_entries_with_odd_characters_are_double_quoted_lines() -> None:
    nlu = NLUData(synonyms=[Synonym(value="x", examples=["a\u2028b", "c"])])
    assert '  examples: "- a\\Lb\\n- c\\n"' in dump_nlu(nlu)
    assert parsed(dump_nlu(nlu))["nlu"][0]["examples"] == "- a\u2028b\n- c\n"


def test_nlu_data_that_cannot_be_written_is_refused_with_every_reason() -> None:
    nlu = NLUData(
        examples=[
            Example(text="no intent"),
            Example(
                text="ab", intent="i", entities=[entity(0, 2, "ab", "e"), entity(1, 2, "b", "f")]
            ),
        ],
        synonyms=[Synonym(value="x", examples=[" padded"])],
    )
    with pytest.raises(ProjectError) as raised:
        dump_nlu(nlu)
    messages = [problem.message for problem in raised.value.problems]
    assert len(messages) == 3
    assert "example 0 ('no intent') has no intent" in messages[0]
    assert messages[1].startswith("example 1: ")
    assert "overlaps" in messages[1]
    assert "synonym 'x': ' padded' cannot be written" in messages[2]


@pytest.mark.parametrize("text", ["  padded  ", "line break\n", "\r\nfirst", ""])
def test_an_example_text_that_readers_would_strip_is_refused(text: str) -> None:
    # Found by the round-trip property: the list form wrote it, and reading stripped it.
    with pytest.raises(ProjectError) as raised:
        dump_nlu(NLUData(examples=[Example(text=text, intent="i")]))
    (problem,) = raised.value.problems
    assert problem.code == "unwritable-example"
    assert "readers strip" in problem.message


def test_a_domain_declaring_a_name_twice_is_refused() -> None:
    # Found by the round-trip property: the second slot silently replaced the first.
    domain = Domain(
        intents=[Intent(name="greet"), Intent(name="greet", use_entities=False)],
        slots=[Slot(name="s", type=SlotType.TEXT), Slot(name="s", type=SlotType.BOOL)],
        e2e_actions=["Hi!", "Hi!"],
    )
    with pytest.raises(ProjectError) as raised:
        dump_domain(domain)
    assert [problem.message for problem in raised.value.problems] == [
        "intent 'greet' is declared 2 times; a domain declares each name once, so merge them "
        "into one",
        "slot 's' is declared 2 times; a domain declares each name once, so merge them into one",
        "end-to-end bot text 'Hi!' is declared 2 times; a domain declares each name once, so "
        "merge them into one",
    ]


def test_a_component_option_called_name_is_refused() -> None:
    # Found by the round-trip property: the option overwrote the component's own name.
    config = ModelConfig(pipeline=[ComponentSpec(name="DIETClassifier", options={"name": "x"})])
    with pytest.raises(ProjectError) as raised:
        dump_config(config)
    (problem,) = raised.value.problems
    assert problem.code == "unwritable-component"
    assert "'DIETClassifier' has an option called `name`" in problem.message


def test_negative_zero_keeps_its_sign() -> None:
    # Found by the round-trip property: -0.0 was written as 0.
    slot = Slot(name="f", type=SlotType.FLOAT, min_value=-0.0, max_value=0.0)
    assert parsed(dump_domain(Domain(slots=[slot])))["slots"]["f"] == {
        "type": "float",
        "min_value": -0.0,
        "max_value": 0,
        "mappings": [],
    }
    assert "min_value: -0.0" in dump_domain(Domain(slots=[slot]))


# --- stories and rules --------------------------------------------------------------------


def test_stories_are_written_with_rasa_step_keys() -> None:
    story = Story(
        name="trip",
        steps=[
            UserStep(
                intent="inform",
                entities=[
                    StepEntity(entity="city", value="Berlin"),
                    StepEntity(entity="date", value_given=False),
                    StepEntity(entity="place", value="LA", role="from"),
                ],
            ),
            ActionStep(action="trip_form"),
            ActiveLoopStep(active_loop="trip_form"),
            SlotWasSetStep(
                slots=[
                    SlotValue(name="city", value="Berlin"),
                    SlotValue(name="day", value_given=False),
                ]
            ),
            ActiveLoopStep(active_loop=None),
            OrStep(alternatives=[UserStep(intent="affirm"), UserStep(intent="thanks")]),
            UserStep(intent="greet", user="hi [Ann](name)!", metadata={"channel": "web"}),
            ActionStep(bot="Hello Ann."),
            CheckpointStep(checkpoint="done", slot_was_set=[SlotValue(name="city", value=None)]),
        ],
        metadata={"owner": "me"},
    )
    assert dump_stories([story]) == block(
        """
        version: "3.1"

        stories:
        - story: trip
          metadata:
            owner: me
          steps:
          - intent: inform
            entities:
            - city: Berlin
            - date
            - entity: place
              value: LA
              role: from
          - action: trip_form
          - active_loop: trip_form
          - slot_was_set:
            - city: Berlin
            - day
          - active_loop: null
          - or:
            - intent: affirm
            - intent: thanks
          - intent: greet
            user: hi [Ann](name)!
            metadata:
              channel: web
          - bot: Hello Ann.
          - checkpoint: done
            slot_was_set:
            - city: null
        """
    )


def test_rules_write_their_options_only_when_not_the_default() -> None:
    rules = [
        Rule(name="plain", steps=[UserStep(intent="greet"), ActionStep(action="utter_greet")]),
        Rule(
            name="special",
            condition=[
                ActiveLoopStep(active_loop="f"),
                SlotWasSetStep(slots=[SlotValue(name="s", value=True)]),
            ],
            conversation_start=True,
            steps=[ActionStep(action="utter_x")],
            wait_for_user_input=False,
        ),
    ]
    assert dump_rules(rules) == block(
        """
        version: "3.1"

        rules:
        - rule: plain
          steps:
          - intent: greet
          - action: utter_greet

        - rule: special
          condition:
          - active_loop: f
          - slot_was_set:
            - s: true
          conversation_start: true
          steps:
          - action: utter_x
          wait_for_user_input: false
        """
    )


def test_an_entity_named_like_a_key_of_the_long_form_uses_the_long_form() -> None:
    step = UserStep(intent="i", entities=[StepEntity(entity="role", value="admin")])
    written = parsed(dump_stories([Story(name="s", steps=[step])]))
    assert written["stories"][0]["steps"][0]["entities"] == [{"entity": "role", "value": "admin"}]


@pytest.mark.parametrize(
    ("step", "fault"),
    [
        (UserStep(intent="i", user=" hello"), "the user text ' hello' is empty or has spaces"),
        (UserStep(user="hi\u2028"), "the user text 'hi\\u2028' is empty"),
        (UserStep(user=""), "the user text '' is empty"),
        (UserStep(intent="/greet"), "the intent '/greet' starts with `/`"),
        (ActionStep(action="a", bot="hi"), "it has both an action and a bot text"),
        (OrStep(alternatives=[]), "the `or` has no alternatives"),
        (OrStep(alternatives=[UserStep(intent="/x")]), "the intent '/x' starts with `/`"),
    ],
)
def test_a_step_that_would_not_read_back_as_it_is_is_refused(step: Step, fault: str) -> None:
    # Found by the round-trip property: readers stripped these, or refused the file.
    story = Story(name="s", steps=[UserStep(intent="i"), step])
    with pytest.raises(ProjectError) as raised:
        dump_stories([story])
    (problem,) = raised.value.problems
    assert problem.code == "unwritable-step"
    assert problem.message.startswith(f"story 0 ('s'), step 1: {fault}")


def test_a_checkpoint_in_a_rule_is_refused() -> None:
    rule = Rule(name="r", steps=[CheckpointStep(checkpoint="c"), UserStep(intent="i")])
    with pytest.raises(ProjectError, match="rule 0 \\('r'\\), step 0: a rule cannot have"):
        dump_rules([rule])


def test_test_stories_hold_stories_and_rules_in_one_file() -> None:
    tests = TestData(
        stories=[Story(name="s", steps=[UserStep(intent="i", user="hello")])],
        rules=[Rule(name="r", steps=[ActionStep(action="a")])],
    )
    assert parsed(dump_test_stories(tests)) == {
        "version": "3.1",
        "stories": [{"story": "s", "steps": [{"intent": "i", "user": "hello"}]}],
        "rules": [{"rule": "r", "steps": [{"action": "a"}]}],
    }


# --- configuration and other files --------------------------------------------------------


def test_config_lists_components_as_name_then_options() -> None:
    config = ModelConfig(
        recipe="default.v1",
        language="de",
        pipeline=[
            ComponentSpec(name="WhitespaceTokenizer"),
            ComponentSpec(name="DIETClassifier", options={"epochs": 100, "constrain": None}),
        ],
        policies=[ComponentSpec(name="RulePolicy")],
        assistant_id="bot-1",
    )
    assert dump_config(config) == block(
        """
        recipe: default.v1

        language: de

        pipeline:
        - name: WhitespaceTokenizer
        - name: DIETClassifier
          epochs: 100
          constrain: null

        policies:
        - name: RulePolicy

        assistant_id: bot-1
        """
    )


def test_an_empty_pipeline_differs_from_none() -> None:
    assert parsed(dump_config(ModelConfig(pipeline=[]))) == {"pipeline": []}
    assert parsed(dump_config(ModelConfig())) == {}


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "No",
        "on",
        "2020-01-01",
        "0x1F",
        "1e3",
        "~",
        "null",
        "",
        " lead",
        "#not a comment",
        "- not a list",
        "key: value",
        "{a}",
        "a\n\nb\n\n",
        "\nstarts with a newline",
        "trailing spaces  \nhere",
        "\u2029\ufeff\x00",
        "x" * 300,
    ],
)
def test_any_string_reads_back_as_the_same_string(value: str) -> None:
    data = {"text": value, value: [value], "nested": {"deep": [{"v": value}]}}
    assert parsed(dump_yaml(data)) == data


def test_lines_are_never_folded() -> None:
    long = " ".join(["word"] * 100)
    assert dump_yaml({"text": long}) == f"text: {long}\n"


# --- writing folders ----------------------------------------------------------------------


def test_a_minimal_project_writes_only_the_domain_and_the_config(tmp_path: Path) -> None:
    written = write_project(Project(), tmp_path / "bot")
    assert written == [tmp_path / "bot" / "domain.yml", tmp_path / "bot" / "config.yml"]
    assert (
        (tmp_path / "bot" / "domain.yml").read_text(encoding="utf-8").startswith('version: "3.1"\n')
    )


def test_a_folder_with_a_project_is_refused_without_overwrite(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text("nlu: []\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="already holds a project") as raised:
        write_project(Project(), tmp_path)
    assert "overwrite" in str(raised.value)
    assert not (tmp_path / "domain.yml").exists()


def test_files_a_reader_ignores_do_not_count_as_a_project(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "notes.yml").write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# my bot\n", encoding="utf-8")
    write_project(Project(), tmp_path)
    assert (tmp_path / "tests" / "notes.yml").is_file()


def test_overwrite_replaces_the_project_and_removes_files_it_no_longer_has(
    tmp_path: Path,
) -> None:
    with_rules = Project(rules=[Rule(name="r", steps=[ActionStep(action="a")])])
    write_project(with_rules, tmp_path)
    assert (tmp_path / "data" / "rules.yml").is_file()
    write_project(Project(), tmp_path, overwrite=True)
    assert not (tmp_path / "data" / "rules.yml").exists()
    assert load_project(tmp_path) == Project()


def test_overwrite_refuses_when_other_project_files_would_be_read_along(tmp_path: Path) -> None:
    write_project(Project(), tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "extra.yml").write_text('version: "3.1"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match="other project files") as raised:
        write_project(Project(), tmp_path, overwrite=True)
    assert [str(p.location) for p in raised.value.problems] == [str(tmp_path / "data/extra.yml")]


def test_a_project_that_cannot_be_written_leaves_the_folder_untouched(tmp_path: Path) -> None:
    broken = Project(nlu=NLUData(examples=[Example(text="orphan")]))
    with pytest.raises(ProjectError, match="cannot be written") as raised:
        write_project(broken, tmp_path / "bot")
    assert not (tmp_path / "bot").exists()
    assert str(raised.value.problems[0].location) == "data/nlu.yml"


# --- round trip ---------------------------------------------------------------------------


def kitchen_sink() -> Project:
    """A project using every part of the format the writer knows, all consistent."""
    domain = Domain(
        intents=[
            Intent(name="greet"),
            Intent(name="inform", use_entities=["city", "date"]),
            Intent(name="chitchat", use_entities=False),
            Intent(name="affirm", ignore_entities=["date"]),
            Intent(name="deny"),
            Intent(name="faq"),
        ],
        entities=[
            Entity(name="city", roles=["from", "to"], groups=["1", "2"]),
            Entity(name="date", influence_conversation=False),
            Entity(name="name"),
        ],
        slots=[
            Slot(
                name="city",
                type=SlotType.TEXT,
                mappings=[
                    SlotMapping(
                        type=MappingType.FROM_ENTITY,
                        entity="city",
                        role="to",
                        intent=["inform"],
                        conditions=[MappingCondition(active_loop="trip_form")],
                    )
                ],
            ),
            Slot(
                name="outdoor",
                type=SlotType.BOOL,
                initial_value=False,
                mappings=[
                    SlotMapping(type=MappingType.FROM_INTENT, intent=["affirm"], value=True),
                    SlotMapping(
                        type=MappingType.FROM_INTENT, intent=["deny", "chitchat"], value=False
                    ),
                ],
            ),
            Slot(
                name="size",
                type=SlotType.CATEGORICAL,
                values=["small", "large"],
                mappings=[SlotMapping(type=MappingType.CUSTOM, action="action_size")],
            ),
            Slot(
                name="ratio",
                type=SlotType.FLOAT,
                min_value=-1.5,
                max_value=2.0,
                influence_conversation=False,
                mappings=[SlotMapping(type=MappingType.FROM_TEXT, not_intent=["deny"])],
            ),
            Slot(name="notes", type=SlotType.LIST, mappings=[]),
            Slot(name="blob", type=SlotType.ANY, influence_conversation=True, mappings=[]),
        ],
        responses={
            "utter_greet": [
                ResponseVariation(text="Hi!"),
                ResponseVariation(text="Hello {name},\nhow are you?", channel="web"),
            ],
            "utter_ask_city": [
                ResponseVariation(
                    text="Where to?",
                    buttons=[
                        Button(title="Berlin", payload='/inform{"city": "Berlin"}'),
                        Button(title="Yes", payload="/affirm", extra="kept"),
                    ],
                    condition=[ResponseCondition(name="outdoor", value=True)],
                    metadata={"rephrase": True},
                    quick_replies=[{"title": "Paris"}],
                )
            ],
            "utter_card": [ResponseVariation(custom={"card": {"items": [1, "two", None]}})],
            "utter_image": [ResponseVariation(image="https://example.org/a.png", id="img")],
            "utter_faq/opening": [ResponseVariation(text="We open at 9.")],
        },
        actions=[Action(name="action_size"), Action(name="action_book", send_domain=True)],
        forms=[Form(name="trip_form", required_slots=["city", "outdoor"], ignored_intents=["faq"])],
        e2e_actions=["Have a nice trip!"],
        session_config=SessionConfig(
            session_expiration_time=30, carry_over_slots_to_new_session=False
        ),
        store_entities_as_slots=False,
    )
    nlu = NLUData(
        examples=[
            Example(text="hi", intent="greet"),
            Example(
                text="to Berlin from LA",
                intent="inform",
                entities=[
                    entity(3, 9, "Berlin", "city", role="to", group="1"),
                    entity(15, 17, "Los Angeles", "city", role="from"),
                ],
            ),
            Example(
                text="NYC tomorrow",
                intent="inform",
                entities=[
                    entity(0, 3, "NYC", "city"),
                    entity(0, 3, "New York", "name"),
                    entity(4, 12, "tomorrow", "date"),
                ],
            ),
            Example(text="hello [sic](really)", intent="greet"),
            Example(text="hey", intent="greet", metadata={"source": "chat", "n": 2}),
            Example(text="when do you open?", intent="faq/opening"),
            Example(text="yes", intent="affirm"),
            Example(text="no", intent="deny"),
            Example(text="tell me a joke", intent="chitchat"),
            Example(text="C:\\temp and \\d+ are fine", intent="chitchat"),
            Example(text="two\nlines", intent="chitchat"),
            Example(text="über 😀 «quotes» 'single' \"double\"", intent="chitchat"),
        ],
        synonyms=[Synonym(value="Los Angeles", examples=["LA", "L.A."])],
        regexes=[RegexPattern(name="zip", patterns=[r"\d{5}", r"[A-Z]{2}-\d+"])],
        lookups=[LookupTable(name="city", elements=["Berlin", "Paris", "New York"])],
        intent_metadata={"greet": {"sentiment": "neutral"}},
    )
    stories = [
        Story(
            name="trip",
            steps=[
                UserStep(intent="greet"),
                ActionStep(action="utter_greet"),
                UserStep(
                    intent="inform",
                    entities=[
                        StepEntity(entity="city", value="Berlin", role="to"),
                        StepEntity(entity="date", value_given=False),
                    ],
                ),
                ActionStep(action="trip_form"),
                ActiveLoopStep(active_loop="trip_form"),
                SlotWasSetStep(
                    slots=[
                        SlotValue(name="city", value="Berlin"),
                        SlotValue(name="outdoor", value_given=False),
                    ]
                ),
                ActiveLoopStep(active_loop=None),
                CheckpointStep(checkpoint="trip_done"),
            ],
            metadata={"author": "test"},
        ),
        Story(
            name="after the trip",
            steps=[
                CheckpointStep(
                    checkpoint="trip_done", slot_was_set=[SlotValue(name="outdoor", value=True)]
                ),
                OrStep(
                    alternatives=[
                        UserStep(intent="affirm"),
                        SlotWasSetStep(slots=[SlotValue(name="size", value="large")]),
                    ]
                ),
                ActionStep(action="action_book", metadata={"priority": 1}),
                UserStep(user="thanks [Ann](name)", intent="greet"),
                ActionStep(bot="Have a nice trip!"),
            ],
        ),
    ]
    rules = [
        Rule(
            name="greet at start",
            conversation_start=True,
            steps=[UserStep(intent="greet"), ActionStep(action="utter_greet")],
        ),
        Rule(
            name="answer faq in form",
            condition=[
                ActiveLoopStep(active_loop="trip_form"),
                SlotWasSetStep(slots=[SlotValue(name="requested_slot", value="city")]),
            ],
            steps=[
                UserStep(intent="faq"),
                ActionStep(action="utter_faq"),
                ActionStep(action="trip_form"),
                ActiveLoopStep(active_loop="trip_form"),
            ],
            wait_for_user_input=False,
        ),
    ]
    tests = TestData(
        stories=[
            Story(
                name="test trip",
                steps=[
                    UserStep(intent="greet", user="hello there"),
                    ActionStep(action="utter_greet"),
                ],
            )
        ],
        rules=[
            Rule(
                name="test rule", steps=[UserStep(intent="deny"), ActionStep(action="utter_greet")]
            )
        ],
        nlu=NLUData(examples=[Example(text="howdy", intent="greet")]),
    )
    config = ModelConfig(
        recipe="default.v1",
        language="en",
        pipeline=[
            ComponentSpec(name="WhitespaceTokenizer"),
            ComponentSpec(name="CountVectorsFeaturizer", options={"analyzer": "char_wb"}),
            ComponentSpec(name="DIETClassifier", options={"epochs": 50, "layers": [256, 128]}),
            ComponentSpec(name="ResponseSelector", options={"retrieval_intent": "faq"}),
        ],
        policies=[ComponentSpec(name="RulePolicy", options={"core_fallback_threshold": 0.3})],
        assistant_id="kitchen-sink",
    )
    return Project(
        domain=domain,
        nlu=nlu,
        stories=stories,
        rules=rules,
        config=config,
        tests=tests,
        endpoints={"action_endpoint": {"url": "${ACTION_URL}"}},
        credentials={"rest": None, "socketio": {"session_persistence": True}},
    )


def test_a_project_using_every_feature_reads_back_equal(tmp_path: Path) -> None:
    project = kitchen_sink()
    written = write_project(project, tmp_path)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == [
        "config.yml",
        "credentials.yml",
        "data/nlu.yml",
        "data/rules.yml",
        "data/stories.yml",
        "domain.yml",
        "endpoints.yml",
        "tests/test_nlu.yml",
        "tests/test_stories.yml",
    ]
    assert load_project(tmp_path) == project


def test_writing_what_was_read_gives_the_same_files(tmp_path: Path) -> None:
    write_project(kitchen_sink(), tmp_path / "first")
    write_project(load_project(tmp_path / "first"), tmp_path / "second")
    for path in sorted((tmp_path / "first").rglob("*.yml")):
        again = tmp_path / "second" / path.relative_to(tmp_path / "first")
        assert again.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path
