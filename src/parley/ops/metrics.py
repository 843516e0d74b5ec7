"""Prometheus metrics of one server process, exposed at ``/metrics``.

Each :class:`Metrics` has its own registry, so several servers in one process (tests) keep
separate counts; the process and platform collectors are added to it for RSS and CPU.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# Turns take about a millisecond; the buckets resolve that and still show slow action
# servers (seconds).
_TURN_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.turns = Counter(
            "parley_turns",
            "Conversation turns, by channel and outcome (ok, error).",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "parley_turn_seconds",
            "Seconds from a user message to the stored answer (lock, NLU, dialogue, actions, "
            "store).",
            ["channel"],
            buckets=_TURN_BUCKETS,
            registry=self.registry,
        )
        self.nlu_fallbacks = Counter(
            "parley_nlu_fallbacks",
            "User messages NLU could not classify confidently (intent `nlu_fallback`).",
            registry=self.registry,
        )
        self.action_server_errors = Counter(
            "parley_action_server_errors",
            "Custom actions that failed because the action server was down, slow or answered "
            "nonsense.",
            registry=self.registry,
        )
        self.model_loads = Counter(
            "parley_model_loads",
            "Models loaded by this process, by outcome (ok, error).",
            ["outcome"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format."""
        return generate_latest(self.registry)
