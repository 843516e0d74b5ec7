"""Every project the Rasa YAML format can express reads back exactly as it was written.

Hypothesis builds whole projects (domain, NLU data, stories, rules, tests, configuration,
endpoints and credentials) out of texts full of what YAML and the annotation syntax give a
meaning to, writes them with :func:`write_project` and reads them with :func:`read_project`.

The strategy keeps to projects the format can express and that validate without errors;
each exclusion is commented where the strategy makes it. What the writer refuses instead of
writing something that would read back differently is tested in ``test_writer.py``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import TypeVar

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

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
from parley.project import ComponentSpec, ModelConfig, Project, TestData, read_project
from parley.project.annotation import render_annotated
from parley.project.source_map import SourceMap
from parley.project.training_data_file import EXAMPLE_STRIP
from parley.project.validation import (
    BUILTIN_LOOPS,
    DEFAULT_ACTIONS,
    DEFAULT_INTENTS,
    DEFAULT_SLOTS,
    KNOWLEDGE_BASE_ACTION,
    KNOWLEDGE_BASE_SLOTS,
    validate_project,
)
from parley.project.writer import write_project

T = TypeVar("T")

# --- texts and values ---------------------------------------------------------------------

# What YAML, the annotation syntax and Rasa's `- text` lines give a meaning to, characters
# YAML escapes, folds or reads as line breaks, and letters beyond ASCII.
SPECIAL_CHARACTERS = (
    "[](){}\\\"':#-,&*!|>%@`?~<=.+/_ \t\r\n"
    "\x00\x07\x1b\x7f\x85\xa0\u2028\u2029\ufeff\u3000"
    "äßé漢字😀🇩🇪"
)
characters = st.one_of(
    st.sampled_from("abcxyz019"),
    st.sampled_from(SPECIAL_CHARACTERS),
    st.characters(codec="utf-8"),  # anything UTF-8 can encode, so no lone surrogates
)

# Whole strings that YAML 1.1 or 1.2 reads as something else when they stand unquoted.
SPECIAL_WORDS = (
    *("yes", "No", "on", "OFF", "y", "true", "null", "~", "1", "-1", "0x1F", "0o17", "1e3"),
    *("1_000", ".inf", "-.Inf", ".nan", "2020-01-01", "2001-12-14t21:59:43.10-05:00"),
    *("12:30:45", "<<", "=", "-", "- x", "? x", ": x", "#x", "x #y", "a: b", "[a]", "{a}"),
    *("*a", "&a", "!a", "!!str", "%a", "@a", "`a", "|", ">", "'", '"', "\\", "---", "..."),
    *("\ufeffbom", "[x](y)", '[x]{"entity": "y"}', "\\[x](y)"),
)

texts = st.one_of(st.sampled_from(SPECIAL_WORDS), st.text(characters, max_size=10))
"""Any string."""

# Excluded: blank names, which readers refuse, as Rasa does.
names = st.one_of(
    st.sampled_from(SPECIAL_WORDS), st.text(characters, min_size=1, max_size=8)
).filter(lambda name: name.strip() != "")
"""Names of intents, entities, slots, stories…"""

# Excluded: names every assistant has built in, which a project uses without declaring them
# (the validation judges their use by other rules).
RESERVED = (
    DEFAULT_INTENTS
    | DEFAULT_ACTIONS
    | DEFAULT_SLOTS
    | KNOWLEDGE_BASE_SLOTS
    | BUILTIN_LOOPS
    | {KNOWLEDGE_BASE_ACTION}
)
# Excluded: intent names starting with `/`: a story step's `/greet` is read as the intent
# `greet`, as Rasa reads it (it is how buttons send intents).
declared_names = names.filter(lambda name: name not in RESERVED and not name.startswith("/"))

# Excluded: spans holding `]`, which the annotation syntax cannot mark (the writer refuses).
spans = texts.map(lambda text: text.replace("]", ")")).filter(bool)

# Excluded: empty entries, entries over several lines and entries with spaces or line
# breaks around them: an entry of a synonym, regex or lookup table is one stripped line
# (the writer refuses the others).
entries = texts.map(lambda text: text.replace("\n", " ").strip(EXAMPLE_STRIP)).filter(bool)

# Excluded: NaN, which equals nothing, not even itself.
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
# Two levels of lists and mappings: deeper ones take the same paths through the writer.
nested = st.one_of(
    scalars, st.lists(scalars, max_size=2), st.dictionaries(texts, scalars, max_size=2)
)
data = st.one_of(scalars, st.lists(nested, max_size=3), st.dictionaries(texts, nested, max_size=3))
"""What YAML holds: metadata, options, slot values, custom payloads."""
mappings = st.dictionaries(texts, data, max_size=3)
# Excluded: an option called `name`, which names the component itself (the writer refuses).
component_options = st.dictionaries(texts.filter(lambda key: key != "name"), data, max_size=3)
optional_texts = st.none() | texts
optional_data = st.none() | data

BUTTON_KEYS = ("url", "type", "extra")
RESPONSE_KEYS = ("quick_replies", "elements", "attachment", "ui")
"""Keys that channels read beyond the declared ones; they are kept as given."""


class Builder:
    """Draws one project, part by part: later parts name what earlier parts declared."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    # -- drawing helpers (indexes, not new strategies, keep generation fast) ----------------

    def flip(self) -> bool:
        return self.draw(st.booleans())

    def count(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def pick(self, options: Sequence[T]) -> T:
        return options[self.count(0, len(options) - 1)]

    def maybe(self, options: Sequence[T]) -> T | None:
        return self.pick(options) if options and self.flip() else None

    def some(self, options: Sequence[T], most: int) -> list[T]:
        """Up to ``most`` distinct items of ``options``, in any order."""
        if not options:
            return []
        indexes = self.draw(st.lists(st.integers(0, len(options) - 1), max_size=most, unique=True))
        return [options[index] for index in indexes]

    def distinct_names(self, low: int, high: int) -> list[str]:
        return self.draw(st.lists(names, min_size=low, max_size=high, unique=True))

    # -- the project ----------------------------------------------------------------------

    def project(self) -> Project:
        draw = self.draw
        # Every name is declared once, and each kind takes its own names, so no intent is
        # also an action (Excluded: names given twice, which the writer refuses).
        pool = iter(draw(st.lists(declared_names, min_size=25, max_size=25, unique=True)))

        def take(count: int) -> list[str]:
            return [next(pool) for _ in range(count)]

        self.intents = take(self.count(1, 3))
        # Intents of their own for the user steps of stories and rules (see `steps`).
        self.fresh_intents = take(8)
        self.all_intents = [*self.intents, *self.fresh_intents]
        self.entities = [self.entity(name) for name in take(self.count(0, 3))]
        self.forms = take(self.count(0, 2))
        self.actions = take(self.count(0, 3))
        self.slot_names = take(self.count(0, 4))
        self.checkpoints = take(2)
        slots = [self.slot(name) for name in self.slot_names]
        # Excluded: a form requiring a slot without mappings, which it could never fill.
        fillable = [slot.name for slot in slots if slot.mappings]
        responses = [f"utter_{name}" for name in self.distinct_names(0, 3)]
        retrieval = [f"utter_{self.intents[0]}/{name}" for name in self.distinct_names(0, 1)]
        self.domain = Domain(
            intents=[self.intent(name) for name in self.all_intents],
            entities=self.entities,
            slots=slots,
            responses={
                name: [self.variation() for _ in range(self.count(0, 2))]
                for name in [*responses, *retrieval]
            },
            actions=[Action(name=name, send_domain=self.flip()) for name in self.actions],
            forms=[
                Form(
                    name=name,
                    required_slots=self.some(fillable, 2),
                    ignored_intents=self.some(self.all_intents, 2),
                )
                for name in self.forms
            ],
            # Excluded: a bot text listed twice (the writer refuses, as for names).
            e2e_actions=draw(st.lists(texts, max_size=2, unique=True)),
            session_config=SessionConfig(
                session_expiration_time=draw(st.floats(min_value=0, allow_nan=False)),
                carry_over_slots_to_new_session=self.flip(),
            ),
            store_entities_as_slots=self.flip(),
        )
        self.step_actions = [*self.actions, *self.forms, *responses]
        return Project(
            domain=self.domain,
            nlu=self.nlu(),
            stories=[self.story() for _ in range(self.count(0, 3))],
            rules=[self.rule() for _ in range(self.count(0, 2))],
            config=ModelConfig(
                recipe=draw(optional_texts),
                language=draw(optional_texts),
                pipeline=self.components(3),
                policies=self.components(2),
                assistant_id=draw(optional_texts),
            ),
            tests=TestData(
                stories=[self.story(test=True) for _ in range(self.count(0, 2))],
                rules=[self.rule(test=True) for _ in range(self.count(0, 1))],
                nlu=self.nlu(),
            ),
            endpoints=draw(st.none() | mappings),
            credentials=draw(st.none() | mappings),
        )

    def components(self, most: int) -> list[ComponentSpec] | None:
        if self.flip():
            return None
        return [
            ComponentSpec(name=self.draw(names), options=self.draw(component_options))
            for _ in range(self.count(0, most))
        ]

    # -- domain ---------------------------------------------------------------------------

    def intent(self, name: str) -> Intent:
        entity_names = [entity.name for entity in self.entities]
        use: bool | list[str] = self.flip()
        if entity_names and self.flip():
            use = self.some(entity_names, 2)
        return Intent(name=name, use_entities=use, ignore_entities=self.some(entity_names, 2))

    def entity(self, name: str) -> Entity:
        return Entity(
            name=name,
            roles=self.distinct_names(0, 2),
            groups=self.distinct_names(0, 2),
            influence_conversation=self.flip(),
        )

    def slot(self, name: str) -> Slot:
        kind = self.pick(list(SlotType))
        values = self.draw(st.lists(texts, max_size=3, unique=True))
        initial = self.draw(data)
        if kind is SlotType.CATEGORICAL and initial is not None:
            # Excluded: a categorical slot starting at a value it does not allow, an error.
            initial = self.maybe(values)
        # Excluded: a range whose minimum is above its maximum, an error of the project.
        low, high = sorted(self.draw(st.lists(st.floats(allow_nan=False), min_size=2, max_size=2)))
        return Slot(
            name=name,
            type=kind,
            mappings=[self.mapping() for _ in range(self.count(0, 2))],
            influence_conversation=self.flip(),
            initial_value=initial,
            values=values,
            min_value=low if self.flip() else None,
            max_value=high if self.flip() else None,
        )

    def mapping(self) -> SlotMapping:
        entity = self.maybe(self.entities)
        return SlotMapping(
            type=self.pick(list(MappingType)),
            entity=entity.name if entity else self.draw(st.none() | names),
            role=self.maybe(entity.roles) if entity else None,
            group=self.draw(st.none() | names),
            intent=self.some(self.all_intents, 2),
            not_intent=self.some(self.all_intents, 2),
            value=self.draw(data),
            # Excluded: a custom mapping running an undeclared action, an error.
            action=self.maybe(self.actions),
            conditions=[
                MappingCondition(
                    # Excluded: a condition naming an undeclared form, an error.
                    active_loop=self.maybe(self.forms),
                    requested_slot=self.maybe(self.slot_names),
                )
                for _ in range(self.count(0, 2))
            ],
        )

    def variation(self) -> ResponseVariation:
        draw = self.draw
        buttons = [
            Button(
                title=draw(texts),
                payload=draw(optional_texts),
                **{key: draw(data) for key in self.some(BUTTON_KEYS, 2)},
            )
            for _ in range(self.count(0, 2))
        ]
        return ResponseVariation(
            text=draw(optional_texts),
            image=draw(optional_texts),
            buttons=buttons,
            custom=draw(st.none() | mappings),
            channel=draw(optional_texts),
            # Excluded: a condition on an undeclared slot, an error of the project.
            condition=[
                ResponseCondition(name=name, value=draw(data))
                for name in self.some(self.slot_names, 2)
            ],
            id=draw(optional_texts),
            metadata=draw(mappings),
            **{key: draw(data) for key in self.some(RESPONSE_KEYS, 2)},
        )

    # -- NLU ------------------------------------------------------------------------------

    def annotated(self, strip: str | None = EXAMPLE_STRIP) -> tuple[str, list[EntityAnnotation]]:
        """A text with entities marked at valid spans between plain pieces of any text;
        ``strip`` is what readers strip around it."""
        draw = self.draw
        text = ""
        found: list[EntityAnnotation] = []
        for _ in range(self.count(0, 4)):
            if self.flip():
                text += draw(texts)
                continue
            start, text = len(text), text + draw(spans)
            # Excluded: spans that overlap partly (the writer refuses); several entities on
            # the very same span are fine.
            for _ in range(self.count(1, 2)):
                entity = self.maybe(self.entities)
                found.append(
                    EntityAnnotation(
                        start=start,
                        end=len(text),
                        # Excluded: lists and mappings, which an annotation cannot hold.
                        value=draw(st.just(text[start:]) | scalars),
                        entity=entity.name if entity else draw(names),
                        role=self.maybe(entity.roles) if entity else draw(optional_texts),
                        group=draw(optional_texts),
                    )
                )
        # Excluded: empty texts and texts with spaces or line breaks around them, which
        # readers strip, as Rasa does (the writer refuses them).
        if text == "" or text != text.strip(strip):
            text = f"«{text}»"
            found = [e.model_copy(update={"start": e.start + 1, "end": e.end + 1}) for e in found]
        return text, found

    def example(self) -> Example:
        text, found = self.annotated()
        intent = self.pick(self.all_intents)
        if self.flip():
            intent = f"{intent}/{self.draw(names)}"  # a retrieval intent
        return Example(text=text, intent=intent, entities=found, metadata=self.draw(data))

    def nlu(self) -> NLUData:
        draw = self.draw
        found = [self.example() for _ in range(self.count(0, 5))]
        with_metadata = self.some(self.all_intents, 2)
        # The writer gives an intent's metadata with its first examples, so it is read
        # back in the order of the examples, then that of intents without examples.
        ordered = [example.intent for example in found if example.intent in with_metadata]
        ordered += [intent for intent in with_metadata if intent not in ordered]
        return NLUData(
            examples=found,
            synonyms=[
                Synonym(value=value, examples=draw(st.lists(entries, max_size=3)))
                for value in self.distinct_names(0, 2)
            ],
            regexes=[
                RegexPattern(name=name, patterns=draw(st.lists(entries, max_size=3)))
                for name in self.distinct_names(0, 2)
            ],
            lookups=[
                LookupTable(name=name, elements=draw(st.lists(entries, max_size=3)))
                for name in self.distinct_names(0, 2)
            ],
            # Excluded: null metadata, which is the same as none.
            intent_metadata={
                intent: draw(data.filter(lambda d: d is not None)) for intent in ordered
            },
        )

    # -- stories and rules ----------------------------------------------------------------
    #
    # Two stories (or rules) that predict different actions after the same history are an
    # error of the project. To keep them rare, every user step of the stories and rules has
    # an intent of its own, and every step right after a checkpoint is a user step; the
    # test itself drops the few contradictions left. Test stories are not checked for
    # contradictions, so they use the domain's intents freely.

    def story(self, *, test: bool = False) -> Story:
        return Story(
            name=self.draw(names),
            steps=self.steps(test=test, story=True),
            metadata=self.draw(optional_data),
        )

    def rule(self, *, test: bool = False) -> Rule:
        return Rule(
            name=self.draw(names),
            condition=[
                self.loop_step() if self.flip() else self.slot_step()
                for _ in range(self.count(0, 2))
            ],
            # Excluded: checkpoints in rules, which join stories only (the writer refuses).
            steps=self.steps(test=test, story=False),
            conversation_start=self.flip(),
            wait_for_user_input=self.flip(),
            metadata=self.draw(optional_data),
        )

    def steps(self, *, test: bool, story: bool) -> list[Step]:
        kinds = ["user", "action", "loop", "slots", "or", *(["checkpoint"] if story else [])]
        steps: list[Step] = []
        for _ in range(self.count(1, 6)):
            after_checkpoint = bool(steps) and isinstance(steps[-1], CheckpointStep)
            kind = "user" if after_checkpoint else self.pick(kinds)
            step: Step | None
            if kind == "user":
                step = self.user_step(test=test)
            elif kind == "action":
                step = self.action_step(test=test)
            elif kind == "loop":
                step = self.loop_step()
            elif kind == "slots":
                step = self.slot_step()
            elif kind == "checkpoint":
                step = CheckpointStep(
                    checkpoint=self.pick(self.checkpoints), slot_was_set=self.slot_values()
                )
            else:
                step = self.or_step(test=test)
            if step is not None:
                steps.append(step)
        # Excluded: stories and rules without steps, an error of the project.
        return steps or [self.action_step(test=test)]

    def user_step(self, *, test: bool) -> UserStep | None:
        draw = self.draw
        user = None
        if test:
            intent = self.maybe(self.all_intents)
            if intent is None or self.flip():
                # Readers strip every kind of space around the text (not only those
                # around examples), as Rasa does.
                text, found = self.annotated(strip=None)
                user = render_annotated(text, found)
        elif self.fresh_intents:
            intent = self.fresh_intents.pop()
        else:
            return None
        given = []
        for entity in self.some(self.entities, 2):
            value_given = self.flip()
            given.append(
                StepEntity(
                    entity=entity.name,
                    value=draw(data) if value_given else None,
                    role=self.maybe(entity.roles),
                    group=self.maybe(entity.groups),
                    value_given=value_given,
                )
            )
        return UserStep(intent=intent, user=user, entities=given, metadata=draw(optional_data))

    def action_step(self, *, test: bool) -> ActionStep:
        # Excluded: a step with both an action and a bot text (the writer refuses).
        if (test and self.flip()) or not self.step_actions:
            return ActionStep(bot=self.draw(texts), metadata=self.draw(optional_data))
        return ActionStep(action=self.pick(self.step_actions), metadata=self.draw(optional_data))

    def loop_step(self) -> ActiveLoopStep:
        return ActiveLoopStep(active_loop=self.maybe(self.forms))

    def slot_step(self) -> SlotWasSetStep:
        return SlotWasSetStep(slots=self.slot_values())

    def slot_values(self) -> list[SlotValue]:
        values = []
        for _ in range(self.count(0, 2)):
            value_given = self.flip()
            values.append(
                SlotValue(
                    name=self.pick([*self.slot_names, "requested_slot"]),
                    value=self.draw(data) if value_given else None,
                    value_given=value_given,
                )
            )
        return values

    def or_step(self, *, test: bool) -> OrStep | None:
        alternatives: list[UserStep | SlotWasSetStep] = []
        for _ in range(self.count(1, 3)):
            if self.flip():
                alternatives.append(self.slot_step())
            elif (user := self.user_step(test=test)) is not None:
                alternatives.append(user)
        # Excluded: an `or` without alternatives (the writer refuses).
        return OrStep(alternatives=alternatives) if alternatives else None


@st.composite
def projects(draw: st.DrawFn) -> Project:
    return Builder(draw).project()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(projects())
def test_every_expressible_project_reads_back_as_written(project: Project) -> None:
    # Excluded: the few projects whose stories or rules still contradict each other.
    assume(not any(problem.is_error for problem in validate_project(project, SourceMap())))
    with tempfile.TemporaryDirectory() as folder:
        write_project(project, folder)
        reading = read_project(folder)
    assert [str(problem) for problem in reading.errors] == []
    assert reading.project.model_dump_json() == project.model_dump_json()
