"""What a model artifact says about itself: the ``manifest.json`` it starts with.

The manifest is read before anything else in an artifact (it is the first member, so this is
cheap), to find a model by fingerprint and to refuse one this Parley cannot use — a newer
artifact format, or a model made by a newer major version — with the fix in the message.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from parley.errors import ModelError
from parley.version import __version__

FORMAT_VERSION = 2
"""The artifact layout and manifest schema this Parley writes. Bumped when either changes
in a way older readers would misread (2 added the dialogue part and ``policies``)."""

OLDEST_FORMAT_VERSION = 1
"""The oldest format this Parley still reads (1: NLU-only models)."""

MANIFEST_FILE = "manifest.json"


class ModelKind(StrEnum):
    """What an artifact holds: ``nlu`` is a trained NLU pipeline (folder ``nlu/``);
    ``full`` adds the dialogue policies and domain (folder ``dialogue/``)."""

    NLU = "nlu"
    FULL = "full"


class _Strict(BaseModel):
    # A manifest may come from an uploaded file: no unknown fields, no silent coercion.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ComponentEntry(_Strict):
    """One component of the trained pipeline, as ``Pipeline.persist`` listed it."""

    name: str
    version: int
    config: dict[str, Any]
    resource: str


class TrainingWarning(_Strict):
    """A warning training gave (few examples, a Rasa component replaced…), kept so a reused
    model can show it again."""

    code: str
    message: str


class TrainingMetrics(_Strict):
    seconds: float = Field(ge=0)
    """Wall-clock time of the training itself (not reading the project)."""
    examples: int = Field(ge=0)
    intents: int = Field(ge=0)
    entities: int = Field(ge=0)
    """Distinct entity types annotated in the examples."""
    warnings: list[TrainingWarning] = Field(default_factory=list)
    stories: int = Field(default=0, ge=0)
    rules: int = Field(default=0, ge=0)


class Manifest(_Strict):
    format_version: int
    parley_version: str
    fingerprint: str = Field(pattern=r"^[0-9a-f]{64}$")
    """sha256 of everything the training depended on (see ``parley.training.fingerprint``)."""
    created: AwareDatetime
    language: str
    kind: ModelKind
    components: list[ComponentEntry]
    policies: list[ComponentEntry] = Field(default_factory=list)
    """The dialogue policies of a ``full`` model, in ensemble order."""
    metrics: TrainingMetrics
    seed: int

    def to_json(self) -> bytes:
        return self.model_dump_json(indent=2).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """The manifest in ``data``; :class:`ModelError` says why it cannot be used."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ModelError(
                f"the model's {MANIFEST_FILE} is not valid JSON ({error}); the file is damaged "
                "or was not made by Parley, train the model again"
            ) from error
        if not isinstance(raw, dict):
            raise ModelError(f"the model's {MANIFEST_FILE} is not a JSON object; train it again")
        _check_versions(raw)
        try:
            return cls.model_validate_json(data)
        except ValidationError as error:
            details = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
                for e in error.errors()[:5]
            )
            raise ModelError(
                f"the model's {MANIFEST_FILE} is invalid ({details}); train the model again"
            ) from error


def _major(version: str) -> int | None:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _check_versions(raw: dict[str, Any]) -> None:
    """Versions first, before the schema: a newer format may have other fields, and the
    useful message then is "upgrade", not a list of unknown fields."""
    found = raw.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool):
        raise ModelError(
            f"the model's {MANIFEST_FILE} has no valid format_version; it was not made by "
            "Parley or is damaged, train the model again"
        )
    if found > FORMAT_VERSION:
        raise ModelError(
            f"the model uses artifact format {found}, this Parley ({__version__}) reads format "
            f"{FORMAT_VERSION}; upgrade Parley, or train the model again with this version"
        )
    if found < OLDEST_FORMAT_VERSION:
        raise ModelError(
            f"the model uses the old artifact format {found}, this Parley reads format "
            f"{FORMAT_VERSION}; train the model again"
        )
    made_by = raw.get("parley_version")
    if not isinstance(made_by, str) or _major(made_by) is None:
        raise ModelError(
            f"the model's {MANIFEST_FILE} has no valid parley_version; train the model again"
        )
    ours = _major(__version__)
    theirs = _major(made_by)
    if ours is not None and theirs is not None and theirs > ours:
        raise ModelError(
            f"the model was made by Parley {made_by}, newer than this Parley ({__version__}); "
            f"upgrade Parley to {theirs}.x, or train the model again with this version"
        )
