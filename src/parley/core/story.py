"""Stories and rules: example conversations the dialogue policies learn from.

A story is a list of steps. Steps are a tagged union (the ``kind`` field) so code can
match on them; their other fields follow the Rasa YAML keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from parley.core.model import Model


class StepEntity(Model):
    """An entity given with a user step: ``- city: Berlin`` or ``- entity: city ...``."""

    entity: str
    value: Any = None
    role: str | None = None
    group: str | None = None
    value_given: bool = True
    """False for the bare form ``- city``, which says only that the entity is present."""


class SlotValue(Model):
    name: str
    value: Any = None
    value_given: bool = True
    """False for the bare form ``- slot_name``, which says only that the slot is set."""


class UserStep(Model):
    """The user says something: an intent, a text (end-to-end), or both."""

    kind: Literal["user"] = "user"
    intent: str | None = None
    user: str | None = None
    """End-to-end text as written, entity annotations included."""
    entities: list[StepEntity] = Field(default_factory=list)
    metadata: Any = None


class ActionStep(Model):
    """The bot runs an action, or (end-to-end) says this text."""

    kind: Literal["action"] = "action"
    action: str | None = None
    bot: str | None = None
    metadata: Any = None


class ActiveLoopStep(Model):
    """A loop (form) became active; ``None`` means the active loop ended."""

    kind: Literal["active_loop"] = "active_loop"
    active_loop: str | None = None


class SlotWasSetStep(Model):
    kind: Literal["slot_was_set"] = "slot_was_set"
    slots: list[SlotValue] = Field(default_factory=list)


class CheckpointStep(Model):
    """Joins stories: a story ending in a checkpoint continues in those starting with it."""

    kind: Literal["checkpoint"] = "checkpoint"
    checkpoint: str
    slot_was_set: list[SlotValue] = Field(default_factory=list)


class OrStep(Model):
    """Any one of the alternatives leads to the same continuation."""

    kind: Literal["or"] = "or"
    alternatives: list[UserStep | SlotWasSetStep] = Field(default_factory=list)


Step = Annotated[
    UserStep | ActionStep | ActiveLoopStep | SlotWasSetStep | CheckpointStep | OrStep,
    Field(discriminator="kind"),
]
ConditionStep = Annotated[ActiveLoopStep | SlotWasSetStep, Field(discriminator="kind")]


class Story(Model):
    name: str
    steps: list[Step] = Field(default_factory=list)
    metadata: Any = None


class Rule(Model):
    name: str
    steps: list[Step] = Field(default_factory=list)
    condition: list[ConditionStep] = Field(default_factory=list)
    conversation_start: bool = False
    wait_for_user_input: bool = True
    metadata: Any = None
