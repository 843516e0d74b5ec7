"""The training data file format: NLU data, stories, rules and retrieval responses.

One file (``data/**/*.yml`` or ``tests/test_*.yml``) may hold any of the top-level keys
``version``, ``nlu``, ``stories``, ``rules`` and ``responses``. The schema models below mirror
the YAML; :func:`read_training_data` validates a file against them and converts it into the
core models (:class:`~parley.core.training_data.NLUData`, :class:`~parley.core.story.Story`,
:class:`~parley.core.story.Rule`, responses), reporting every problem with its position.
Rasa 2.x data files (``version: "2.0"``) read the same way: the format did not change.

Items that come in kinds (an NLU item is an intent, a synonym, a regex or a lookup table;
a step is a user turn, an action, …) are told apart by their keys, so an item with two
kinds, or none, is reported as such instead of as a list of unknown keys.

Locations come back keyed by model paths *local to the file* (``("stories", 0, "steps",
2)`` is the third step of the file's first story); whoever combines several files offsets
the indexes (see :attr:`TrainingDataContent.locations`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    StrictBool,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from ruamel.yaml.scalarstring import LiteralScalarString

from parley.core.domain import ResponseVariation
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
from parley.core.suggestion import closest
from parley.core.training_data import (
    EntityAnnotation,
    Example,
    LookupTable,
    NLUData,
    RegexPattern,
    Synonym,
)
from parley.project.annotation import AnnotationError, markup_warnings, parse_annotated
from parley.project.domain_file import ResponseVariationSchema, convert_responses
from parley.project.schema import FileModel, validate_file
from parley.project.source_map import ModelPath
from parley.project.yaml_file import PathPart, YamlFile

# ---------------------------------------------------------------------------------------
# Schema


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Name = Annotated[str, AfterValidator(_not_blank)]
"""A name (intent, action, story…): a string that is not blank."""

Items = list[str | dict[str, Any]]
"""``- name`` or ``- name: value`` entries, as ``entities`` and ``slot_was_set`` list them."""


@dataclass(frozen=True)
class _Kinds:
    """Which keys make a mapping of which kind, for lists whose items come in kinds.

    ``keys`` maps each kind's tag to the keys that make it; ``absorbs`` names keys a kind
    may carry that would otherwise make another kind (a checkpoint's ``slot_was_set``).
    """

    what: str
    keys: dict[str, tuple[str, ...]]
    absorbs: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def present(self, value: dict[Any, Any]) -> list[str]:
        kinds = [tag for tag, keys in self.keys.items() if any(key in value for key in keys)]
        return [tag for tag in kinds if not any(self.absorbs.get(k) == tag for k in kinds)]

    def tag(self, value: Any) -> str:
        """The tag of ``value``'s kind; a non-mapping gets the first, whose model then
        reports that a mapping is expected."""
        if not isinstance(value, dict):
            return next(iter(self.keys))
        kinds = self.present(value)
        return kinds[0] if len(kinds) == 1 else "~invalid"

    def explain(self, value: dict[Any, Any]) -> str:
        kinds = self.present(value)
        if kinds:
            found = [str(k) for k in value if any(k in self.keys[tag] for tag in kinds)]
            return (
                f"{self.what} is one thing, but this one has {_and(found)}; write one "
                f"{self.what.split(' ', 1)[1]} for each"
            )
        valid = [key for keys in self.keys.values() for key in keys]
        given = [str(key) for key in value]
        hint = ""
        for key in given:
            close = closest(key, valid)
            if close:
                hint = f" (did you mean {close[0]!r} for {key!r}?)"
                break
        return (
            f"{self.what} needs one of the keys {', '.join(valid)}; it has "
            f"{_and(given) or 'no keys'}{hint}{self.note}"
        )


class _Unrecognized(FileModel):
    """The branch a mapping of no single kind lands in.

    Subclasses declare every key the list's items may have, so a key that is none of them
    is reported by pydantic as an unknown key, at the key; a mapping of known keys that
    still makes no single kind is explained by :attr:`kinds`.
    """

    kinds: ClassVar[_Kinds]

    @model_validator(mode="wrap")
    @classmethod
    def _explain(cls, value: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        handler(value)
        raise ValueError(cls.kinds.explain(value))


def _and(words: list[str]) -> str:
    quoted = [f"`{w}`" for w in words]
    if len(quoted) < 2:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


class ExampleEntry(FileModel):
    """An example written as a mapping, which lets it carry metadata."""

    text: str
    metadata: Any = None


class IntentItem(FileModel):
    intent: Name
    examples: str | list[ExampleEntry]
    metadata: Any = None


class SynonymItem(FileModel):
    synonym: Name
    examples: str


class RegexItem(FileModel):
    regex: Name
    examples: str


class LookupItem(FileModel):
    lookup: Name
    examples: str


_NLU_KINDS = _Kinds(
    "an NLU item",
    {
        "~intent": ("intent",),
        "~synonym": ("synonym",),
        "~regex": ("regex",),
        "~lookup": ("lookup",),
    },
)


class _NotAnNLUItem(_Unrecognized):
    kinds = _NLU_KINDS
    intent: Any = None
    synonym: Any = None
    regex: Any = None
    lookup: Any = None
    examples: Any = None
    metadata: Any = None


NLUItem = Annotated[
    Annotated[IntentItem, Tag("~intent")]
    | Annotated[SynonymItem, Tag("~synonym")]
    | Annotated[RegexItem, Tag("~regex")]
    | Annotated[LookupItem, Tag("~lookup")]
    | Annotated[_NotAnNLUItem, Tag("~invalid")],
    Discriminator(_NLU_KINDS.tag),
]


class UserStepSchema(FileModel):
    intent: Name | None = None
    user: str | None = None
    """End-to-end text, possibly annotated."""
    entities: Items | None = None
    metadata: Any = None


class ActionStepSchema(FileModel):
    action: Name | None = None
    bot: str | None = None
    """End-to-end: what the bot says, instead of an action name."""
    metadata: Any = None

    @model_validator(mode="after")
    def _one_of_action_and_bot(self) -> ActionStepSchema:
        if self.action is not None and self.bot is not None:
            raise ValueError("a step has `action` or `bot`, not both; write them as two steps")
        return self


class ActiveLoopStepSchema(FileModel):
    active_loop: str | None
    """Required, and null is meaningful: the active loop ended."""


class SlotWasSetStepSchema(FileModel):
    slot_was_set: Items


class CheckpointStepSchema(FileModel):
    checkpoint: Name
    slot_was_set: Items | None = None


_USER_KEYS = ("intent", "user")
_OR_KINDS = _Kinds("an `or` alternative", {"~user": _USER_KEYS, "~slot_was_set": ("slot_was_set",)})


class _StepKeys(_Unrecognized):
    """Every key a step may have, in any context."""

    intent: Any = None
    user: Any = None
    entities: Any = None
    metadata: Any = None
    action: Any = None
    bot: Any = None
    active_loop: Any = None
    slot_was_set: Any = None
    checkpoint: Any = None
    or_: Any = Field(None, alias="or")


class _NotAnAlternative(_StepKeys):
    kinds = _OR_KINDS


OrAlternative = Annotated[
    Annotated[UserStepSchema, Tag("~user")]
    | Annotated[SlotWasSetStepSchema, Tag("~slot_was_set")]
    | Annotated[_NotAnAlternative, Tag("~invalid")],
    Discriminator(_OR_KINDS.tag),
]


class OrStepSchema(FileModel):
    or_: list[OrAlternative] = Field(alias="or", min_length=1)


_STEP_KEYS: dict[str, tuple[str, ...]] = {
    "~user": _USER_KEYS,
    "~action": ("action", "bot"),
    "~active_loop": ("active_loop",),
    "~slot_was_set": ("slot_was_set",),
    "~checkpoint": ("checkpoint",),
    "~or": ("or",),
}
_STORY_STEP_KINDS = _Kinds("a story step", _STEP_KEYS, {"~checkpoint": "~slot_was_set"})
_RULE_STEP_KINDS = _Kinds(
    "a rule step",
    {tag: keys for tag, keys in _STEP_KEYS.items() if tag != "~checkpoint"},
    note="; checkpoints join stories and cannot be used in rules",
)
_CONDITION_KINDS = _Kinds(
    "a rule condition",
    {"~active_loop": ("active_loop",), "~slot_was_set": ("slot_was_set",)},
    note="; a condition says what must hold before the rule applies: an active loop or slot "
    "values, written under `steps` otherwise",
)


class _NotAStoryStep(_StepKeys):
    kinds = _STORY_STEP_KINDS


class _NotARuleStep(_StepKeys):
    kinds = _RULE_STEP_KINDS


class _NotACondition(_StepKeys):
    kinds = _CONDITION_KINDS


StoryStep = Annotated[
    Annotated[UserStepSchema, Tag("~user")]
    | Annotated[ActionStepSchema, Tag("~action")]
    | Annotated[ActiveLoopStepSchema, Tag("~active_loop")]
    | Annotated[SlotWasSetStepSchema, Tag("~slot_was_set")]
    | Annotated[CheckpointStepSchema, Tag("~checkpoint")]
    | Annotated[OrStepSchema, Tag("~or")]
    | Annotated[_NotAStoryStep, Tag("~invalid")],
    Discriminator(_STORY_STEP_KINDS.tag),
]

RuleStep = Annotated[
    Annotated[UserStepSchema, Tag("~user")]
    | Annotated[ActionStepSchema, Tag("~action")]
    | Annotated[ActiveLoopStepSchema, Tag("~active_loop")]
    | Annotated[SlotWasSetStepSchema, Tag("~slot_was_set")]
    | Annotated[OrStepSchema, Tag("~or")]
    | Annotated[_NotARuleStep, Tag("~invalid")],
    Discriminator(_RULE_STEP_KINDS.tag),
]

ConditionStep = Annotated[
    Annotated[ActiveLoopStepSchema, Tag("~active_loop")]
    | Annotated[SlotWasSetStepSchema, Tag("~slot_was_set")]
    | Annotated[_NotACondition, Tag("~invalid")],
    Discriminator(_CONDITION_KINDS.tag),
]


class StorySchema(FileModel):
    story: Name
    steps: list[StoryStep]
    metadata: Any = None


class RuleSchema(FileModel):
    rule: Name
    steps: list[RuleStep]
    condition: list[ConditionStep] | None = None
    conversation_start: StrictBool | None = None
    wait_for_user_input: StrictBool | None = None
    metadata: Any = None


class TrainingDataFile(FileModel):
    version: str | None = None
    nlu: list[NLUItem] | None = None
    stories: list[StorySchema] | None = None
    rules: list[RuleSchema] | None = None
    responses: dict[str, list[ResponseVariationSchema]] | None = None
    """Responses of retrieval intents (``utter_faq/ask_price``); same shape as the domain's."""


# ---------------------------------------------------------------------------------------
# Content


@dataclass
class TrainingDataContent:
    """What one training data file holds, or several merged.

    ``locations`` is keyed by model paths local to the file the content was read from:
    ``("nlu", "examples" | "synonyms" | "regexes" | "lookups", i)``,
    ``("nlu", "intent_metadata", intent)``, ``("stories" | "rules", i)``,
    ``("stories" | "rules", i, "steps", j)`` and below it ``("entities", k)``,
    ``("slots", k)``, ``("slot_was_set", k)`` or ``("alternatives", k)``, and
    ``("rules", i, "condition", j)``. To place a file's locations in a project, add the
    number of items of that list that earlier files contributed to the index after
    ``"stories"``, ``"rules"`` or ``"nlu", <list>``. :meth:`merge` does not carry locations
    over, for that reason; response locations are keyed by name and need no offset.
    """

    nlu: NLUData = field(default_factory=NLUData)
    stories: list[Story] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    responses: dict[str, list[ResponseVariation]] = field(default_factory=dict)
    response_locations: dict[str, Location] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    locations: dict[ModelPath, Location] = field(default_factory=dict)

    def merge(self, other: TrainingDataContent) -> None:
        """Append ``other``'s content to this one. A response both define keeps this
        one's variations, and a warning is added to :attr:`problems`."""
        self.nlu = self.nlu.merge(other.nlu)
        self.stories.extend(other.stories)
        self.rules.extend(other.rules)
        for name, variations in other.responses.items():
            if name in self.responses:
                self.problems.append(
                    Problem(
                        "duplicate-definition",
                        f"response {name!r} is defined again; the first definition, at "
                        f"{self.response_locations[name]}, is kept",
                        other.response_locations.get(name),
                        Severity.WARNING,
                    )
                )
                continue
            self.responses[name] = variations
            if name in other.response_locations:
                self.response_locations[name] = other.response_locations[name]


def read_training_data(file: YamlFile) -> TrainingDataContent:
    """Validate ``file`` as a training data file and convert what it holds.

    Never raises for content problems: they are in the result's ``problems``. When the
    file has schema errors, the items that are valid on their own are still converted, so
    their problems (a bad annotation, say) are reported in the same run; the content of
    such a file is incomplete and must not be used.
    """
    content = TrainingDataContent()
    if file.data is None:
        return content
    schema, problems = validate_file(TrainingDataFile, file)
    content.problems.extend(problems)
    _Converter(file, content).convert(schema)
    return content


_NLU_ADAPTER: TypeAdapter[Any] = TypeAdapter(NLUItem)
_STORY_ADAPTER: TypeAdapter[Any] = TypeAdapter(StorySchema)
_RULE_ADAPTER: TypeAdapter[Any] = TypeAdapter(RuleSchema)
_STORY_STEP_ADAPTER: TypeAdapter[Any] = TypeAdapter(StoryStep)
_RULE_STEP_ADAPTER: TypeAdapter[Any] = TypeAdapter(RuleStep)
_RESPONSES_ADAPTER: TypeAdapter[Any] = TypeAdapter(list[ResponseVariationSchema])

EXAMPLE_STRIP = " \r\n"
"""What Rasa, and Parley, strip around an example text; tabs are kept, as there."""
_SUPPORTED_VERSIONS = ("2", "3")


@dataclass(frozen=True)
class _PlacedText:
    """Where a string value stands in the file, and how its characters map to columns."""

    start: Location
    line_starts: list[int] = field(default_factory=list)
    """For a literal block: the offset in the string where each of its lines begins."""
    indent: int = 0
    """The column of a block's lines past the file's margin; for a one-line string, how
    many quote characters stand before its text."""
    start_only: bool = False
    """Only where the value starts is known: a string over several lines that is not a
    literal block (folded, or quoted), or no string at all."""


class _Converter:
    """Turns a validated (or partly valid) file into core models, recording problems and
    where each converted part stands in the file."""

    def __init__(self, file: YamlFile, content: TrainingDataContent) -> None:
        self.file = file
        self.content = content
        self._source: list[str] | None = None
        self._texts: dict[tuple[PathPart, ...], _PlacedText] = {}

    def convert(self, schema: TrainingDataFile | None) -> None:
        data = self.file.data if isinstance(self.file.data, dict) else {}
        version = schema.version if schema else None
        if version is not None and version.split(".", 1)[0] not in _SUPPORTED_VERSIONS:
            self.warn(
                "unknown-version",
                f"training data format version {version!r} is not one Parley knows; it "
                'reads versions "2.0" and "3.x" and assumes the 3.x format',
                ("version",),
            )
        for index, item in self._items(schema.nlu if schema else None, data, "nlu", _NLU_ADAPTER):
            self.nlu_item(index, item)
        for index, story in self._items(
            schema.stories if schema else None, data, "stories", _STORY_ADAPTER
        ):
            self.story(index, story)
        for index, rule in self._items(
            schema.rules if schema else None, data, "rules", _RULE_ADAPTER
        ):
            self.rule(index, rule)
        responses = schema.responses if schema else self._valid_responses(data)
        for name, variations in convert_responses(responses or {}).items():
            self.content.responses[name] = variations
            self.content.response_locations[name] = self.file.location(("responses", name))

    def _items(
        self, validated: list[Any] | None, data: dict[str, Any], key: str, adapter: TypeAdapter[Any]
    ) -> Iterator[tuple[int, Any]]:
        """The items under ``key`` with their indexes in the file: all of them when the file
        validated, otherwise those that are valid on their own (the others were reported)."""
        if validated is not None:
            yield from enumerate(validated)
            return
        raw = data.get(key)
        if not isinstance(raw, list):
            return
        for index, item in enumerate(raw):
            try:
                yield index, adapter.validate_python(item)
            except ValidationError:
                self._check_parts((key, index), item)

    def _check_parts(self, path: tuple[PathPart, ...], item: Any) -> None:
        """Look into an invalid story or rule for the problems of its valid steps, so they
        are reported in the same run. What is converted here is thrown away."""
        if not isinstance(item, dict) or path[0] not in ("stories", "rules"):
            return
        scratch = _Converter(self.file, TrainingDataContent())
        adapter = _STORY_STEP_ADAPTER if path[0] == "stories" else _RULE_STEP_ADAPTER
        for key in ("steps", "condition"):
            steps = item.get(key)
            for j, step in enumerate(steps if isinstance(steps, list) else []):
                try:
                    schema = adapter.validate_python(step)
                except ValidationError:
                    continue
                scratch.step((*path, key, j), (), schema)
        self.content.problems.extend(scratch.content.problems)

    def _valid_responses(self, data: dict[str, Any]) -> dict[str, list[ResponseVariationSchema]]:
        raw = data.get("responses")
        valid: dict[str, list[ResponseVariationSchema]] = {}
        if isinstance(raw, dict):
            for name, variations in raw.items():
                try:
                    valid[str(name)] = _RESPONSES_ADAPTER.validate_python(variations)
                except ValidationError:
                    continue
        return valid

    # --- NLU ---------------------------------------------------------------------------

    def nlu_item(self, index: int, item: Any) -> None:
        path: tuple[PathPart, ...] = ("nlu", index)
        nlu = self.content.nlu
        if isinstance(item, IntentItem):
            self.intent(path, item)
        elif isinstance(item, SynonymItem):
            values = [
                text for text, _ in self.lines(path, item.examples, f"synonym {item.synonym!r}")
            ]
            self.place(("nlu", "synonyms", len(nlu.synonyms)), path)
            nlu.synonyms.append(Synonym(value=item.synonym, examples=values))
        elif isinstance(item, RegexItem):
            patterns = [
                text for text, _ in self.lines(path, item.examples, f"regex {item.regex!r}")
            ]
            self.place(("nlu", "regexes", len(nlu.regexes)), path)
            nlu.regexes.append(RegexPattern(name=item.regex, patterns=patterns))
        elif isinstance(item, LookupItem):
            elements = [
                text for text, _ in self.lines(path, item.examples, f"lookup {item.lookup!r}")
            ]
            self.place(("nlu", "lookups", len(nlu.lookups)), path)
            nlu.lookups.append(LookupTable(name=item.lookup, elements=elements))

    def intent(self, path: tuple[PathPart, ...], item: IntentItem) -> None:
        nlu = self.content.nlu
        if item.metadata is not None:
            nlu.intent_metadata[item.intent] = item.metadata
            self.place(("nlu", "intent_metadata", item.intent), (*path, "metadata"))
        examples_path = (*path, "examples")
        texts: list[tuple[str, tuple[PathPart, ...], int, Any]] = []
        if isinstance(item.examples, str):
            for text, start in self.lines(path, item.examples, f"intent {item.intent!r}"):
                texts.append((text, examples_path, start, None))
        else:
            for number, entry in enumerate(item.examples):
                text_path = (*examples_path, number, "text")
                text = entry.text.strip(EXAMPLE_STRIP)
                if not text:
                    self.warn("empty-example", "this example is empty, so it is skipped", text_path)
                    continue
                lead = len(entry.text) - len(entry.text.lstrip(EXAMPLE_STRIP))
                texts.append((text, text_path, lead, entry.metadata))
        if not texts:
            self.warn(
                "no-examples",
                f"intent {item.intent!r} has no examples here; add lines like `- hello`",
                examples_path,
            )
        for text, text_path, start, metadata in texts:
            parsed = self.annotated(text, text_path, start)
            if parsed is None:
                continue
            plain, entities = parsed
            self.content.locations[("nlu", "examples", len(nlu.examples))] = self.text_location(
                text_path, start
            )
            nlu.examples.append(
                Example(text=plain, intent=item.intent, entities=entities, metadata=metadata)
            )

    def lines(
        self, path: tuple[PathPart, ...], block: str, owner: str
    ) -> Iterator[tuple[str, int]]:
        """The ``- text`` entries of an ``examples`` block, each with the offset in the block
        where its text starts. Other lines are reported and skipped, as Rasa skips them."""
        examples_path = (*path, "examples")
        offset = 0
        for line in block.split("\n"):
            start, offset = offset, offset + len(line) + 1
            if not line.strip():
                continue
            if not line.startswith("-"):
                self.warn(
                    "example-format",
                    f"this line of {owner} does not start with `- `, so it is skipped; write "
                    "one example per line as `- text`",
                    examples_path,
                    start,
                )
                continue
            text = line[1:].strip(EXAMPLE_STRIP)
            if not text:
                self.warn(
                    "empty-example", "this example is empty, so it is skipped", examples_path, start
                )
                continue
            yield text, start + 1 + len(line[1:]) - len(line[1:].lstrip(EXAMPLE_STRIP))

    def annotated(
        self, text: str, path: tuple[PathPart, ...], start: int
    ) -> tuple[str, list[EntityAnnotation]] | None:
        """``text`` (which stands at ``start`` in the string at ``path``) read as annotated
        text; None after reporting an annotation error."""
        for slip in markup_warnings(text):
            self.warn("annotation-slip", slip.message, path, start + slip.column - 1)
        try:
            plain, entities = parse_annotated(text)
        except AnnotationError as error:
            self.error("annotation-syntax", error.message, path, start + error.column - 1)
            return None
        return plain, entities

    # --- stories and rules -------------------------------------------------------------

    def story(self, index: int, schema: StorySchema) -> None:
        number = len(self.content.stories)
        self.place(("stories", number), ("stories", index))
        steps = self.steps(("stories", index), ("stories", number), schema.steps)
        self.content.stories.append(Story(name=schema.story, steps=steps, metadata=schema.metadata))

    def rule(self, index: int, schema: RuleSchema) -> None:
        number = len(self.content.rules)
        here: tuple[PathPart, ...] = ("rules", index)
        self.place(("rules", number), here)
        condition: list[ActiveLoopStep | SlotWasSetStep] = []
        for position, step in enumerate(schema.condition or []):
            converted = self.step(
                (*here, "condition", position), ("rules", number, "condition", position), step
            )
            if isinstance(converted, ActiveLoopStep | SlotWasSetStep):
                condition.append(converted)
        self.content.rules.append(
            Rule(
                name=schema.rule,
                steps=self.steps(here, ("rules", number), schema.steps),
                condition=condition,
                conversation_start=bool(schema.conversation_start),
                wait_for_user_input=schema.wait_for_user_input is not False,
                metadata=schema.metadata,
            )
        )

    def steps(
        self, path: tuple[PathPart, ...], model_path: ModelPath, steps: list[Any]
    ) -> list[Step]:
        # An empty list of steps is reported by the project validation (empty-story/-rule).
        return [
            self.step((*path, "steps", j), (*model_path, "steps", j), step)
            for j, step in enumerate(steps)
        ]

    def step(self, path: tuple[PathPart, ...], model_path: ModelPath, schema: Any) -> Step:
        self.place(model_path, path)
        if isinstance(schema, UserStepSchema):
            return self.user_step(path, model_path, schema)
        if isinstance(schema, ActionStepSchema):
            return ActionStep(action=schema.action, bot=schema.bot, metadata=schema.metadata)
        if isinstance(schema, ActiveLoopStepSchema):
            return ActiveLoopStep(active_loop=schema.active_loop)
        if isinstance(schema, SlotWasSetStepSchema):
            slots = self.slot_values(
                (*path, "slot_was_set"), (*model_path, "slots"), schema.slot_was_set
            )
            return SlotWasSetStep(slots=slots)
        if isinstance(schema, CheckpointStepSchema):
            slots = self.slot_values(
                (*path, "slot_was_set"), (*model_path, "slot_was_set"), schema.slot_was_set or []
            )
            return CheckpointStep(checkpoint=schema.checkpoint, slot_was_set=slots)
        assert isinstance(schema, OrStepSchema)
        alternatives: list[UserStep | SlotWasSetStep] = []
        for k, alternative in enumerate(schema.or_):
            converted = self.step((*path, "or", k), (*model_path, "alternatives", k), alternative)
            if isinstance(converted, UserStep | SlotWasSetStep):
                alternatives.append(converted)
        return OrStep(alternatives=alternatives)

    def user_step(
        self, path: tuple[PathPart, ...], model_path: ModelPath, schema: UserStepSchema
    ) -> UserStep:
        intent = schema.intent
        if intent is not None and intent.startswith("/"):
            self.warn(
                "intent-prefix",
                f"write the intent without the leading `/`: `intent: {intent[1:]}`",
                (*path, "intent"),
            )
            intent = intent[1:]
        user = schema.user
        if user is not None:
            # Checked as written, so positions match the file; kept stripped, as Rasa does.
            self.annotated(user, (*path, "user"), 0)
            user = user.strip()
            if not user:
                self.error(
                    "invalid-value",
                    "the user text is empty; write what the user says",
                    (*path, "user"),
                )
        entities: list[StepEntity] = []
        for k, entry in enumerate(schema.entities or []):
            entity = self.step_entity((*path, "entities", k), entry)
            if entity is not None:
                self.place((*model_path, "entities", len(entities)), (*path, "entities", k))
                entities.append(entity)
        return UserStep(intent=intent, user=user, entities=entities, metadata=schema.metadata)

    def step_entity(
        self, path: tuple[PathPart, ...], entry: str | dict[str, Any]
    ) -> StepEntity | None:
        """``- name``, ``- name: value`` (with optional ``role``/``group``), or
        ``- {entity: name, value: …, role: …, group: …}``."""
        if isinstance(entry, str):
            return StepEntity(entity=entry, value_given=False)
        explicit = "entity" in entry
        if explicit:
            unknown = [str(k) for k in entry if k not in ("entity", "value", "role", "group")]
            if unknown:
                self.error(
                    "unknown-key",
                    f"unknown key {unknown[0]!r} in an entity; valid keys are: entity, value, "
                    "role, group",
                    (*path, unknown[0]),
                    key=True,
                )
                return None
            name_key: Any = "entity"
            name = entry["entity"]
        else:
            names = [k for k in entry if k not in ("role", "group")]
            if len(names) != 1:
                found = f"it names {_and([str(n) for n in names])}" if names else "it names none"
                self.error(
                    "invalid-value",
                    "an entity entry names one entity, as `- city: Berlin` (with optional "
                    f"`role` and `group`) or `- entity: city`; {found}",
                    path,
                )
                return None
            name_key = names[0]
            name = str(name_key)
        for key in ("role", "group"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                self.error("wrong-type", f"`{key}` of an entity must be a string", (*path, key))
                return None
        if not isinstance(name, str) or not name.strip():
            self.error(
                "invalid-value", "the entity name must be a non-empty string", (*path, name_key)
            )
            return None
        if explicit:
            return StepEntity(
                entity=name,
                value=entry.get("value"),
                role=entry.get("role"),
                group=entry.get("group"),
                value_given="value" in entry,
            )
        return StepEntity(
            entity=name, value=entry[name_key], role=entry.get("role"), group=entry.get("group")
        )

    def slot_values(
        self, path: tuple[PathPart, ...], model_path: ModelPath, items: list[str | dict[str, Any]]
    ) -> list[SlotValue]:
        """``- name`` (the slot is set to something) or ``- name: value``; a mapping may
        set several slots."""
        values: list[SlotValue] = []
        for k, item in enumerate(items):
            if isinstance(item, str):
                self.place((*model_path, len(values)), (*path, k))
                values.append(SlotValue(name=item, value_given=False))
                continue
            if not item:
                self.warn("empty-item", "this slot entry is empty, so it is skipped", (*path, k))
            for name, value in item.items():
                self.place((*model_path, len(values)), (*path, k, name))
                values.append(SlotValue(name=str(name), value=value))
        return values

    # --- positions and problems --------------------------------------------------------

    def place(self, model_path: ModelPath, path: tuple[PathPart, ...]) -> None:
        self.content.locations.setdefault(model_path, self.file.location(path))

    def warn(
        self, code: str, message: str, path: tuple[PathPart, ...], offset: int | None = None
    ) -> None:
        location = self.file.location(path) if offset is None else self.text_location(path, offset)
        self.content.problems.append(Problem(code, message, location, Severity.WARNING))

    def error(
        self,
        code: str,
        message: str,
        path: tuple[PathPart, ...],
        offset: int | None = None,
        *,
        key: bool = False,
    ) -> None:
        if offset is None:
            location = self.file.location(path, key=key)
        else:
            location = self.text_location(path, offset)
        self.content.problems.append(Problem(code, message, location))

    def text_location(self, path: tuple[PathPart, ...], offset: int) -> Location:
        """Where character ``offset`` of the string at ``path`` stands in the file.

        Exact for literal blocks (``|``) and one-line scalars; for other multi-line strings
        (folded, quoted over several lines) it is where the string starts.
        """
        text = self._texts.get(path)
        if text is None:
            text = self._texts[path] = self._place_text(path)
        start = text.start
        if start.line is None or start.column is None:
            return start
        if text.line_starts:
            # The block's lines start on the line after the `|`, all at the block's indent.
            line_index = bisect_right(text.line_starts, offset) - 1
            column = offset - text.line_starts[line_index]
            return Location(self.file.path, start.line + 1 + line_index, text.indent + column + 1)
        if text.start_only:
            return start
        return Location(self.file.path, start.line, start.column + text.indent + offset)

    def _place_text(self, path: tuple[PathPart, ...]) -> _PlacedText:
        """What :meth:`text_location` needs to know of the string at ``path``, found once:
        an ``examples`` block may hold thousands of lines."""
        start = self.file.location(path)
        node = self.file.node(path)
        if not isinstance(node, str) or start.line is None or start.column is None:
            return _PlacedText(start, start_only=True)
        if isinstance(node, LiteralScalarString):
            lines = node.split("\n")
            line_starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
            indent = self._block_indent(start.line, lines, path)
            return _PlacedText(start, line_starts=line_starts, indent=indent)
        if "\n" in node:
            return _PlacedText(start, start_only=True)
        quoted = self._char_at(start.line, start.column) in ("'", '"')
        return _PlacedText(start, indent=int(quoted))

    def _block_indent(
        self, indicator_line: int, lines: list[str], path: tuple[PathPart, ...]
    ) -> int:
        """The indent of a literal block's ``lines``, from the source; without it, the usual
        two spaces past the key."""
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        source = self._source_lines()
        if first is not None:
            number = indicator_line + first  # 0-based index of the block's first text line
            if number < len(source) and source[number].endswith(lines[first].rstrip("\r")):
                return len(source[number]) - len(lines[first].rstrip("\r"))
        key = self.file.location(path, key=True)
        return (key.column or 1) - 1 + 2

    def _char_at(self, line: int, column: int) -> str:
        source = self._source_lines()
        if line > len(source):
            return ""
        return source[line - 1][column - 1 : column]

    def _source_lines(self) -> list[str]:
        """The file's lines; the parsed tree keeps no indentation of block scalars."""
        if self._source is None:
            # Split on line feeds only: YAML counts lines that way, str.splitlines does not.
            self._source = [line.removesuffix("\r") for line in self.file.text.split("\n")]
        return self._source


__all__ = ["TrainingDataContent", "TrainingDataFile", "read_training_data"]
