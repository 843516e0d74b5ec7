"""Turning the sentence features featurizers wrote into the matrix a classifier learns from.

Every featurizer writes one block per message under its own key; a message's feature vector
is its blocks side by side in pipeline (insertion) order, and a batch is those vectors
stacked. Sparse blocks (n-gram counts) stay sparse; a dense block (a sentence embedding)
becomes a dense run of columns.

Blocks are concatenated as they are, without rescaling: the tf-idf rows of
:mod:`parley.nlu.count_vectors` have unit length, so a dense block should too (sentence
embeddings are normalized) — a block with a much larger scale would dominate a linear model's
regularization and drown the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from parley.nlu.message import Message


def blocks(message: Message) -> Iterator[tuple[str, Any]]:
    """``(key, block)`` pairs of one message in insertion order; a dense block is a 1-D
    float array, a sparse one a 1×n CSR matrix."""
    for key, value in message.sentence_features.items():
        if sparse.issparse(value):
            yield key, value
        else:
            yield key, np.asarray(value, dtype=np.float64).reshape(-1)


def width(message: Message) -> int:
    """How many feature columns ``message`` has in all."""
    total = 0
    for _, block in blocks(message):
        total += int(block.shape[-1])
    return total


def stack(messages: Sequence[Message]) -> Any:
    """A CSR matrix with one row per message: each message's sentence features side by
    side (insertion order), all messages stacked. Every message must carry the same
    feature blocks in the same order and widths, as a pipeline's messages do."""
    if not messages:
        return sparse.csr_matrix((0, 0), dtype=np.float64)
    layout = [(key, int(block.shape[-1])) for key, block in blocks(messages[0])]
    columns: list[list[Any]] = [[] for _ in layout]
    for message in messages:
        found = list(blocks(message))
        if [(key, int(block.shape[-1])) for key, block in found] != layout:
            raise ValueError(
                "messages carry different sentence features; featurize them all with the "
                f"same pipeline (expected {layout}, got "
                f"{[(key, int(block.shape[-1])) for key, block in found]})"
            )
        for column, (_, block) in zip(columns, found, strict=True):
            column.append(block)
    stacked = []
    for column in columns:
        if sparse.issparse(column[0]):
            stacked.append(sparse.vstack(column, format="csr", dtype=np.float64))
        else:
            stacked.append(sparse.csr_matrix(np.vstack(column)))
    if not stacked:
        return sparse.csr_matrix((len(messages), 0), dtype=np.float64)
    return sparse.hstack(stacked, format="csr", dtype=np.float64)
