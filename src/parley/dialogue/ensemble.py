"""The policy ensemble: every policy predicts, the most confident wins, and a tie goes to
the higher priority (rules 6, memoization 3, the ML policy 1), as Rasa documents it."""

from __future__ import annotations

from collections.abc import Sequence

from parley.core.tracker import Tracker
from parley.dialogue.policy import Policy, PolicyContext, Prediction
from parley.dialogue.state import State


class Ensemble:
    def __init__(self, members: Sequence[Policy]) -> None:
        self.members = list(members)

    def predict(
        self,
        tracker: Tracker,
        context: PolicyContext,
        states: Sequence[State] | None = None,
        *,
        excluded: frozenset[str] = frozenset(),
    ) -> Prediction | None:
        """The winning prediction, leaving out the ``excluded`` actions (one that was
        just rejected); None when no policy predicts anything else."""
        if states is None:
            states = context.featurizer.past_states(tracker)
        best: Prediction | None = None
        for policy in self.members:
            prediction = policy.predict(tracker, states, context)
            if prediction is None or prediction.action in excluded:
                continue
            if best is None or (prediction.confidence, prediction.priority) > (
                best.confidence,
                best.priority,
            ):
                best = prediction
        return best
