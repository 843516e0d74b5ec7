"""A linear-chain CRF kept as plain weights and tagged in NumPy.

CRFsuite trains the CRF entity extractor's taggers; what is kept of each is its plain weights
(labels, attribute names, a sparse label weight per attribute and a dense label-to-label
transition matrix), and tagging is Viterbi and forward–backward over them here. A model
artifact may come from an untrusted upload, and CRFsuite's model reader has no bounds checks
(a truncated file crashes the process), so no CRFsuite file is stored and loading never hands
bytes to native code: it only reads JSON and ``.npz`` arrays, and checks them.
"""

from __future__ import annotations

import math
import operator
import struct
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from parley.errors import ModelError
from parley.nlu.resource import Resource

MAX_LABELS = 4_096
"""A stored tagger with more labels than this is refused (its transitions alone would take
128 MiB); Snips with BILOU tags has 157."""
MAX_ATTRIBUTES = 5_000_000
MAX_STATE_WEIGHTS = 5_000_000
MAX_WEIGHT = 1e6
"""Trained CRFsuite weights are a few units; one beyond this is a damaged or forged file."""
_ARRAYS = ("attributes", "labels", "weights", "transitions")
"""The arrays of a stored tagger: one state weight per (attribute index, label index) pair,
and the label-to-label transition weights (from × to)."""

_EXP_RANGE = 500.0
"""Transition weights that span less than this are summed as exp(T - max T) products, which
cannot underflow to zero then (exp(-500) ≈ 7e-218); wider ones (only a forged file has them)
take the slower elementwise log-sum-exp."""

_PYTHON_ROWS = 50_000
"""Taggers with at most this many state weights also keep them as Python lists (a few MB at
most), so that a short message's scores are summed without numpy's per-call overhead."""
_PYTHON_SUMS = 512
"""A message whose features touch at most this many state weights has its scores summed in
Python (a few microseconds for a short message, where the dozen numpy calls take ~15 µs);
past it numpy's per-weight speed wins."""

_PYTHON_LABELS = 8
"""Taggers with at most this many labels (IO tags of up to seven entities) decode in Python;
about here numpy's per-call overhead starts to pay off."""

_FEATURE = np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("weight", "<f8")])
"""A feature record of a CRFsuite model file (type 0: attribute → label, 1: label → label)."""


class LinearChain:
    """A trained linear-chain CRF as plain weights, tagging as CRFsuite's 1st-order CRF does:
    a token's score for a label is the sum of its attributes' weights for it (times the
    attribute values; attributes the model does not know count nothing), a label sequence
    adds the transition weights between neighbouring labels (no start or end weights).
    """

    def __init__(
        self,
        labels: Sequence[str],
        attributes: Sequence[str],
        *,
        state_attributes: npt.NDArray[np.int32],
        state_labels: npt.NDArray[np.int32],
        state_weights: npt.NDArray[np.float64],
        transitions: npt.NDArray[np.float64],
    ) -> None:
        """Takes checked arrays (see :meth:`load`)."""
        self.labels = list(labels)
        self.attributes = list(attributes)
        order = np.lexsort((state_labels, state_attributes))
        self.state_attributes = np.ascontiguousarray(state_attributes[order], dtype=np.int32)
        self.state_labels = np.ascontiguousarray(state_labels[order], dtype=np.int32)
        self.state_weights = np.ascontiguousarray(state_weights[order], dtype=np.float64)
        self.transitions = np.ascontiguousarray(transitions, dtype=np.float64)
        # The state weights as a sparse attribute × label matrix in CSR form.
        counts = np.bincount(self.state_attributes, minlength=len(self.attributes))
        self._indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.intp)
        self._columns = self.state_labels.astype(np.intp)
        self._index = {name: number for number, name in enumerate(self.attributes)}
        # The same weights as Python (label, weight) pairs per attribute name, for summing
        # a short message's scores in Python (see _PYTHON_SUMS); None for a large model.
        self._rows: dict[str, tuple[tuple[int, float], ...]] | None = None
        if len(self.state_weights) <= _PYTHON_ROWS:
            bounds = self._indptr.tolist()
            pairs = list(zip(self.state_labels.tolist(), self.state_weights.tolist(), strict=True))
            self._rows = {
                name: tuple(pairs[bounds[number] : bounds[number + 1]])
                for number, name in enumerate(self.attributes)
                if bounds[number + 1] > bounds[number]
            }
        # exp(transitions - their maximum), for the forward–backward sums; exact as long as
        # no entry underflows, which holds when the weights span less than _EXP_RANGE.
        self._top = float(self.transitions.max()) if self.transitions.size else 0.0
        spread = self._top - float(self.transitions.min()) if self.transitions.size else 0.0
        self._exp_transitions = (
            np.exp(self.transitions - self._top) if spread < _EXP_RANGE else None
        )
        # For few labels, Viterbi and forward–backward run on Python lists: their numpy
        # calls on arrays of a few numbers cost microseconds each, most of a short message's
        # tagging. Rows and columns of the transitions and of their exp, as lists.
        self._exp_rows: list[list[float]] | None = None
        self._exp_columns: list[list[float]] = []
        self._transition_columns: list[list[float]] = []
        if self._exp_transitions is not None and len(self.labels) <= _PYTHON_LABELS:
            self._exp_rows = self._exp_transitions.tolist()
            self._exp_columns = self._exp_transitions.T.tolist()
            self._transition_columns = self.transitions.T.tolist()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinearChain):
            return NotImplemented
        return (
            self.labels == other.labels
            and self.attributes == other.attributes
            and all(
                np.array_equal(getattr(self, name), getattr(other, name))
                for name in ("state_attributes", "state_labels", "state_weights", "transitions")
            )
        )

    __hash__ = None  # type: ignore[assignment]

    # -- tagging ---------------------------------------------------------------------------

    def tag(self, items: Sequence[Mapping[str, float]]) -> tuple[list[str], list[float]]:
        """The best tag sequence (Viterbi) and each tag's marginal probability."""
        if not items:
            return [], []
        scores = self.scores(items)
        if self._exp_rows is not None:
            table = scores.tolist()
            path = self._python_viterbi(table)
            confidences = self._python_marginals(table, path)
        else:
            path = self._viterbi(scores)
            confidences = self._marginals(scores, path).tolist()
        return [self.labels[label] for label in path], confidences

    def scores(self, items: Sequence[Mapping[str, float]]) -> npt.NDArray[np.float64]:
        """tokens × labels: each token's summed state weights per label."""
        if self._rows is not None:
            python = self._python_scores(items)
            if python is not None:
                return python
        return self._numpy_scores(items)

    def _numpy_scores(self, items: Sequence[Mapping[str, float]]) -> npt.NDArray[np.float64]:
        index = self._index
        positions: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        for position, item in enumerate(items):
            for key, value in item.items():
                column = index.get(key)
                if column is not None:
                    positions.append(position)
                    columns.append(column)
                    values.append(value)
        size = len(self.labels)
        if not columns:
            return np.zeros((len(items), size))
        rows = np.array(columns, dtype=np.intp)
        starts = self._indptr[rows]
        counts = self._indptr[rows + 1] - starts
        # Every stored weight of every attribute present, as one flat run.
        where = np.arange(int(counts.sum())) + np.repeat(
            starts - (np.cumsum(counts) - counts), counts
        )
        token = np.repeat(np.array(positions, dtype=np.intp), counts)
        weight = self.state_weights[where] * np.repeat(np.array(values, dtype=np.float64), counts)
        cells = token * size + self._columns[where]
        flat = np.bincount(cells, weights=weight, minlength=len(items) * size)
        return flat.astype(np.float64, copy=False).reshape(len(items), size)

    def _python_scores(
        self, items: Sequence[Mapping[str, float]]
    ) -> npt.NDArray[np.float64] | None:
        """:meth:`scores` summed in Python, or None once more than :data:`_PYTHON_SUMS`
        weights are met (numpy is faster then). It adds the same products to each cell in
        the same order as ``np.bincount`` there, so the floats are the same."""
        assert self._rows is not None
        rows = self._rows
        size = len(self.labels)
        table = [0.0] * (len(items) * size)
        budget = _PYTHON_SUMS
        for position, item in enumerate(items):
            base = position * size
            for key, value in item.items():
                row = rows.get(key)
                if row is None:
                    continue
                budget -= len(row)
                if budget < 0:
                    return None
                for label, weight in row:
                    table[base + label] += weight * value
        return np.array(table, dtype=np.float64).reshape(len(items), size)

    def _python_viterbi(self, scores: list[list[float]]) -> list[int]:
        """:meth:`_viterbi` for few labels in Python lists: the same sums and the same first
        best, so the same path."""
        columns = self._transition_columns
        best = scores[0]
        back: list[list[int]] = []
        for row in scores[1:]:
            pointers: list[int] = []
            following: list[float] = []
            for column, score in zip(columns, row, strict=True):
                candidates = list(map(operator.add, best, column))
                top = max(candidates)
                pointers.append(candidates.index(top))
                following.append(top + score)
            back.append(pointers)
            best = following
        path = [best.index(max(best))]
        for pointers in reversed(back):
            path.append(pointers[path[-1]])
        path.reverse()
        return path

    def _python_marginals(self, scores: list[list[float]], path: Sequence[int]) -> list[float]:
        """:meth:`_marginals` (the exp shortcut) for few labels in Python lists; the same
        sums up to rounding in the last bits."""
        assert self._exp_rows is not None
        rows, columns, top_transition = self._exp_rows, self._exp_columns, self._top
        alpha = [scores[0]]
        for row in scores[1:]:
            before = alpha[-1]
            top = max(before)
            weights = [math.exp(value - top) for value in before]
            shift = top + top_transition
            alpha.append(
                [
                    math.log(sum(map(operator.mul, weights, column))) + shift + score
                    for column, score in zip(columns, row, strict=True)
                ]
            )
        beta = [[0.0] * len(self.labels)]
        for row in reversed(scores[1:]):
            after = [score + value for score, value in zip(row, beta[-1], strict=True)]
            top = max(after)
            weights = [math.exp(value - top) for value in after]
            shift = top + top_transition
            beta.append([math.log(sum(map(operator.mul, line, weights))) + shift for line in rows])
        beta.reverse()
        last = alpha[-1]
        top = max(last)
        log_z = math.log(sum(math.exp(value - top) for value in last)) + top
        return [
            math.exp(forward[label] + backward[label] - log_z)
            for forward, backward, label in zip(alpha, beta, path, strict=True)
        ]

    def _viterbi(self, scores: npt.NDArray[np.float64]) -> list[int]:
        length, size = scores.shape
        back = np.zeros((length, size), dtype=np.intp)
        best = scores[0]
        for position in range(1, length):
            candidates = best[:, None] + self.transitions
            back[position] = candidates.argmax(axis=0)  # the first best, as CRFsuite picks
            best = candidates.max(axis=0) + scores[position]
        path = [int(best.argmax())]
        for position in range(length - 1, 0, -1):
            path.append(int(back[position, path[-1]]))
        path.reverse()
        return path

    def _marginals(
        self, scores: npt.NDArray[np.float64], path: Sequence[int]
    ) -> npt.NDArray[np.float64]:
        """P(y_t = path[t] | x) for every t, by forward–backward in log space."""
        length, _ = scores.shape
        alpha = np.empty_like(scores)
        beta = np.zeros_like(scores)
        alpha[0] = scores[0]
        exp_transitions = self._exp_transitions
        if exp_transitions is not None:
            # log Σ_i exp(a_i + T_ij) = max a + max T + log Σ_i exp(a_i - max a)·exp(T_ij - max T)
            for position in range(1, length):
                before = alpha[position - 1]
                top = before.max()
                alpha[position] = (
                    np.log(np.exp(before - top) @ exp_transitions) + (top + self._top)
                ) + scores[position]
            for position in range(length - 2, -1, -1):
                after = scores[position + 1] + beta[position + 1]
                top = after.max()
                beta[position] = np.log(exp_transitions @ np.exp(after - top)) + (top + self._top)
        else:
            for position in range(1, length):
                alpha[position] = (
                    _logsumexp(alpha[position - 1][:, None] + self.transitions, axis=0)
                    + scores[position]
                )
            for position in range(length - 2, -1, -1):
                after = scores[position + 1] + beta[position + 1]
                beta[position] = _logsumexp(self.transitions + after[None, :], axis=1)
        log_z = _logsumexp(alpha[-1], axis=0)
        chosen = np.arange(length), np.asarray(path, dtype=np.intp)
        result: npt.NDArray[np.float64] = np.exp(alpha[chosen] + beta[chosen] - log_z)
        return result

    # -- from CRFsuite, to and from a resource ------------------------------------------------

    @classmethod
    def from_crfsuite(cls, model: bytes) -> LinearChain:
        """The weights of a CRFsuite model file that was trained here (trusted bytes).

        Read from the file itself rather than from ``Tagger.info()``: its dump prints the
        weights with six decimals (the marginals would move by up to ~1e-5) and cannot hold
        attribute names with line breaks.
        """
        try:
            header = struct.unpack_from("<4sI4sIIIIIIIII", model, 0)
            magic, _, kind, _, _, label_count, attribute_count = header[:7]
            features_at, labels_at, attributes_at = header[7:10]
            chunk, _, count = struct.unpack_from("<4sII", model, features_at)
            if magic != b"lCRF" or kind != b"FOMC" or chunk != b"FEAT":
                raise ValueError("not a CRFsuite 1st-order CRF model")
            labels = _cqdb_names(model, labels_at, label_count)
            attributes = _cqdb_names(model, attributes_at, attribute_count)
            features = np.frombuffer(model, dtype=_FEATURE, count=count, offset=features_at + 12)
        except (struct.error, ValueError, UnicodeDecodeError) as error:
            raise RuntimeError(f"cannot read the CRFsuite model just trained: {error}") from error
        state = features[features["type"] == 0]
        transition = features[features["type"] == 1]
        transitions = np.zeros((label_count, label_count))
        transitions[transition["src"], transition["dst"]] = transition["weight"]
        return cls(
            labels,
            attributes,
            state_attributes=state["src"].astype(np.int32),
            state_labels=state["dst"].astype(np.int32),
            state_weights=state["weight"].astype(np.float64),
            transitions=transitions,
        )

    def persist(self, resource: Resource, attribute: str) -> None:
        resource.write_json(
            f"{attribute}.json", {"labels": self.labels, "attributes": self.attributes}
        )
        resource.write_arrays(
            f"{attribute}.npz",
            attributes=self.state_attributes,
            labels=self.state_labels,
            weights=self.state_weights,
            transitions=self.transitions,
        )

    @classmethod
    def load(cls, resource: Resource, attribute: str) -> LinearChain:
        """The ``attribute`` tagger stored in ``resource``; anything malformed, inconsistent or
        absurdly large is a :class:`ModelError` (the files may come from anyone)."""
        names_file, arrays_file = f"{attribute}.json", f"{attribute}.npz"
        names = resource.read_json(names_file)

        def bad(file: str, why: str) -> ModelError:
            return ModelError(
                f"model file {resource.root.name}/{file} {why}; train the model again"
            )

        if not isinstance(names, dict) or set(names) != {"labels", "attributes"}:
            raise bad(names_file, "is malformed (expected labels and attributes)")
        labels, attributes = names["labels"], names["attributes"]
        for key, value, limit in (
            ("labels", labels, MAX_LABELS),
            ("attributes", attributes, MAX_ATTRIBUTES),
        ):
            if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                raise bad(names_file, f"is malformed ({key} must be a list of strings)")
            if len(value) > limit:
                raise bad(names_file, f"has {len(value)} {key} (at most {limit})")
            if len(set(value)) != len(value):
                raise bad(names_file, f"is malformed (duplicate {key})")
        if not labels:
            raise bad(names_file, "has no labels")
        size = len(labels)
        arrays = resource.read_arrays(arrays_file)
        if set(arrays) != set(_ARRAYS):
            raise bad(arrays_file, f"must hold exactly the arrays {', '.join(_ARRAYS)}")
        state_attributes, state_labels = arrays["attributes"], arrays["labels"]
        state_weights, transitions = arrays["weights"], arrays["transitions"]
        expected = (
            ("attributes", np.int32, 1),
            ("labels", np.int32, 1),
            ("weights", np.float64, 1),
            ("transitions", np.float64, 2),
        )
        for key, dtype, dimensions in expected:
            array = arrays[key]
            if not isinstance(array, np.ndarray) or array.dtype != np.dtype(dtype):
                raise bad(arrays_file, f"has {key} that are not {np.dtype(dtype).name} numbers")
            if array.ndim != dimensions:
                raise bad(arrays_file, f"has {key} of the wrong shape {array.shape}")
        count = state_attributes.shape[0]
        if state_labels.shape != (count,) or state_weights.shape != (count,):
            raise bad(arrays_file, "has state weight arrays of different lengths")
        if count > MAX_STATE_WEIGHTS:
            raise bad(arrays_file, f"has {count} state weights (at most {MAX_STATE_WEIGHTS})")
        if transitions.shape != (size, size):
            raise bad(
                arrays_file, f"has transitions of shape {transitions.shape}, not {size}×{size}"
            )
        if count and (
            int(state_attributes.min()) < 0
            or int(state_attributes.max()) >= len(attributes)
            or int(state_labels.min()) < 0
            or int(state_labels.max()) >= size
        ):
            raise bad(arrays_file, "has attribute or label indices out of range")
        for weights in (state_weights, transitions):
            if not bool(np.isfinite(weights).all()) or (
                weights.size and float(np.abs(weights).max()) > MAX_WEIGHT
            ):
                raise bad(arrays_file, "has weights that are not finite numbers of sensible size")
        pairs = state_attributes.astype(np.int64) * size + state_labels
        if np.unique(pairs).size != count:
            raise bad(arrays_file, "has the same state weight twice")
        try:
            return cls(
                labels,
                attributes,
                state_attributes=state_attributes,
                state_labels=state_labels,
                state_weights=state_weights,
                transitions=transitions,
            )
        except MemoryError as error:
            raise bad(arrays_file, "does not fit in memory") from error


def _logsumexp(values: npt.NDArray[np.float64], axis: int) -> npt.NDArray[np.float64]:
    top = values.max(axis=axis, keepdims=True)
    total = np.log(np.exp(values - top).sum(axis=axis, keepdims=True)) + top
    result: npt.NDArray[np.float64] = np.squeeze(total, axis=axis)
    return result


def _cqdb_names(model: bytes, offset: int, count: int) -> list[str]:
    """Names 0…count-1 of a CQDB chunk (CRFsuite's string table) of a trusted model file."""
    chunk, _, _, _, size, backward = struct.unpack_from("<4sIIIII", model, offset)
    if chunk != b"CQDB" or size < count:
        raise ValueError("malformed string table")
    names: list[str] = []
    for number in range(count):
        (record,) = struct.unpack_from("<I", model, offset + backward + 4 * number)
        found, length = struct.unpack_from("<II", model, offset + record)
        start = offset + record + 8
        if found != number or length < 1 or start + length > len(model):
            raise ValueError("malformed string table")
        names.append(model[start : start + length - 1].decode("utf-8"))
    return names
