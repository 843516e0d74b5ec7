"""Custom action of the shared ``knowledgebasebot`` (see its ACTIONS.md), written for Parley's
tests: rasa_sdk's own ``ActionQueryKnowledgeBase`` over an ``InMemoryKnowledgeBase`` of the bot's
``knowledge_base_data.json``, read where it lies: the file named by ``KNOWLEDGEBASEBOT_DATA``,
else ``$PARLEY_SHARED_BOTS_DIR/knowledgebasebot/knowledge_base_data.json``. The file is read when
the server starts (rasa_sdk makes the action then, and again in Sanic's worker process), so a
missing file stops the server with the path in its log.

Hotels are listed as "<name> (<city>)"; restaurants by name (the SDK's default). The SDK answers
with its own texts, e.g. "Found the following objects of type 'restaurant':" followed by
"1: Donath" lines, or "'Donath' has the value 'Italian' for attribute 'cuisine'.", and sets the
slots ``knowledge_base_listed_objects``, ``knowledge_base_last_object`` and
``knowledge_base_last_object_type`` (the domain lacks them; Rasa drops such slot events).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rasa_sdk.knowledge_base.actions import ActionQueryKnowledgeBase
from rasa_sdk.knowledge_base.storage import InMemoryKnowledgeBase

DATA_ENV = "KNOWLEDGEBASEBOT_DATA"
SHARED_BOTS_ENV = "PARLEY_SHARED_BOTS_DIR"


def _data_path() -> Path:
    explicit = os.environ.get(DATA_ENV)
    if explicit:
        return Path(explicit)
    shared = os.environ.get(SHARED_BOTS_ENV)
    if not shared:
        raise RuntimeError(
            f"knowledgebasebot needs its knowledge_base_data.json: set {DATA_ENV} to the file, "
            f"or {SHARED_BOTS_ENV} to the shared bots folder"
        )
    return Path(shared) / "knowledgebasebot" / "knowledge_base_data.json"


def _hotel(hotel: dict[str, Any]) -> str:
    return f"{hotel['name']} ({hotel['city']})"


class ActionMyKnowledgeBase(ActionQueryKnowledgeBase):
    def __init__(self) -> None:
        knowledge_base = InMemoryKnowledgeBase(str(_data_path()))
        knowledge_base.set_representation_function_of_object("hotel", _hotel)
        super().__init__(knowledge_base)

    def __reduce__(self) -> tuple[type[ActionMyKnowledgeBase], tuple[()]]:
        # Sanic (rasa-sdk 3.21) pickles the registered actions into its worker process, and the
        # SDK's KnowledgeBase holds lambdas, which do not pickle: rebuild it there instead.
        return (type(self), ())
