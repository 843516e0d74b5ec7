"""Training a project's dialogue policies, after its NLU (end-to-end story text is read by
the freshly trained NLU, so text turns and intent turns teach the same states)."""

from __future__ import annotations

from typing import Any

from parley.core.problem import Problem
from parley.dialogue.dialogue_model import DialogueModel
from parley.dialogue.registry import policies, resolve_policies
from parley.nlu.pipeline import Pipeline
from parley.project.project import Project


def dialogue_inputs(project: Project) -> dict[str, Any]:
    """What a dialogue training depends on, for the model's fingerprint."""
    resolved, _ = resolve_policies(project.config.policies)
    return {
        "domain": project.domain.model_dump(mode="json"),
        "stories": [story.model_dump(mode="json") for story in project.stories],
        "rules": [rule.model_dump(mode="json") for rule in project.rules],
        "policies": [
            {
                "name": spec.name,
                "version": policies.get(spec.name).version,
                "options": spec.options,
            }
            for spec in resolved
        ],
    }


def train_dialogue(
    project: Project, pipeline: Pipeline, *, seed: int
) -> tuple[DialogueModel, list[Problem]]:
    parsed: dict[str, tuple[str | None, list[dict[str, Any]]]] = {}

    def interpret(text: str) -> tuple[str | None, list[dict[str, Any]]]:
        # Checkpoints and `or` steps expand a story into several runs: parse each text once.
        if text not in parsed:
            result = pipeline.parse(text).to_rasa()
            parsed[text] = ((result.get("intent") or {}).get("name"), result.get("entities", []))
        intent, entities = parsed[text]
        return intent, [dict(entity) for entity in entities]

    return DialogueModel.train(
        project.domain,
        project.stories,
        project.rules,
        project.config.policies,
        interpret=interpret,
        seed=seed,
    )
