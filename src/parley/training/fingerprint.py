"""The fingerprint of a training: a hash of everything the trained model depends on.

Two trainings with the same fingerprint give the same model (training is deterministic for
a seed), so a model whose manifest carries it can be reused instead of trained again. What
goes in: the NLU training data in its order (the order changes what a seeded training
learns), the pipeline after Rasa names are resolved, each component's options with its
defaults filled in and its version, the language, the seed and the Parley version. What
does not: file names, timestamps, comments — anything that cannot change the model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from parley.core.training_data import NLUData
from parley.nlu.pipeline import resolve_specs
from parley.nlu.registry import components
from parley.project.config import ComponentSpec
from parley.version import __version__


def nlu_fingerprint(
    nlu: NLUData,
    pipeline: Sequence[ComponentSpec] | None,
    *,
    language: str,
    seed: int,
    dialogue: dict[str, Any] | None = None,
) -> str:
    """sha256 (hex) of the canonical JSON of what an NLU training depends on."""
    specs = []
    for spec in resolve_specs(pipeline):
        component = components.get(spec.name)
        specs.append(
            {
                "name": spec.name,
                "version": component.version,
                "config": component.resolve_config(spec.options),
            }
        )
    document: dict[str, Any] = {
        "parley_version": __version__,
        "language": language,
        "seed": seed,
        "pipeline": specs,
        "nlu": nlu.model_dump(mode="json"),
    }
    if dialogue is not None:
        # The dialogue's inputs (domain, stories, rules, policies); absent for NLU-only
        # models, so their fingerprints stay what they were.
        document["dialogue"] = dialogue
    # default=str: an option YAML read as a date or another odd type still hashes stably.
    canonical = json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
