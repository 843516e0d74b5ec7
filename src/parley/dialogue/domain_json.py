"""The domain as Rasa sends it to action servers (``Domain.as_dict``): the ``domain.yml``
document as JSON, with ``config`` and every slot's ``initial_value`` and
``influence_conversation`` spelled out (rasa-sdk's form validation reads them)."""

from __future__ import annotations

import json
from typing import Any

from parley.core.domain import Domain
from parley.dialogue.slots import dialogue_slots
from parley.project.writer import domain_document


def domain_json(domain: Domain) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(domain_document(domain)))
    document["config"] = {"store_entities_as_slots": domain.store_entities_as_slots}
    slots: dict[str, Any] = document.setdefault("slots", {})
    for slot in dialogue_slots(domain):
        entry = slots.setdefault(slot.name, {"type": slot.type.value, "mappings": []})
        entry["initial_value"] = slot.initial_value
        entry["influence_conversation"] = slot.influence_conversation
        if slot.values:
            entry["values"] = list(slot.values)
    document.setdefault("intents", [])
    document.setdefault("entities", [])
    document.setdefault("responses", {})
    document.setdefault("actions", [])
    document.setdefault("forms", {})
    document.setdefault("e2e_actions", [])
    return document
