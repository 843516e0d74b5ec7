"""A trained dialogue: the domain, its policies, and what predicting needs.

Persisted as a folder: ``domain.json`` (the domain as Parley's schema dumps it),
``policies.json`` (names, options, versions, in ensemble order) and one folder per policy
with what it learnt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from parley.core.domain import Domain
from parley.core.events import Event
from parley.core.problem import Problem
from parley.core.story import Rule, Story
from parley.core.tracker import Tracker
from parley.dialogue.ensemble import Ensemble
from parley.dialogue.policy import Policy, PolicyContext, Prediction, TrainingData
from parley.dialogue.registry import policies, resolve_policies
from parley.dialogue.state import StateFeaturizer
from parley.dialogue.story_events import Interpreter, rule_conversation, story_conversations
from parley.errors import ModelError, UnknownNameError
from parley.project.config import ComponentSpec

DOMAIN_FILE = "domain.json"
POLICIES_FILE = "policies.json"
MAX_POLICIES = 32


class DialogueModel:
    def __init__(self, domain: Domain, members: Sequence[Policy], seed: int = 0) -> None:
        self.domain = domain
        self.featurizer = StateFeaturizer(domain)
        self.context = PolicyContext(domain=domain, featurizer=self.featurizer, seed=seed)
        self.ensemble = Ensemble(members)

    @property
    def policies(self) -> list[Policy]:
        return self.ensemble.members

    def tracker(self, sender_id: str, events: Sequence[Event] = ()) -> Tracker:
        return self.featurizer.tracker(sender_id, events)

    def predict(
        self, tracker: Tracker, *, excluded: frozenset[str] = frozenset()
    ) -> Prediction | None:
        return self.ensemble.predict(tracker, self.context, excluded=excluded)

    @classmethod
    def train(
        cls,
        domain: Domain,
        stories: Sequence[Story],
        rules: Sequence[Rule],
        specs: Sequence[ComponentSpec] | None,
        *,
        interpret: Interpreter | None = None,
        seed: int = 0,
    ) -> tuple[DialogueModel, list[Problem]]:
        resolved, problems = resolve_policies(specs)
        members = [policies.get(spec.name)(spec.options) for spec in resolved]
        model = cls(domain, members, seed=seed)
        data = TrainingData(
            stories=story_conversations(stories, interpret, domain),
            rules=[
                (rule.conversation_start, run)
                for rule in rules
                for run in rule_conversation(rule, interpret, domain)
            ],
        )
        for policy in members:
            problems.extend(policy.option_problems())
            policy.train(data, model.context)
        problems.extend(model.context.problems)
        model.context.problems.clear()
        return model, problems

    def persist(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / DOMAIN_FILE).write_text(self.domain.model_dump_json(), encoding="utf-8")
        index: list[dict[str, Any]] = []
        for position, policy in enumerate(self.policies):
            resource = f"{position}-{policy.name}"
            policy.persist(folder / resource)
            index.append(
                {
                    "name": policy.name,
                    "version": policy.version,
                    "options": policy.options,
                    "resource": resource,
                }
            )
        payload = {"seed": self.context.seed, "policies": index}
        (folder / POLICIES_FILE).write_text(json.dumps(payload, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> DialogueModel:
        try:
            domain = Domain.model_validate_json((folder / DOMAIN_FILE).read_bytes())
            payload = json.loads((folder / POLICIES_FILE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as error:
            raise ModelError(
                f"the dialogue part of the model cannot be read ({error}); train again"
            ) from None
        entries = payload.get("policies") if isinstance(payload, dict) else None
        if not isinstance(entries, list) or len(entries) > MAX_POLICIES:
            raise ModelError(f"{POLICIES_FILE} does not list policies; train again")
        members: list[Policy] = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise ModelError(f"{POLICIES_FILE} has an entry that is not an object")
            name, resource = entry.get("name"), entry.get("resource")
            options = entry.get("options") or {}
            if not isinstance(name, str) or not isinstance(resource, str) or "/" in resource:
                raise ModelError(f"{POLICIES_FILE} has an entry without name or resource")
            if resource.startswith(".") or not isinstance(options, dict):
                raise ModelError(f"{POLICIES_FILE} has a malformed entry for {name}")
            try:
                policy_class = policies.get(name)
            except UnknownNameError as error:
                raise ModelError(
                    f"the model uses {error}; install the plugin that provides it"
                ) from None
            if entry.get("version") != policy_class.version:
                raise ModelError(
                    f"the model's {name} was saved as version {entry.get('version')}, this "
                    f"Parley reads version {policy_class.version}; train the model again"
                )
            members.append(policy_class.load(folder / resource, options))
        seed = payload.get("seed", 0)
        return cls(domain, members, seed=seed if isinstance(seed, int) else 0)
