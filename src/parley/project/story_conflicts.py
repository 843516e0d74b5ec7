"""Story contradictions: stories and rules that teach different actions after the same
conversation history, and checkpoints that lead nowhere.

Story contradictions are found the way Rasa's story-structure validation finds them:
stories are unrolled into linear conversations (``or`` alternatives and checkpoints
expanded, up to :data:`MAX_CONVERSATIONS`), the dialogue state before every bot action is
computed (latest intent and its entities, slots that influence the conversation, active
loop, previous action), and two conversations whose last ``max_history`` states are equal
but whose next actions differ are reported. ``max_history`` is a parameter (default
:data:`DEFAULT_MAX_HISTORY`), not read from the policies, like ``rasa data validate
--max-history``; pass the policies' value to check exactly what they will see.

Rules are left out of that check, as in Rasa, because a rule matches whatever came before
it. Instead rules are checked among themselves, strictly: two rules whose steps
(conditions included) are identical up to an action but which then predict different
actions contradict each other. A story and a rule that disagree are not reported (the
rule wins at prediction time).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from parley.core.domain import MappingType, Slot, SlotType
from parley.core.problem import Problem, Severity
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
    UserStep,
)
from parley.project.findings import Findings, block_label, did_you_mean
from parley.project.project import Project
from parley.project.source_map import ModelPath, SourceMap

ACTION_LISTEN = "action_listen"
ACTION_RESTART = "action_restart"
ACTION_UNLIKELY_INTENT = "action_unlikely_intent"
DEFAULT_MAX_HISTORY = 5
MAX_CONVERSATIONS = 20_000
"""How many linear conversations the contradiction check unrolls at most; beyond this a
warning says the check was cut short (checkpoints and ``or`` steps multiply paths)."""

_FILLED = "filled"
"""The value Rasa gives a slot or entity written without one (``- slot_name``)."""


def find_story_conflicts(
    project: Project, sources: SourceMap, *, max_history: int
) -> list[Problem]:
    """The contradictions among the stories and among the rules of ``project``, and its
    unused checkpoints, located through ``sources``.

    ``max_history`` is how many past dialogue states two stories are compared on.
    """
    if max_history < 1:
        raise ValueError(f"max_history must be at least 1, not {max_history}")
    return _ConflictCheck(project, sources, max_history).run()


# ---------------------------------------------------------------------------------------
# Stories unrolled into conversations


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a predicted action was written."""

    label: str
    path: ModelPath


@dataclass(frozen=True, slots=True)
class _UserEvent:
    intent: str
    entities: tuple[StepEntity, ...]
    origin: _Origin
    """Where the user step is; the implicit ``action_listen`` before it is reported there."""


@dataclass(frozen=True, slots=True)
class _ActionEvent:
    name: str
    origin: _Origin


@dataclass(frozen=True, slots=True)
class _SlotEvent:
    name: str
    value: Any


@dataclass(frozen=True, slots=True)
class _LoopEvent:
    name: str | None


_Event = _UserEvent | _ActionEvent | _SlotEvent | _LoopEvent


@dataclass(frozen=True, slots=True)
class _State:
    """What the policies see before an action: the dialogue state Rasa featurizes."""

    intent: str | None
    entities: frozenset[str]
    previous_action: str | None
    active_loop: str | None
    slots: tuple[tuple[str, Any], ...]

    @property
    def is_start(self) -> bool:
        return self.intent is None and self.previous_action is None

    def describe(self) -> str:
        if self.previous_action and self.previous_action != ACTION_LISTEN:
            return f"action '{self.previous_action}'"
        if self.intent is not None:
            entities = f" with {', '.join(sorted(self.entities))}" if self.entities else ""
            return f"intent '{self.intent}'{entities}"
        return "conversation start"


@dataclass
class _Segment:
    """A stretch of a story between checkpoints."""

    label: str
    path: ModelPath
    starts: list[tuple[ModelPath, CheckpointStep]]
    steps: list[tuple[ModelPath, Step]] = field(default_factory=list)
    ends: list[tuple[ModelPath, CheckpointStep]] = field(default_factory=list)

    @property
    def last_path(self) -> ModelPath:
        return self.steps[-1][0] if self.steps else self.path


def _segments(label: str, path: ModelPath, steps: Sequence[Step]) -> list[_Segment]:
    """``steps`` cut at checkpoints: a checkpoint amid a story ends one segment and
    starts the next, so other stories can join or leave there."""
    segments = [_Segment(label, path, starts=[])]
    pending: list[tuple[ModelPath, CheckpointStep]] = []
    for index, step in enumerate(steps):
        current = segments[-1]
        where: ModelPath = (*path, "steps", index)
        if isinstance(step, CheckpointStep):
            if current.steps:
                pending.append((where, step))
            else:
                current.starts.append((where, step))
            continue
        if pending:
            current.ends = pending
            current = _Segment(label, path, starts=pending)
            segments.append(current)
            pending = []
        current.steps.append((where, step))
    segments[-1].ends = pending
    return segments


# ---------------------------------------------------------------------------------------


class _ConflictCheck:
    """One project's stories and rules, with what of its domain shapes a dialogue state."""

    def __init__(self, project: Project, sources: SourceMap, max_history: int) -> None:
        self.project = project
        self.findings = Findings(sources)
        self.max_history = max_history

        domain = project.domain
        self.entities = {entity.name: entity for entity in domain.entities}
        self.slots = {slot.name: slot for slot in domain.slots}
        self.use_entities = {intent.name: intent for intent in domain.intents}
        self.influential_slots = sorted(
            (slot for slot in domain.slots if slot.influence_conversation),
            key=lambda slot: slot.name,
        )

    def run(self) -> list[Problem]:
        project = self.project
        segments = [
            segment
            for index, story in enumerate(project.stories)
            for segment in _segments(
                block_label("story", story.name), ("stories", index), story.steps
            )
        ]
        self._check_checkpoints(segments)
        conversations, complete = self._unroll(segments)
        predictions = _Predictions()
        for events in conversations:
            predictions.add(self._states(events), self.max_history)
        if not complete:
            self.findings.report(
                "story-check-limited",
                f"the stories unroll into more than {MAX_CONVERSATIONS} conversations "
                "(checkpoints and `or` steps multiply), so only that many were checked for "
                "contradictions; split long checkpoint chains to check them all",
                ("stories",),
                Severity.WARNING,
            )
        for conflict in predictions.conflicts():
            self._report_conflict("story-conflict", "stories", conflict)

        rule_predictions = _Predictions()
        for index, rule in enumerate(project.rules):
            label = block_label("rule", rule.name)
            steps = self._rule_events(rule, label, ("rules", index))
            for alternative in _expand_steps(steps):
                states = self._states(alternative)
                rule_predictions.add(states, None, prefix=rule.conversation_start)
        for conflict in rule_predictions.conflicts():
            self._report_conflict("rule-conflict", "rules", conflict)
        return self.findings.problems

    def _report_conflict(self, code: str, kinds: str, conflict: _Conflict) -> None:
        (first_action, first), (second_action, second) = conflict.choices[:2]
        history = " → ".join(state.describe() for state in conflict.history if not state.is_start)
        last = conflict.history[-1]
        context = []
        if last.slots:
            context.append("slots " + ", ".join(f"{name}={value}" for name, value in last.slots))
        if last.active_loop:
            context.append(f"active loop '{last.active_loop}'")
        extra = f" ({'; '.join(context)})" if context else ""

        def predicted(action: str) -> str:
            return "waits for the user" if action == ACTION_LISTEN else f"runs '{action}'"

        where = self.findings.where
        others = "".join(
            f"; {origin.label}{where(origin.path, second.path)} {predicted(action)}"
            for action, origin in conflict.choices[2:]
        )
        self.findings.report(
            code,
            f"{kinds} contradict each other after {history}{extra}: {second.label} "
            f"{predicted(second_action)} here, but {first.label}"
            f"{where(first.path, second.path)} "
            f"{predicted(first_action)}{others}. The policies cannot learn both; make the "
            f"{kinds} agree, or make their histories differ (another intent, entity or "
            "slot_was_set)",
            second.path,
        )

    def _check_checkpoints(self, segments: list[_Segment]) -> None:
        started = {cp.checkpoint for segment in segments for _, cp in segment.starts}
        ended = {cp.checkpoint for segment in segments for _, cp in segment.ends}
        reported: set[str] = set()
        for segment in segments:
            for path, checkpoint in segment.starts:
                name = checkpoint.checkpoint
                if name not in ended and name not in reported:
                    reported.add(name)
                    self.findings.report(
                        "unused-checkpoint",
                        f"{segment.label} starts at checkpoint '{name}', but no story ends "
                        f"with it, so what follows is never trained"
                        f"{did_you_mean(name, ended)} End another story with this "
                        "checkpoint or remove it",
                        path,
                        Severity.WARNING,
                    )
            for path, checkpoint in segment.ends:
                name = checkpoint.checkpoint
                if name not in started and name not in reported:
                    reported.add(name)
                    self.findings.report(
                        "unused-checkpoint",
                        f"{segment.label} ends at checkpoint '{name}', but no story starts "
                        f"with it{did_you_mean(name, started)} Start another story with "
                        "this checkpoint or remove it",
                        path,
                        Severity.WARNING,
                    )

    def _step_events(self, step: Step, label: str, path: ModelPath) -> list[list[_Event]]:
        """The alternative event sequences one step stands for."""
        if isinstance(step, UserStep):
            intent = step.intent or f"text: {step.user or ''}"
            return [[_UserEvent(intent, tuple(step.entities), _Origin(label, path))]]
        if isinstance(step, ActionStep):
            name = step.action if step.action is not None else f"text: {step.bot or ''}"
            return [[_ActionEvent(name, _Origin(label, path))]]
        if isinstance(step, ActiveLoopStep):
            return [[_LoopEvent(step.active_loop)]]
        if isinstance(step, SlotWasSetStep):
            return [[_slot_event(slot) for slot in step.slots]]
        if isinstance(step, OrStep):
            return [
                options[0]
                for number, alternative in enumerate(step.alternatives)
                if (
                    options := self._step_events(
                        alternative, label, (*path, "alternatives", number)
                    )
                )
            ]
        return [[]]

    def _rule_events(self, rule: Rule, label: str, path: ModelPath) -> list[list[list[_Event]]]:
        steps: list[list[list[_Event]]] = []
        for number, condition in enumerate(rule.condition):
            steps.append(self._step_events(condition, label, (*path, "condition", number)))
        for number, step in enumerate(rule.steps):
            steps.append(self._step_events(step, label, (*path, "steps", number)))
        if rule.wait_for_user_input and rule.steps:
            steps.append([[_ActionEvent(ACTION_LISTEN, _Origin(label, path))]])
        return steps

    def _unroll(self, segments: list[_Segment]) -> tuple[list[list[_Event]], bool]:
        """Every linear conversation the stories describe, and whether all were unrolled."""
        following: dict[str, list[_Segment]] = defaultdict(list)
        for segment in segments:
            for _, checkpoint in segment.starts:
                following[checkpoint.checkpoint].append(segment)
        variants = {
            id(segment): list(
                _expand_steps(
                    [self._step_events(step, segment.label, path) for path, step in segment.steps]
                )
            )
            for segment in segments
        }
        conversations: list[list[_Event]] = []
        complete = True

        def walk(segment: _Segment, prefix: list[_Event], visited: frozenset[int]) -> None:
            nonlocal complete
            for variant in variants[id(segment)]:
                if len(conversations) >= MAX_CONVERSATIONS:
                    complete = False
                    return
                events = prefix + variant
                if not segment.ends:
                    final = _Origin(segment.label, segment.last_path)
                    conversations.append([*events, _ActionEvent(ACTION_LISTEN, final)])
                    continue
                successors = [
                    nxt
                    for _, checkpoint in segment.ends
                    for nxt in following.get(checkpoint.checkpoint, [])
                    if id(nxt) not in visited and self._satisfies(nxt, events)
                ]
                if not successors:
                    conversations.append(events)
                for nxt in successors:
                    walk(nxt, events, visited | {id(nxt)})

        for segment in segments:
            if not segment.starts:
                walk(segment, [], frozenset({id(segment)}))
        return conversations, complete

    def _satisfies(self, segment: _Segment, events: list[_Event]) -> bool:
        """Whether the slot conditions of the checkpoints ``segment`` starts at hold."""
        conditions = [
            checkpoint.slot_was_set for _, checkpoint in segment.starts if checkpoint.slot_was_set
        ]
        if not conditions:
            return True
        slots = self._slot_values(events)
        return any(
            all(
                slots.get(slot.name) == slot.value
                if slot.value_given
                else slots.get(slot.name) is not None
                for slot in condition
            )
            for condition in conditions
        )

    def _slot_values(self, events: Iterable[_Event]) -> dict[str, Any]:
        slots: dict[str, Any] = {slot.name: slot.initial_value for slot in self.slots.values()}
        for event in events:
            if isinstance(event, _SlotEvent):
                slots[event.name] = event.value
            elif isinstance(event, _UserEvent):
                slots.update(self._slots_from_entities(event.entities))
            elif isinstance(event, _ActionEvent) and event.name == ACTION_RESTART:
                slots = {slot.name: slot.initial_value for slot in self.slots.values()}
        return slots

    def _slots_from_entities(self, entities: Sequence[StepEntity]) -> dict[str, Any]:
        """Slots an entity fills by itself (``from_entity`` mappings without a form)."""
        if not entities or not self.project.domain.store_entities_as_slots:
            return {}
        filled: dict[str, Any] = {}
        for slot in self.slots.values():
            values = [
                given.value if given.value_given else _FILLED
                for mapping in slot.mappings
                if mapping.type is MappingType.FROM_ENTITY
                and not any(condition.active_loop for condition in mapping.conditions)
                for given in entities
                if (given.entity, given.role, given.group)
                == (mapping.entity, mapping.role, mapping.group)
            ]
            if values:
                filled[slot.name] = values if slot.type is SlotType.LIST else values[-1]
        return filled

    def _states(self, events: Sequence[_Event]) -> list[tuple[_State, _ActionEvent]]:
        """The state before each action of a conversation, paired with that action."""
        intent: str | None = None
        entities: frozenset[str] = frozenset()
        previous: str | None = None
        loop: str | None = None
        slots: dict[str, Any] = {slot.name: slot.initial_value for slot in self.slots.values()}
        result: list[tuple[_State, _ActionEvent]] = []

        def act(action: _ActionEvent) -> None:
            nonlocal previous, intent, entities, loop, slots, result
            if action.name == ACTION_UNLIKELY_INTENT:
                return  # Rasa cannot learn it from stories, so it never conflicts
            state = _State(intent, entities, previous, loop, self._slot_features(slots))
            result.append((state, action))
            previous = action.name
            if action.name == ACTION_RESTART:
                intent, entities, previous, loop = None, frozenset(), None, None
                slots = {slot.name: slot.initial_value for slot in self.slots.values()}

        for event in events:
            if isinstance(event, _UserEvent):
                if previous != ACTION_LISTEN:
                    act(_ActionEvent(ACTION_LISTEN, event.origin))
                intent = event.intent
                entities = self._entity_features(event.intent, event.entities)
                slots.update(self._slots_from_entities(event.entities))
            elif isinstance(event, _ActionEvent):
                act(event)
            elif isinstance(event, _SlotEvent):
                slots[event.name] = event.value
            else:
                loop = event.name
        return result

    def _entity_features(self, intent: str, given: Sequence[StepEntity]) -> frozenset[str]:
        declared = self.use_entities.get(intent)
        wanted: set[str] | None = None  # None: every entity
        ignored: set[str] = set()
        if declared is not None:
            if declared.use_entities is False:
                return frozenset()
            if isinstance(declared.use_entities, list):
                wanted = set(declared.use_entities)
            ignored = set(declared.ignore_entities)
        tags: set[str] = set()
        for entity in given:
            known = self.entities.get(entity.entity)
            if known is not None and not known.influence_conversation:
                continue
            if entity.entity in ignored or (wanted is not None and entity.entity not in wanted):
                continue
            tags.add(entity.entity)
            if entity.role:
                tags.add(f"{entity.entity}#{entity.role}")
            if entity.group:
                tags.add(f"{entity.entity}#{entity.group}")
        return frozenset(tags)

    def _slot_features(self, values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
        features = []
        for slot in self.influential_slots:
            feature = _slot_feature(slot, values.get(slot.name))
            if feature is not None:
                features.append((slot.name, feature))
        return tuple(features)


def _slot_event(slot: SlotValue) -> _SlotEvent:
    return _SlotEvent(slot.name, slot.value if slot.value_given else _FILLED)


def _slot_feature(slot: Slot, value: Any) -> Any:
    """What a policy sees of a slot's value, as Rasa featurizes each slot type."""
    if value is None:
        return None
    if slot.type is SlotType.BOOL:
        return str(value).lower() in {"true", "1", "yes", "y", "on", _FILLED}
    if slot.type is SlotType.CATEGORICAL:
        text = str(value).lower()
        return text if text in {str(v).lower() for v in slot.values} else "__other__"
    if slot.type is SlotType.FLOAT:
        low = slot.min_value if slot.min_value is not None else 0.0
        high = slot.max_value if slot.max_value is not None else 1.0
        try:
            number = float(value)
        except (TypeError, ValueError):
            return "set"
        return min(max(number, low), high)
    if slot.type is SlotType.LIST:
        return bool(value) or None
    if slot.type is SlotType.ANY:
        return None
    return True


def _expand_steps(steps: list[list[list[_Event]]]) -> Iterator[list[_Event]]:
    """Each combination of the alternatives of ``steps``, flattened, at most
    :data:`MAX_CONVERSATIONS` of them."""
    combos = itertools.islice(itertools.product(*steps), MAX_CONVERSATIONS)
    for combo in combos:
        yield [event for part in combo for event in part]


@dataclass
class _Conflict:
    history: tuple[_State, ...]
    choices: list[tuple[str, _Origin]]


class _Predictions:
    """Which action follows each history; a history with two actions is a conflict."""

    def __init__(self) -> None:
        self._next: dict[tuple[Any, ...], dict[str, _Origin]] = {}

    def add(
        self,
        states: Sequence[tuple[_State, _ActionEvent]],
        max_history: int | None,
        prefix: object = None,
    ) -> None:
        history: list[_State] = []
        for state, action in states:
            history.append(state)
            window = history if max_history is None else history[-max_history:]
            key = (prefix, *window)
            actions = self._next.setdefault(key, {})
            actions.setdefault(action.name, action.origin)

    def conflicts(self) -> Iterator[_Conflict]:
        seen: set[frozenset[tuple[str, ModelPath]]] = set()
        for key, actions in self._next.items():
            if len(actions) < 2:
                continue
            history = tuple(state for state in key[1:] if isinstance(state, _State))
            if not history or history[-1].is_start:
                continue  # what a conversation starts with is not learnt from history
            choices = list(actions.items())
            identity = frozenset((action, origin.path) for action, origin in choices)
            if identity in seen:
                continue
            seen.add(identity)
            yield _Conflict(history, choices)
