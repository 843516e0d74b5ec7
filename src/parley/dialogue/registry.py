"""The dialogue policies a ``config.yml`` may name: Parley's built-ins, installed plugins
(entry-point group ``parley.policies``), and Rasa's policy names mapped to Parley's."""

from __future__ import annotations

from collections.abc import Sequence

from parley.core.problem import Problem, Severity
from parley.core.registry import Registry
from parley.dialogue.policy import Policy
from parley.errors import UnknownNameError
from parley.project.config import ComponentSpec

BUILTIN_POLICIES: dict[str, str] = {
    "RulePolicy": "parley.dialogue.rule_policy:RulePolicy",
    "MemoizationPolicy": "parley.dialogue.memoization:MemoizationPolicy",
    "AugmentedMemoizationPolicy": "parley.dialogue.memoization:AugmentedMemoizationPolicy",
    "MLPolicy": "parley.dialogue.ml_policy:MLPolicy",
}

policies: Registry[Policy] = Registry(
    "policy",
    Policy,  # type: ignore[type-abstract]  # the registry checks subclasses of it
    BUILTIN_POLICIES,
    entry_point_group="parley.policies",
)

RASA_EQUIVALENTS: dict[str, str | None] = {
    "TEDPolicy": "MLPolicy",
    "UnexpecTEDIntentPolicy": None,
}
"""Rasa policy → Parley policy. None: no equivalent yet; the policy is left out with a
warning (UnexpecTED only ever adds ``action_unlikely_intent``, which changes no reply)."""

DEFAULT_POLICIES = [
    ComponentSpec(name="MemoizationPolicy"),
    ComponentSpec(name="RulePolicy"),
    ComponentSpec(name="MLPolicy"),
]
"""What Rasa's default config trains (minus UnexpecTED), for a config without policies."""


def resolve_policies(
    specs: Sequence[ComponentSpec] | None,
) -> tuple[list[ComponentSpec], list[Problem]]:
    """The Parley policies for a config's ``policies:``; an unknown name lists the valid
    ones (Parley's and the Rasa names Parley maps)."""
    if specs is None:
        return list(DEFAULT_POLICIES), []
    resolved: list[ComponentSpec] = []
    problems: list[Problem] = []
    for spec in specs:
        if spec.name in RASA_EQUIVALENTS:
            target = RASA_EQUIVALENTS[spec.name]
            if target is None:
                problems.append(
                    Problem(
                        "policy-skipped",
                        f"{spec.name} has no Parley equivalent yet and is left out; it only "
                        "flags unlikely intents and changes no reply",
                        severity=Severity.WARNING,
                    )
                )
                continue
            resolved.append(ComponentSpec(name=target, options=spec.options))
            continue
        if spec.name not in policies:
            raise UnknownNameError("policy", spec.name, [*policies.names(), *RASA_EQUIVALENTS])
        resolved.append(spec)
    return resolved, problems
