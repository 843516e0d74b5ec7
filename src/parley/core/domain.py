"""The domain: the universe an assistant lives in.

Intents it understands, entities it extracts, slots it remembers (and how they get
filled), responses it says, actions and forms it runs, and how sessions behave. Field
names follow the Rasa 3.x domain format, so a dump reads like a ``domain.yml``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from parley.core.model import Model


class SlotType(StrEnum):
    TEXT = "text"
    BOOL = "bool"
    CATEGORICAL = "categorical"
    FLOAT = "float"
    LIST = "list"
    ANY = "any"


class MappingType(StrEnum):
    FROM_ENTITY = "from_entity"
    FROM_TEXT = "from_text"
    FROM_INTENT = "from_intent"
    FROM_TRIGGER_INTENT = "from_trigger_intent"
    CUSTOM = "custom"


class MappingCondition(Model):
    """A slot mapping applies only while this loop is active (and this slot is requested)."""

    active_loop: str | None = None
    requested_slot: str | None = None


class SlotMapping(Model):
    type: MappingType
    entity: str | None = None
    role: str | None = None
    group: str | None = None
    intent: list[str] = Field(default_factory=list)
    not_intent: list[str] = Field(default_factory=list)
    value: Any = None
    action: str | None = None
    conditions: list[MappingCondition] = Field(default_factory=list)


class Slot(Model):
    name: str
    type: SlotType
    mappings: list[SlotMapping] = Field(default_factory=list)
    influence_conversation: bool = True
    initial_value: Any = None
    values: list[str] = Field(default_factory=list)
    """The allowed values of a categorical slot."""
    min_value: float | None = None
    max_value: float | None = None


class Intent(Model):
    name: str
    use_entities: bool | list[str] = True
    """True: every entity; False: none; a list: only these."""
    ignore_entities: list[str] = Field(default_factory=list)


class Entity(Model):
    name: str
    roles: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    influence_conversation: bool = True


class Button(Model, extra="allow"):
    """A button of a response; channels may read keys beyond title and payload."""

    title: str
    payload: str | None = None


class ResponseCondition(Model):
    type: str = "slot"
    name: str
    value: Any = None


class ResponseVariation(Model, extra="allow"):
    """One way of saying a response. Keys beyond these (``quick_replies``, ``elements``,
    ``attachment``…) are kept as given, because channels read them."""

    text: str | None = None
    image: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    custom: dict[str, Any] | None = None
    channel: str | None = None
    condition: list[ResponseCondition] = Field(default_factory=list)
    id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Action(Model):
    name: str
    send_domain: bool = False
    """Send the whole domain with every call of this custom action."""


class Form(Model):
    name: str
    required_slots: list[str] = Field(default_factory=list)
    ignored_intents: list[str] = Field(default_factory=list)


class SessionConfig(Model):
    session_expiration_time: float = 60.0
    """Minutes of inactivity after which a new session starts; 0 means never."""
    carry_over_slots_to_new_session: bool = True


class Domain(Model):
    intents: list[Intent] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    slots: list[Slot] = Field(default_factory=list)
    responses: dict[str, list[ResponseVariation]] = Field(default_factory=dict)
    actions: list[Action] = Field(default_factory=list)
    forms: list[Form] = Field(default_factory=list)
    e2e_actions: list[str] = Field(default_factory=list)
    """Bot utterances given as text in end-to-end stories."""
    session_config: SessionConfig = Field(default_factory=SessionConfig)
    store_entities_as_slots: bool = True

    @property
    def intent_names(self) -> list[str]:
        return [intent.name for intent in self.intents]

    @property
    def entity_names(self) -> list[str]:
        return [entity.name for entity in self.entities]

    @property
    def slot_names(self) -> list[str]:
        return [slot.name for slot in self.slots]

    @property
    def action_names(self) -> list[str]:
        return [action.name for action in self.actions]

    @property
    def form_names(self) -> list[str]:
        return [form.name for form in self.forms]

    def slot(self, name: str) -> Slot | None:
        return next((slot for slot in self.slots if slot.name == name), None)

    def form(self, name: str) -> Form | None:
        return next((form for form in self.forms if form.name == name), None)
