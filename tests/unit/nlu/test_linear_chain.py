from __future__ import annotations

import itertools

import numpy as np
import pytest

from parley.nlu.linear_chain import LinearChain


def chain(transitions: np.ndarray, penalty: float = 0.0) -> LinearChain:
    """Three labels; attribute ``a`` favours label 0, ``b`` label 2, ``c`` costs label 1
    ``penalty``."""
    return LinearChain(
        ["x", "y", "z"],
        ["a", "b", "c"],
        state_attributes=np.array([0, 0, 1, 2], dtype=np.int32),
        state_labels=np.array([0, 1, 2, 1], dtype=np.int32),
        state_weights=np.array([2.0, 0.5, 1.5, -penalty]),
        transitions=transitions,
    )


def brute_force(
    tagger: LinearChain, items: list[dict[str, float]]
) -> tuple[list[str], list[float]]:
    """The best path and its marginals by scoring every path, in log space."""
    scores = tagger.scores(items)
    paths = list(itertools.product(range(len(tagger.labels)), repeat=len(items)))
    totals = np.array(
        [
            sum(scores[t, y] for t, y in enumerate(path))
            + sum(tagger.transitions[a, b] for a, b in itertools.pairwise(path))
            for path in paths
        ]
    )
    best = paths[int(totals.argmax())]
    log_z = totals.max() + np.log(np.exp(totals - totals.max()).sum())
    marginals = [
        float(np.exp(np.logaddexp.reduce(totals[[p[t] == y for p in paths]]) - log_z))
        for t, y in enumerate(best)
    ]
    return [tagger.labels[y] for y in best], marginals


ITEMS = [{"a": 1.0, "c": 1.0}, {"b": 1.0, "c": 1.0, "unknown": 3.0}, {"a": 0.5, "c": 1.0}]


@pytest.mark.parametrize(
    "spread",
    [1.0, 800.0],
    ids=["trained-size weights", "weights too far apart for the exp shortcut"],
)
def test_tags_and_marginals_are_those_of_every_path_summed(spread: float) -> None:
    transitions = np.random.default_rng(0).uniform(-1.0, 1.0, (3, 3))
    # y→y far above every other transition, and y itself far too costly to be used: the
    # paths that count have transitions that exp(T - max T) would flush to zero.
    transitions[1, 1] = spread
    tagger = chain(transitions, penalty=2 * spread)
    tags, confidences = tagger.tag(ITEMS)
    expected_tags, expected = brute_force(tagger, ITEMS)
    assert tags == expected_tags
    assert confidences == pytest.approx(expected, rel=1e-9)


def test_nothing_to_tag_gives_nothing() -> None:
    assert chain(np.zeros((3, 3))).tag([]) == ([], [])
