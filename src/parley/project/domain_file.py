"""The domain file format (``domain.yml`` or the files of a ``domain/`` folder).

The schema models mirror the YAML; :class:`DomainAssembler` turns one or more validated
files into a single :class:`~parley.core.domain.Domain`, recording where each part was
written. Rasa 2.x domains (slots without ``mappings``, forms that carry slot mappings,
``auto_fill``, slot types written as class paths) are converted the way ``rasa data
migrate`` converts them, so they load as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ConfigDict, field_validator

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
from parley.core.problem import Location, Problem, Severity
from parley.project.schema import FileModel
from parley.project.source_map import ModelPath, SourceMap
from parley.project.yaml_file import PathPart, YamlFile

# Rasa 2.x wrote slot types as class paths; ``unfeaturized`` became ``any``.
_SLOT_TYPE_ALIASES = {
    "unfeaturized": SlotType.ANY,
    "TextSlot": SlotType.TEXT,
    "BooleanSlot": SlotType.BOOL,
    "CategoricalSlot": SlotType.CATEGORICAL,
    "FloatSlot": SlotType.FLOAT,
    "ListSlot": SlotType.LIST,
    "AnySlot": SlotType.ANY,
    "UnfeaturizedSlot": SlotType.ANY,
}
_SLOT_CLASS_PREFIXES = ("rasa.shared.core.slots.", "rasa.core.slots.")


class IntentOptions(FileModel):
    use_entities: bool | list[str] | None = None
    ignore_entities: list[str] | None = None
    triggers: str | None = None
    is_retrieval_intent: bool | None = None


class EntityOptions(FileModel):
    roles: list[str] | None = None
    groups: list[str] | None = None
    influence_conversation: bool | None = None


class MappingConditionSchema(FileModel):
    active_loop: str | None = None
    requested_slot: str | None = None


class SlotMappingSchema(FileModel):
    type: Literal["from_entity", "from_text", "from_intent", "from_trigger_intent", "custom"]
    entity: str | None = None
    role: str | None = None
    group: str | None = None
    intent: str | list[str] | None = None
    not_intent: str | list[str] | None = None
    value: Any = None
    action: str | None = None
    conditions: list[MappingConditionSchema] | None = None


class SlotSchema(FileModel):
    type: str
    influence_conversation: bool | None = None
    initial_value: Any = None
    values: list[Any] | None = None
    min_value: float | None = None
    max_value: float | None = None
    mappings: list[SlotMappingSchema] | None = None
    auto_fill: bool | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if slot_type(value) is None:
            valid = ", ".join(t.value for t in SlotType)
            raise ValueError(f"unknown slot type {value!r}; valid types are: {valid}")
        return value


class ButtonSchema(FileModel):
    model_config = ConfigDict(extra="allow")

    title: str
    payload: str | None = None


class ResponseConditionSchema(FileModel):
    type: Literal["slot"] = "slot"
    name: str
    value: Any = None


class ResponseVariationSchema(FileModel):
    """Keys beyond these are kept: channels read their own (``quick_replies``, …)."""

    model_config = ConfigDict(extra="allow")

    text: str | None = None
    image: str | None = None
    buttons: list[ButtonSchema] | None = None
    custom: dict[str, Any] | None = None
    channel: str | None = None
    condition: list[ResponseConditionSchema] | None = None
    id: str | None = None
    metadata: dict[str, Any] | None = None


class ActionOptions(FileModel):
    send_domain: bool | None = None


class FormSchema(FileModel):
    required_slots: list[str] | dict[str, list[SlotMappingSchema] | None] | None = None
    ignored_intents: str | list[str] | None = None


class SessionConfigSchema(FileModel):
    session_expiration_time: float | None = None
    carry_over_slots_to_new_session: bool | None = None


class DomainConfigSchema(FileModel):
    store_entities_as_slots: bool | None = None


class DomainFile(FileModel):
    version: str | None = None
    intents: list[str | dict[str, IntentOptions | None]] | None = None
    entities: list[str | dict[str, EntityOptions | None]] | None = None
    slots: dict[str, SlotSchema] | None = None
    responses: dict[str, list[ResponseVariationSchema]] | None = None
    actions: list[str | dict[str, ActionOptions | None]] | None = None
    forms: dict[str, FormSchema | None] | None = None
    e2e_actions: list[str] | None = None
    session_config: SessionConfigSchema | None = None
    config: DomainConfigSchema | None = None


def slot_type(name: str) -> SlotType | None:
    """The slot type a domain names, accepting Rasa 2.x class paths; None if unknown."""
    for prefix in _SLOT_CLASS_PREFIXES:
        name = name.removeprefix(prefix)
    if name in SlotType._value2member_map_:
        return SlotType(name)
    return _SLOT_TYPE_ALIASES.get(name)


def convert_responses(
    responses: dict[str, list[ResponseVariationSchema]],
) -> dict[str, list[ResponseVariation]]:
    return {name: [_variation(v) for v in variations] for name, variations in responses.items()}


def _variation(schema: ResponseVariationSchema) -> ResponseVariation:
    extra = dict(schema.model_extra or {})
    return ResponseVariation(
        text=schema.text,
        image=schema.image,
        buttons=[
            Button(title=b.title, payload=b.payload, **(b.model_extra or {}))
            for b in schema.buttons or []
        ],
        custom=schema.custom,
        channel=schema.channel,
        condition=[
            ResponseCondition(type=c.type, name=c.name, value=c.value)
            for c in schema.condition or []
        ],
        id=schema.id,
        metadata=schema.metadata or {},
        **extra,
    )


def _names(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _mapping(schema: SlotMappingSchema) -> SlotMapping:
    return SlotMapping(
        type=MappingType(schema.type),
        entity=schema.entity,
        role=schema.role,
        group=schema.group,
        intent=_names(schema.intent),
        not_intent=_names(schema.not_intent),
        value=schema.value,
        action=schema.action,
        conditions=[
            MappingCondition(active_loop=c.active_loop, requested_slot=c.requested_slot)
            for c in schema.conditions or []
        ],
    )


@dataclass
class _Placed:
    """A part of the domain with the file position it came from."""

    value: Any
    location: Location
    below: dict[tuple[PathPart, ...], Location] = field(default_factory=dict)
    """Positions of the keys and items inside it, by their path below it."""


@dataclass
class _LegacyForm:
    name: str
    slot_mappings: dict[str, list[SlotMapping]]


class DomainAssembler:
    """Collects validated domain files and assembles one domain from them.

    A name defined in two files keeps its first definition; the second is reported.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._intents: dict[str, _Placed] = {}
        self._entities: dict[str, _Placed] = {}
        self._slots: dict[str, _Placed] = {}
        self._slot_auto_fill: dict[str, bool] = {}
        self._responses: dict[str, _Placed] = {}
        self._actions: dict[str, _Placed] = {}
        self._forms: dict[str, _Placed] = {}
        self._legacy_forms: list[_LegacyForm] = []
        self._e2e_actions: list[str] = []
        self._session: SessionConfig | None = None
        self._store_entities_as_slots = True
        self._legacy_files: list[Location] = []

    def add(self, schema: DomainFile, file: YamlFile) -> None:
        legacy = False
        for index, intent in enumerate(schema.intents or []):
            name, options = self._single(intent, file, ("intents", index), "intent")
            if name is None:
                continue
            opts = options if isinstance(options, IntentOptions) else IntentOptions()
            if opts.triggers is not None:
                self._warn(
                    "deprecated-key",
                    f"intent {name!r}: `triggers` was removed in Rasa 3 and is ignored; "
                    "write a rule instead (intent, then the action)",
                    file.location(("intents", index, name, "triggers"), key=True),
                )
            value = Intent(
                name=name,
                use_entities=True if opts.use_entities is None else opts.use_entities,
                ignore_entities=opts.ignore_entities or [],
            )
            self._put(
                self._intents, name, _Placed(value, file.location(("intents", index))), "intent"
            )
        for index, entity in enumerate(schema.entities or []):
            name, options = self._single(entity, file, ("entities", index), "entity")
            if name is None:
                continue
            e_opts = options if isinstance(options, EntityOptions) else EntityOptions()
            entity_value = Entity(
                name=name,
                roles=e_opts.roles or [],
                groups=e_opts.groups or [],
                influence_conversation=(
                    True if e_opts.influence_conversation is None else e_opts.influence_conversation
                ),
            )
            placed = _Placed(entity_value, file.location(("entities", index)))
            self._put(self._entities, name, placed, "entity")
        for name, slot in (schema.slots or {}).items():
            if slot.mappings is None:
                legacy = True
            self._slot_auto_fill[name] = slot.auto_fill is not False
            self._put_named(self._slots, self._slot(name, slot), file, ("slots", name), "slot")
        for name, variations in convert_responses(schema.responses or {}).items():
            self._put_named(self._responses, variations, file, ("responses", name), "response")
        for index, action in enumerate(schema.actions or []):
            name, options = self._single(action, file, ("actions", index), "action")
            if name is None:
                continue
            send_domain = isinstance(options, ActionOptions) and bool(options.send_domain)
            action_value = Action(name=name, send_domain=send_domain)
            placed = _Placed(action_value, file.location(("actions", index)))
            self._put(self._actions, name, placed, "action")
        for name, maybe_form in (schema.forms or {}).items():
            form = maybe_form or FormSchema()
            required = form.required_slots
            if isinstance(required, dict):
                legacy = True
                self._legacy_forms.append(
                    _LegacyForm(
                        name,
                        {
                            slot: [_mapping(m) for m in maps or []]
                            for slot, maps in required.items()
                        },
                    )
                )
                slot_names = list(required)
            else:
                slot_names = list(required or [])
            form_value = Form(
                name=name, required_slots=slot_names, ignored_intents=_names(form.ignored_intents)
            )
            self._put_named(self._forms, form_value, file, ("forms", name), "form")
        self._e2e_actions.extend(a for a in schema.e2e_actions or [] if a not in self._e2e_actions)
        if schema.session_config is not None:
            defaults = SessionConfig()
            self._session = SessionConfig(
                session_expiration_time=(
                    defaults.session_expiration_time
                    if schema.session_config.session_expiration_time is None
                    else schema.session_config.session_expiration_time
                ),
                carry_over_slots_to_new_session=(
                    defaults.carry_over_slots_to_new_session
                    if schema.session_config.carry_over_slots_to_new_session is None
                    else schema.session_config.carry_over_slots_to_new_session
                ),
            )
        if schema.config is not None and schema.config.store_entities_as_slots is not None:
            self._store_entities_as_slots = schema.config.store_entities_as_slots
        if legacy or (schema.version or "").startswith("2"):
            self._legacy_files.append(file.location())

    def add_responses(
        self, responses: dict[str, list[ResponseVariation]], locations: dict[str, Location]
    ) -> None:
        """Responses written in data files (those of retrieval intents, usually)."""
        for name, variations in responses.items():
            self._put(self._responses, name, _Placed(variations, locations[name]), "response")

    def build(self, sources: SourceMap) -> Domain:
        self._migrate_legacy()
        domain = Domain(
            intents=[p.value for p in self._intents.values()],
            entities=[p.value for p in self._entities.values()],
            slots=[p.value for p in self._slots.values()],
            responses={name: p.value for name, p in self._responses.items()},
            actions=[p.value for p in self._actions.values()],
            forms=[p.value for p in self._forms.values()],
            e2e_actions=self._e2e_actions,
            session_config=self._session or SessionConfig(),
            store_entities_as_slots=self._store_entities_as_slots,
        )
        for key, table in (
            ("intents", self._intents),
            ("entities", self._entities),
            ("slots", self._slots),
            ("actions", self._actions),
            ("forms", self._forms),
        ):
            for index, placed in enumerate(table.values()):
                path: ModelPath = ("domain", key, index)
                sources.add(path, placed.location)
                for sub, location in placed.below.items():
                    sources.add(path + sub, location)
        for name, placed in self._responses.items():
            sources.add(("domain", "responses", name), placed.location)
            for sub, location in placed.below.items():
                sources.add(("domain", "responses", name, *sub), location)
        return domain

    def _migrate_legacy(self) -> None:
        """Convert Rasa 2.x slot filling to 3.x mappings, as ``rasa data migrate`` does."""
        if not self._legacy_files:
            return
        entity_names = set(self._entities)
        for form in self._legacy_forms:
            for slot_name, form_mappings in form.slot_mappings.items():
                placed = self._slots.get(slot_name)
                if placed is None:
                    continue  # reported by validation: a form slot that is not a slot
                slot: Slot = placed.value
                mappings = list(slot.mappings)
                for mapping in form_mappings:
                    condition = MappingCondition(
                        active_loop=form.name,
                        requested_slot=(
                            None
                            if mapping.type
                            in (MappingType.FROM_ENTITY, MappingType.FROM_TRIGGER_INTENT)
                            else slot_name
                        ),
                    )
                    same = next(
                        (
                            i
                            for i, m in enumerate(mappings)
                            if m.model_copy(update={"conditions": []}) == mapping
                        ),
                        None,
                    )
                    if same is None:
                        mappings.append(mapping.model_copy(update={"conditions": [condition]}))
                    else:
                        existing = mappings[same]
                        mappings[same] = existing.model_copy(
                            update={"conditions": [*existing.conditions, condition]}
                        )
                placed.value = slot.model_copy(update={"mappings": mappings})
        for name, placed in self._slots.items():
            slot = placed.value
            mappings = list(slot.mappings)
            auto_fill = self._slot_auto_fill.get(name, True)
            from_entity = SlotMapping(type=MappingType.FROM_ENTITY, entity=name)
            if name in entity_names and auto_fill and from_entity not in mappings:
                mappings.append(from_entity)
            if not mappings:
                mappings.append(SlotMapping(type=MappingType.CUSTOM))
            placed.value = slot.model_copy(update={"mappings": mappings})
        self._warn(
            "legacy-format",
            "this domain uses the Rasa 2.x format (slots without `mappings`, or form slot "
            "mappings); it was converted as `rasa data migrate` would. Run `parley migrate` "
            "to write it in the 3.x format",
            self._legacy_files[0],
        )

    def _slot(self, name: str, schema: SlotSchema) -> Slot:
        kind = slot_type(schema.type) or SlotType.ANY
        unfeaturized = schema.type.removeprefix("rasa.shared.core.slots.") in {
            "unfeaturized",
            "UnfeaturizedSlot",
        }
        influence = schema.influence_conversation
        if influence is None:
            influence = kind is not SlotType.ANY and not unfeaturized
        return Slot(
            name=name,
            type=kind,
            mappings=[_mapping(m) for m in schema.mappings or []],
            influence_conversation=influence,
            initial_value=schema.initial_value,
            values=[str(v) for v in schema.values or []],
            min_value=schema.min_value,
            max_value=schema.max_value,
        )

    def _single(
        self, item: str | dict[str, Any], file: YamlFile, path: tuple[PathPart, ...], kind: str
    ) -> tuple[str | None, Any]:
        """``name`` or ``{name: options}``; anything else is reported."""
        if isinstance(item, str):
            return item, None
        if len(item) != 1:
            self.problems.append(
                Problem(
                    "invalid-value",
                    f"an {kind} entry must be a name or a mapping with exactly one key "
                    f"(the {kind} name) holding its options; found keys: {', '.join(item)}",
                    file.location(path),
                )
            )
            return None, None
        ((name, options),) = item.items()
        return str(name), options

    def _put_named(
        self,
        table: dict[str, _Placed],
        value: Any,
        file: YamlFile,
        path: tuple[str, str],
        kind: str,
    ) -> None:
        """:meth:`_put` for a part keyed by its name in the file (a slot, a form, a
        response): it is located at its name, and everything inside it is located too."""
        placed = _Placed(value, file.location(path, key=True), dict(file.locations_below(path)))
        self._put(table, path[1], placed, kind)

    def _put(self, table: dict[str, _Placed], name: str, placed: _Placed, kind: str) -> None:
        if name in table:
            self._warn(
                "duplicate-definition",
                f"{kind} {name!r} is defined again; the first definition, at "
                f"{table[name].location}, is kept",
                placed.location,
            )
            return
        table[name] = placed

    def _warn(self, code: str, message: str, location: Location) -> None:
        self.problems.append(Problem(code, message, location, Severity.WARNING))
