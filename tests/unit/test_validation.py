"""Cross-file validation, on projects built in code (no files, no reader)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from parley.core.domain import (
    Action,
    Domain,
    Entity,
    Form,
    Intent,
    MappingCondition,
    MappingType,
    ResponseCondition,
    ResponseVariation,
    Slot,
    SlotMapping,
    SlotType,
)
from parley.core.problem import Location, Problem, Severity
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
from parley.core.training_data import EntityAnnotation, Example, NLUData
from parley.project import story_conflicts
from parley.project.config import ComponentSpec, ModelConfig
from parley.project.project import Project, TestData
from parley.project.source_map import ModelPath, SourceMap
from parley.project.validation import validate_project

# ---------------------------------------------------------------------------------------
# Building projects


def text(value: str) -> list[ResponseVariation]:
    return [ResponseVariation(text=value)]


def entity_mapping(entity: str, **options: Any) -> SlotMapping:
    return SlotMapping(type=MappingType.FROM_ENTITY, entity=entity, **options)


def examples(intent: str, *texts: str) -> list[Example]:
    return [Example(text=t, intent=intent) for t in texts]


def user(intent: str, **entities: Any) -> UserStep:
    return UserStep(
        intent=intent, entities=[StepEntity(entity=k, value=v) for k, v in entities.items()]
    )


def act(name: str) -> ActionStep:
    return ActionStep(action=name)


def story(name: str, *steps: Step) -> Story:
    return Story(name=name, steps=list(steps))


def rule(name: str, *steps: Step, **options: Any) -> Rule:
    return Rule(name=name, steps=list(steps), **options)


def sound_project() -> Project:
    """A small project without a single problem; each test breaks one thing in it."""
    domain = Domain(
        intents=[Intent(name=n) for n in ("greet", "goodbye", "inform", "affirm", "book")],
        entities=[
            Entity(name="cuisine"),
            Entity(name="city", roles=["from", "to"], groups=["1", "2"]),
        ],
        slots=[
            Slot(name="cuisine", type=SlotType.TEXT, mappings=[entity_mapping("cuisine")]),
            Slot(
                name="city",
                type=SlotType.TEXT,
                mappings=[entity_mapping("city", role="to", intent=["inform"])],
            ),
            Slot(
                name="size",
                type=SlotType.CATEGORICAL,
                values=["small", "large"],
                initial_value="small",
                mappings=[SlotMapping(type=MappingType.CUSTOM)],
            ),
        ],
        responses={
            "utter_greet": text("Hello {cuisine} fan!"),
            "utter_goodbye": text("Bye"),
            "utter_ask_cuisine": text("Which cuisine?"),
            "utter_ask_booking_form_city": text("Which city?"),
            "utter_done": text("Done"),
        },
        actions=[Action(name="action_book"), Action(name="utter_greet")],
        forms=[Form(name="booking_form", required_slots=["cuisine", "city"])],
    )
    nlu = NLUData(
        examples=[
            *examples("greet", "hi", "hello"),
            *examples("goodbye", "bye"),
            Example(
                text="I want thai",
                intent="inform",
                entities=[EntityAnnotation(start=7, end=11, value="thai", entity="cuisine")],
            ),
            Example(
                text="to Paris",
                intent="inform",
                entities=[
                    EntityAnnotation(start=3, end=8, value="Paris", entity="city", role="to")
                ],
            ),
            *examples("affirm", "yes"),
            *examples("book", "book a table"),
        ]
    )
    stories = [
        story("greet", user("greet"), act("utter_greet")),
        story(
            "book",
            user("book"),
            act("booking_form"),
            ActiveLoopStep(active_loop="booking_form"),
            ActiveLoopStep(active_loop=None),
            act("action_book"),
            act("utter_done"),
        ),
    ]
    rules = [rule("bye", user("goodbye"), act("utter_goodbye"))]
    return Project(domain=domain, nlu=nlu, stories=stories, rules=rules)


def locate_everything(project: Project) -> SourceMap:
    """A source map giving every part a distinct made-up line, as the reader would."""
    sources = SourceMap()
    line = iter(range(1, 100_000))

    def add(path: ModelPath, file: str) -> None:
        sources.add(path, Location(Path(file), next(line), 3))

    domain = project.domain
    for key in ("intents", "entities", "slots", "actions", "forms"):
        for index in range(len(getattr(domain, key))):
            add(("domain", key, index), "domain.yml")
    for name in domain.responses:
        add(("domain", "responses", name), "domain.yml")
    for index, example in enumerate(project.nlu.examples):
        add(("nlu", "examples", index), "data/nlu.yml")
        for number in range(len(example.entities)):
            add(("nlu", "examples", index, "entities", number), "data/nlu.yml")
    blocks: list[tuple[ModelPath, Story | Rule, str]] = [
        *((("stories", i), s, "data/stories.yml") for i, s in enumerate(project.stories)),
        *((("rules", i), r, "data/rules.yml") for i, r in enumerate(project.rules)),
        *(
            (("tests", "stories", i), s, "tests/test_stories.yml")
            for i, s in enumerate(project.tests.stories)
        ),
    ]
    for path, block, file in blocks:
        add(path, file)
        if isinstance(block, Rule):
            for number in range(len(block.condition)):
                add((*path, "condition", number), file)
        for number in range(len(block.steps)):
            add((*path, "steps", number), file)
    return sources


def check(project: Project, **options: Any) -> tuple[list[Problem], SourceMap]:
    sources = locate_everything(project)
    return validate_project(project, sources, **options), sources


def line_of(sources: SourceMap, path: ModelPath) -> int | None:
    location = sources.locate(path)
    assert location is not None
    return location.line


def only(problems: Iterable[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, f"expected one {code!r}, got {[str(p) for p in problems]}"
    return found[0]


def codes(problems: Iterable[Problem]) -> list[str]:
    return sorted(p.code for p in problems)


def test_the_sound_project_has_no_problems() -> None:
    problems, _ = check(sound_project())
    assert problems == []


# ---------------------------------------------------------------------------------------
# Intents


def test_a_story_intent_missing_from_the_domain_is_an_error_with_suggestion_and_options() -> None:
    project = sound_project()
    project.stories.append(story("typo", user("greeet"), act("utter_greet")))
    problems, sources = check(project)
    problem = only(problems, "unknown-intent")
    assert problem.severity is Severity.ERROR
    assert problem.location == sources.locate(("stories", 2, "steps", 0))
    assert "story 'typo'" in problem.message
    assert "'greeet'" in problem.message
    assert "did you mean 'greet'?" in problem.message
    assert "'affirm', 'book', 'goodbye', 'greet', 'inform'" in problem.message
    assert "intents:" in problem.message


def test_an_intent_inside_an_or_step_is_checked() -> None:
    project = sound_project()
    project.stories.append(
        story("or", OrStep(alternatives=[user("greet"), user("hullo")]), act("utter_greet"))
    )
    problems, sources = check(project)
    problem = only(problems, "unknown-intent")
    assert "'hullo'" in problem.message
    assert problem.location == sources.locate(("stories", 2, "steps", 0))


def test_rule_conditions_and_test_stories_are_checked() -> None:
    project = sound_project()
    project.rules.append(
        rule(
            "cond",
            user("greet"),
            act("utter_nope"),
            condition=[SlotWasSetStep(slots=[SlotValue(name="colour", value="red")])],
        )
    )
    project.tests = TestData(stories=[story("test", user("farewell"), act("utter_goodbye"))])
    problems, sources = check(project)
    assert codes(problems) == ["missing-response", "unknown-intent", "unknown-slot"]
    assert only(problems, "unknown-slot").location == sources.locate(("rules", 1, "condition", 0))
    assert only(problems, "unknown-intent").location == sources.locate(
        ("tests", "stories", 0, "steps", 0)
    )
    assert "test story 'test'" in only(problems, "unknown-intent").message


def test_builtin_intents_need_no_declaration_or_examples() -> None:
    project = sound_project()
    project.domain.intents.append(Intent(name="EXTERNAL_reminder"))
    project.domain.intents.append(Intent(name="out_of_scope"))
    project.stories.append(story("fallback", user("nlu_fallback"), act("action_default_fallback")))
    project.stories.append(story("restart", user("restart"), act("action_restart")))
    project.stories.append(story("reminder", user("EXTERNAL_reminder"), act("utter_done")))
    problems, _ = check(project)
    assert problems == []


def test_nlu_intent_missing_from_the_domain_is_a_warning() -> None:
    project = sound_project()
    project.nlu.examples.extend(examples("thank", "thanks", "thank you"))
    problems, sources = check(project)
    problem = only(problems, "intent-not-in-domain")
    assert problem.severity is Severity.WARNING
    assert problem.location == sources.locate(("nlu", "examples", 7))
    assert "'thank'" in problem.message


def test_domain_intent_without_examples_is_a_warning() -> None:
    project = sound_project()
    project.domain.intents.append(Intent(name="deny"))
    problems, sources = check(project)
    problem = only(problems, "intent-without-examples")
    assert problem.severity is Severity.WARNING
    assert problem.location == sources.locate(("domain", "intents", 5))
    assert "- intent: deny" in problem.message


def test_retrieval_intent_examples_count_for_the_domain_intent() -> None:
    project = sound_project()
    project.domain.intents.append(Intent(name="faq"))
    project.domain.responses["utter_faq/ask_price"] = text("Cheap")
    project.nlu.examples.extend(examples("faq/ask_price", "how much is it"))
    project.stories.append(story("faq", user("faq"), act("utter_faq")))
    problems, _ = check(project)
    assert problems == []


def test_unknown_intents_in_mappings_and_forms_are_warnings() -> None:
    project = sound_project()
    project.domain.slots[0].mappings.append(
        SlotMapping(type=MappingType.FROM_INTENT, intent=["afirm"], not_intent=["greet"])
    )
    project.domain.forms[0].ignored_intents.append("chitchat")
    problems, sources = check(project)
    assert codes(problems) == ["unknown-intent", "unknown-intent"]
    assert all(p.severity is Severity.WARNING for p in problems)
    assert any("did you mean 'affirm'?" in p.message for p in problems)
    assert any("form 'booking_form'" in p.message for p in problems)
    assert {p.location for p in problems} == {
        sources.locate(("domain", "slots", 0)),
        sources.locate(("domain", "forms", 0)),
    }


def test_a_name_without_a_close_match_ends_the_sentence_before_the_fix() -> None:
    project = sound_project()
    project.stories.append(story("x", user("zzzzzz"), act("utter_greet")))
    message = only(check(project)[0], "unknown-intent").message
    assert "'zzzzzz', which is not in the domain. Add 'zzzzzz' under `intents:`" in message


# ---------------------------------------------------------------------------------------
# Actions and responses


def test_an_undefined_action_is_an_error_listing_the_declared_ones() -> None:
    project = sound_project()
    project.stories.append(story("x", user("greet"), act("action_bok")))
    problems, sources = check(project)
    problem = only(problems, "unknown-action")
    assert problem.location == sources.locate(("stories", 2, "steps", 1))
    assert "did you mean 'action_book'?" in problem.message
    assert "'action_book', 'booking_form'" in problem.message
    assert "actions:" in problem.message


def test_an_undefined_response_names_the_response_to_add() -> None:
    project = sound_project()
    project.rules.append(rule("r", user("affirm"), act("utter_welcome")))
    problems, sources = check(project)
    problem = only(problems, "missing-response")
    assert problem.severity is Severity.ERROR
    assert problem.location == sources.locate(("rules", 1, "steps", 1))
    assert "Add a response 'utter_welcome'" in problem.message


def test_a_response_listed_under_actions_is_still_missing_when_used() -> None:
    project = sound_project()
    project.domain.actions.append(Action(name="utter_listed"))
    project.stories.append(story("x", user("affirm"), act("utter_listed")))
    problems, _ = check(project)
    assert codes(problems) == ["action-without-response", "missing-response"]
    assert only(problems, "action-without-response").severity is Severity.WARNING


def test_default_actions_are_defined_but_validation_actions_must_be_declared() -> None:
    project = sound_project()
    project.stories.append(
        story(
            "defaults",
            user("affirm"),
            act("action_restart"),
            act("action_deactivate_loop"),
            act("action_two_stage_fallback"),
            act("validate_booking_form"),
        )
    )
    problems, _ = check(project)
    assert "'validate_booking_form'" in only(problems, "unknown-action").message
    project.domain.actions.append(Action(name="validate_booking_form"))
    assert check(project)[0] == []


def test_a_form_without_a_question_for_a_slot_is_a_warning() -> None:
    project = sound_project()
    del project.domain.responses["utter_ask_booking_form_city"]
    problems, sources = check(project)
    problem = only(problems, "missing-form-question")
    assert problem.severity is Severity.WARNING
    assert "'utter_ask_city'" in problem.message
    assert problem.location == sources.locate(("domain", "forms", 0))
    project.domain.actions.append(Action(name="action_ask_city"))
    assert check(project)[0] == []


# ---------------------------------------------------------------------------------------
# Slots, forms and mappings


def test_a_mapping_naming_an_unknown_entity_is_a_warning() -> None:
    # Rasa trains and runs such mappings (insurance-demo has two), so it is not an error
    project = sound_project()
    project.domain.slots[0].mappings[0] = entity_mapping("cuisin")
    problems, sources = check(project)
    problem = only(problems, "unknown-entity")
    assert problem.severity is Severity.WARNING
    assert "slot 'cuisine'" in problem.message
    assert "did you mean 'cuisine'?" in problem.message
    assert "'city', 'cuisine'" in problem.message
    assert problem.location == sources.locate(("domain", "slots", 0))


def test_mapping_conditions_must_name_forms_and_slots() -> None:
    project = sound_project()
    project.domain.slots[1].mappings.append(
        SlotMapping(
            type=MappingType.FROM_TEXT,
            conditions=[MappingCondition(active_loop="bookng_form", requested_slot="town")],
        )
    )
    problems, _ = check(project)
    assert codes(problems) == ["unknown-form", "unknown-slot"]
    assert only(problems, "unknown-form").severity is Severity.ERROR
    assert only(problems, "unknown-slot").severity is Severity.WARNING
    assert "did you mean 'booking_form'?" in only(problems, "unknown-form").message


def test_a_mapping_role_not_declared_on_the_entity_is_a_warning() -> None:
    project = sound_project()
    project.domain.slots[1].mappings[0] = entity_mapping("city", role="via")
    problem = only(check(project)[0], "unknown-entity-role")
    assert problem.severity is Severity.WARNING
    assert "'from', 'to'" in problem.message


def test_a_custom_mapping_must_name_a_declared_action() -> None:
    project = sound_project()
    project.domain.slots[2].mappings[0] = SlotMapping(type=MappingType.CUSTOM, action="action_x")
    assert "'action_x'" in only(check(project)[0], "unknown-action").message


def test_categorical_initial_value_must_be_a_value() -> None:
    project = sound_project()
    project.domain.slots[2].initial_value = "medium"
    problem = only(check(project)[0], "invalid-initial-value")
    assert "'small', 'large'" in problem.message
    assert "'medium'" in problem.message


def test_float_slot_range_must_be_ordered() -> None:
    project = sound_project()
    project.domain.slots.append(
        Slot(
            name="people",
            type=SlotType.FLOAT,
            min_value=10,
            max_value=1,
            mappings=[SlotMapping(type=MappingType.CUSTOM)],
        )
    )
    problem = only(check(project)[0], "invalid-slot-range")
    assert "min_value 10.0" in problem.message


def test_a_form_slot_that_is_not_a_slot_is_an_error() -> None:
    project = sound_project()
    project.domain.forms[0].required_slots.append("cuisne")
    problems, sources = check(project)
    problem = only(problems, "unknown-slot")
    assert "form 'booking_form'" in problem.message
    assert "did you mean 'cuisine'?" in problem.message
    assert problem.location == sources.locate(("domain", "forms", 0))


def test_a_form_slot_without_mapping_is_an_error_but_custom_counts() -> None:
    project = sound_project()
    project.domain.slots[0].mappings = []
    problem = only(check(project)[0], "form-slot-without-mapping")
    assert problem.severity is Severity.ERROR
    assert "'cuisine'" in problem.message
    project.domain.slots[0].mappings = [SlotMapping(type=MappingType.CUSTOM)]
    assert check(project)[0] == []


# ---------------------------------------------------------------------------------------
# Entities


def test_entity_not_in_domain_is_an_error_in_stories_but_a_warning_in_nlu() -> None:
    project = sound_project()
    project.nlu.examples.append(
        Example(
            text="in May",
            intent="inform",
            entities=[EntityAnnotation(start=3, end=6, value="May", entity="month")],
        )
    )
    project.stories.append(story("s", user("inform", month="May"), act("utter_done")))
    problems, sources = check(project)
    nlu = only(problems, "entity-not-in-domain")
    assert nlu.severity is Severity.WARNING
    assert nlu.location == sources.locate(("nlu", "examples", 7, "entities", 0))
    assert "entity 'month' is annotated in an example" in nlu.message
    in_story = only(problems, "unknown-entity")
    assert in_story.severity is Severity.ERROR
    assert in_story.location == sources.locate(("stories", 2, "steps", 0))


def test_an_undeclared_entity_is_reported_once_however_often_it_is_annotated() -> None:
    project = sound_project()
    for month in ("May", "June", "July"):
        project.nlu.examples.append(
            Example(
                text=f"in {month}",
                intent="inform",
                entities=[
                    EntityAnnotation(start=3, end=3 + len(month), value=month, entity="month")
                ],
            )
        )
    problems, sources = check(project)
    problem = only(problems, "entity-not-in-domain")
    assert "3 examples" in problem.message
    assert problem.location == sources.locate(("nlu", "examples", 7, "entities", 0))


def test_annotation_roles_and_groups_must_be_declared() -> None:
    project = sound_project()
    project.nlu.examples.append(
        Example(
            text="from Rome",
            intent="inform",
            entities=[
                EntityAnnotation(
                    start=5, end=9, value="Rome", entity="city", role="origin", group="3"
                )
            ],
        )
    )
    problems, _ = check(project)
    assert codes(problems) == ["unknown-entity-group", "unknown-entity-role"]
    assert all(p.severity is Severity.WARNING for p in problems)
    assert "'1', '2'" in only(problems, "unknown-entity-group").message


# ---------------------------------------------------------------------------------------
# Story steps


def test_slot_was_set_and_active_loop_must_name_slots_and_forms() -> None:
    project = sound_project()
    project.stories.append(
        story(
            "bad",
            user("affirm"),
            act("utter_done"),
            SlotWasSetStep(slots=[SlotValue(name="colour", value="red")]),
            ActiveLoopStep(active_loop="utter_done"),
            ActiveLoopStep(active_loop="action_two_stage_fallback"),  # a built-in loop
        )
    )
    problems, sources = check(project)
    assert codes(problems) == ["unknown-form", "unknown-slot"]
    assert only(problems, "unknown-form").location == sources.locate(("stories", 2, "steps", 3))
    assert "'booking_form'" in only(problems, "unknown-form").message


def test_builtin_slots_may_be_set() -> None:
    project = sound_project()
    project.stories[1].steps.insert(
        3, SlotWasSetStep(slots=[SlotValue(name="requested_slot", value="cuisine")])
    )
    assert check(project)[0] == []


def test_categorical_slot_values_in_stories_are_checked() -> None:
    project = sound_project()
    project.stories.append(
        story(
            "size",
            user("affirm"),
            SlotWasSetStep(slots=[SlotValue(name="size", value="huge")]),
            act("utter_done"),
        )
    )
    problem = only(check(project)[0], "invalid-slot-value")
    assert problem.severity is Severity.WARNING
    assert "'small', 'large'" in problem.message


def test_empty_stories_and_rules_are_errors_and_duplicate_names_warnings() -> None:
    project = sound_project()
    project.stories.append(story("empty"))
    project.stories.append(story("greet", user("greet"), act("utter_greet")))
    project.rules.append(
        rule("only condition", condition=[ActiveLoopStep(active_loop="booking_form")])
    )
    problems, sources = check(project)
    assert codes(problems) == ["duplicate-story-name", "empty-rule", "empty-story"]
    assert only(problems, "empty-story").location == sources.locate(("stories", 2))
    duplicate = only(problems, "duplicate-story-name")
    assert duplicate.severity is Severity.WARNING
    assert f"(line {line_of(sources, ('stories', 0))})" in duplicate.message


# ---------------------------------------------------------------------------------------
# Responses


def test_response_placeholder_for_an_unknown_slot_is_a_warning() -> None:
    project = sound_project()
    project.domain.responses["utter_where"] = [
        ResponseVariation(text="Going to {citty}? {{literal}}"),
    ]
    problems, sources = check(project)
    problem = only(problems, "response-unknown-slot")
    assert problem.severity is Severity.WARNING
    assert "did you mean 'city'?" in problem.message
    assert problem.location == sources.locate(("domain", "responses", "utter_where"))


def test_response_condition_on_an_unknown_slot_is_an_error() -> None:
    project = sound_project()
    project.domain.responses["utter_done"].append(
        ResponseVariation(text="Done!", condition=[ResponseCondition(name="vip", value=True)])
    )
    problem = only(check(project)[0], "unknown-slot")
    assert problem.severity is Severity.ERROR
    assert "response 'utter_done'" in problem.message


# ---------------------------------------------------------------------------------------
# Examples


def test_the_same_example_under_two_intents_is_a_warning_naming_both() -> None:
    # a warning: Rasa trains such data, and six of the shared assistants contain it
    project = sound_project()
    project.nlu.examples.append(Example(text=" hi ", intent="affirm"))
    problems, sources = check(project)
    problem = only(problems, "duplicate-example")
    assert problem.severity is Severity.WARNING
    assert problem.location == sources.locate(("nlu", "examples", 7))
    assert "'affirm'" in problem.message
    assert "'greet'" in problem.message
    assert f"'greet' (line {line_of(sources, ('nlu', 'examples', 0))})" in problem.message


def test_a_location_in_another_file_is_given_in_full() -> None:
    project = Project(
        domain=Domain(intents=[Intent(name="greet"), Intent(name="affirm")]),
        nlu=NLUData(examples=[*examples("greet", "hi"), *examples("affirm", "hi")]),
    )
    sources = SourceMap()
    sources.add(("nlu", "examples", 0), Location(Path("data/a.yml"), 4, 7))
    sources.add(("nlu", "examples", 1), Location(Path("data/b.yml"), 9, 7))
    problem = only(validate_project(project, sources), "duplicate-example")
    assert problem.location == Location(Path("data/b.yml"), 9, 7)
    assert "'greet' (data/a.yml:4:7)" in problem.message


def test_the_same_example_twice_under_one_intent_is_a_warning() -> None:
    project = sound_project()
    project.nlu.examples.append(Example(text="hello", intent="greet"))
    problem = only(check(project)[0], "repeated-example")
    assert problem.severity is Severity.WARNING
    assert problem.location == locate_everything(project).locate(("nlu", "examples", 7))


# ---------------------------------------------------------------------------------------
# Contradictions


def test_two_stories_predicting_different_actions_after_the_same_history_conflict() -> None:
    project = sound_project()
    project.stories.append(story("other greet", user("greet"), act("utter_done")))
    problems, sources = check(project)
    problem = only(problems, "story-conflict")
    assert problem.severity is Severity.ERROR
    assert problem.location == sources.locate(("stories", 2, "steps", 1))
    assert "story 'other greet'" in problem.message
    assert "story 'greet'" in problem.message
    assert f"story 'greet' (line {line_of(sources, ('stories', 0, 'steps', 1))})" in (
        problem.message
    )
    assert "after intent 'greet'" in problem.message
    assert "'utter_done'" in problem.message
    assert "'utter_greet'" in problem.message


def test_a_story_that_waits_conflicts_with_one_that_goes_on() -> None:
    project = sound_project()
    project.stories.append(story("more", user("greet"), act("utter_greet"), act("utter_done")))
    problem = only(check(project)[0], "story-conflict")
    assert "waits for the user" in problem.message
    assert "after intent 'greet' → action 'utter_greet'" in problem.message


def test_slots_and_entities_that_influence_the_conversation_tell_stories_apart() -> None:
    project = sound_project()
    project.stories.append(story("thai", user("greet", cuisine="thai"), act("utter_done")))
    assert check(project)[0] == []  # the entity, and the slot it fills, differ
    project.domain.slots[0].influence_conversation = False
    assert check(project)[0] == []  # the entity still differs
    project.domain.entities[0].influence_conversation = False
    assert codes(check(project)[0]) == ["story-conflict"]
    project.domain.entities[0].influence_conversation = True
    project.domain.intents[0].use_entities = []
    assert codes(check(project)[0]) == ["story-conflict"]
    project.domain.intents[0].use_entities = True
    project.domain.intents[0].ignore_entities = ["cuisine"]
    assert codes(check(project)[0]) == ["story-conflict"]


def test_slot_was_set_tells_stories_apart_only_for_influential_slots() -> None:
    project = sound_project()
    project.stories.append(
        story(
            "small",
            user("greet"),
            SlotWasSetStep(slots=[SlotValue(name="size", value="large")]),
            act("utter_done"),
        )
    )
    assert check(project)[0] == []
    project.domain.slots[2].influence_conversation = False
    assert codes(check(project)[0]) == ["story-conflict"]


def test_max_history_limits_how_far_back_stories_are_compared() -> None:
    project = sound_project()
    project.stories = [
        story("a", user("greet"), act("utter_greet"), user("affirm"), act("utter_done")),
        story("b", user("goodbye"), act("utter_greet"), user("affirm"), act("action_book")),
    ]
    project.rules = []
    # the state after utter_greet still holds the intent before it, as Rasa's states do
    assert check(project, max_history=2)[0] == []
    problem = only(check(project, max_history=1)[0], "story-conflict")
    assert "after intent 'affirm' (slots size=small):" in problem.message


def test_max_history_is_a_parameter_independent_of_the_policies() -> None:
    project = sound_project()
    project.stories = [
        story("a", user("greet"), act("utter_greet"), user("affirm"), act("utter_done")),
        story("b", user("goodbye"), act("utter_greet"), user("affirm"), act("action_book")),
    ]
    project.rules = []
    project.config = ModelConfig(
        policies=[ComponentSpec(name="TEDPolicy", options={"max_history": 1})]
    )
    assert check(project)[0] == []  # compared over the default 5 states
    assert codes(check(project, max_history=1)[0]) == ["story-conflict"]
    with pytest.raises(ValueError, match="max_history"):
        check(project, max_history=0)


def test_or_alternatives_are_expanded_into_separate_conversations() -> None:
    project = sound_project()
    project.stories.append(
        story("either", OrStep(alternatives=[user("affirm"), user("greet")]), act("utter_done"))
    )
    problem = only(check(project)[0], "story-conflict")
    assert "after intent 'greet'" in problem.message


def test_checkpoints_join_stories_into_conversations() -> None:
    project = sound_project()
    project.stories = [
        story("start", user("greet"), act("utter_greet"), CheckpointStep(checkpoint="greeted")),
        story("then a", CheckpointStep(checkpoint="greeted"), user("affirm"), act("utter_done")),
        story("then b", CheckpointStep(checkpoint="greeted"), user("affirm"), act("action_book")),
    ]
    problems, sources = check(project)
    problem = only(problems, "story-conflict")
    assert "after intent 'greet' → action 'utter_greet' → intent 'affirm'" in problem.message
    assert problem.location == sources.locate(("stories", 2, "steps", 2))


def test_checkpoint_slot_conditions_select_the_continuation() -> None:
    project = sound_project()
    condition = [SlotValue(name="size", value="large")]
    project.stories = [
        story("start", user("greet"), act("utter_greet"), CheckpointStep(checkpoint="cp")),
        story("a", CheckpointStep(checkpoint="cp"), user("affirm"), act("utter_done")),
        story(
            "b",
            CheckpointStep(checkpoint="cp", slot_was_set=condition),
            user("affirm"),
            act("action_book"),
        ),
    ]
    # ``b`` never follows ``start`` (size stays small), so nothing contradicts ``a``
    assert check(project)[0] == []


def test_unused_checkpoints_are_warnings() -> None:
    project = sound_project()
    project.stories.append(
        story("dangling", user("affirm"), act("utter_done"), CheckpointStep(checkpoint="nowhere"))
    )
    project.stories.append(
        story("orphan", CheckpointStep(checkpoint="elsewhere"), user("affirm"), act("utter_done"))
    )
    problems, sources = check(project)
    assert codes(problems) == ["unused-checkpoint", "unused-checkpoint"]
    assert {p.location for p in problems} == {
        sources.locate(("stories", 2, "steps", 2)),
        sources.locate(("stories", 3, "steps", 0)),
    }


def test_conversation_starts_are_not_conflicts() -> None:
    project = sound_project()
    project.stories.append(
        story("bot first", act("utter_greet"), user("affirm"), act("utter_done"))
    )
    project.stories.append(story("bot first too", act("utter_done")))
    assert check(project)[0] == []


def test_rules_are_not_compared_with_stories_but_with_each_other() -> None:
    project = sound_project()
    project.rules.append(rule("greet rule", user("greet"), act("utter_done")))
    assert check(project)[0] == []  # a story says utter_greet; the rule wins, no report
    project.rules.append(rule("greet rule 2", user("greet"), act("utter_greet")))
    problems, sources = check(project)
    problem = only(problems, "rule-conflict")
    assert problem.location == sources.locate(("rules", 2, "steps", 1))
    assert "rule 'greet rule'" in problem.message


def test_rules_differing_in_conditions_or_waiting_do_not_conflict() -> None:
    project = sound_project()
    project.rules.append(
        rule(
            "in form",
            user("goodbye"),
            act("utter_done"),
            condition=[ActiveLoopStep(active_loop="booking_form")],
        )
    )
    assert check(project)[0] == []
    project.rules.append(
        rule("no wait", user("affirm"), act("utter_done"), wait_for_user_input=False)
    )
    project.rules.append(rule("wait", user("affirm"), act("utter_done"), act("action_book")))
    assert check(project)[0] == []
    project.rules.append(rule("wait too", user("affirm"), act("utter_done")))
    assert "waits for the user" in only(check(project)[0], "rule-conflict").message


def test_the_unrolling_is_capped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(story_conflicts, "MAX_CONVERSATIONS", 3)
    project = sound_project()
    project.stories.extend(
        story(f"s{i}", user("affirm"), act("utter_done"), user("affirm"), act("utter_done"))
        for i in range(5)
    )
    problem = only(check(project)[0], "story-check-limited")
    assert problem.severity is Severity.WARNING


def test_large_projects_validate_quickly() -> None:
    count = 3000
    intents = [f"intent_{i}" for i in range(count)]
    project = Project(
        domain=Domain(
            intents=[Intent(name=name) for name in intents],
            responses={f"utter_{i}": text("x") for i in range(count)},
        ),
        nlu=NLUData(
            examples=[
                Example(text=f"example {i} {j}", intent=name)
                for i, name in enumerate(intents)
                for j in range(3)
            ]
        ),
        stories=[
            story(f"story {i}", user(name), act(f"utter_{i}"), user(intents[0]), act("utter_0"))
            for i, name in enumerate(intents)
        ],
    )
    started = time.perf_counter()
    problems, _ = check(project)
    elapsed = time.perf_counter() - started
    assert problems == []
    assert elapsed < 5, f"validating {count} stories took {elapsed:.1f}s"
