"""The machine-learnt policy: generalizes beyond the stories — Parley's answer to TEDPolicy.

Each of the last ``max_history`` states is encoded (intent, entities, previous action,
slots that influence the conversation, active loop) and the encodings are concatenated,
most recent last; a small neural network (scikit-learn's MLP, one hidden layer) learns
the next action from stories and rules. Its weights are stored as npz and applied with
NumPy at prediction time, so a model file holds no code.
"""

from __future__ import annotations

import json
import random
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from parley.core.events import ActionExecuted, Event
from parley.core.tracker import ACTION_LISTEN, Tracker
from parley.dialogue.policy import (
    Policy,
    PolicyContext,
    Prediction,
    TrainingData,
    read_policy_json,
)
from parley.dialogue.state import State
from parley.errors import ModelError

VOCABULARY_FILE = "vocabulary.json"
MAX_GLUED = 2000
WEIGHTS_FILE = "weights.npz"
MAX_LAYERS = 4


_REMEMBERED_ANSWERS = 50_000
"""State windows whose answer a policy keeps (a few hundred bytes each)."""

_ENCODED_STATES = 100_000
"""States an encoder keeps encoded (a few KB each at most)."""


class StateEncoder:
    """Fixed-size vectors of state histories, over the vocabulary seen in training."""

    def __init__(
        self,
        *,
        intents: Sequence[str],
        entities: Sequence[str],
        actions: Sequence[str],
        slots: Mapping[str, int],
        loops: Sequence[str],
        max_history: int,
    ) -> None:
        self.intents = {name: i for i, name in enumerate(intents)}
        self.entities = {name: i for i, name in enumerate(entities)}
        self.actions = {name: i for i, name in enumerate(actions)}
        self.slot_sizes = dict(slots)
        self.loops = {name: i for i, name in enumerate(loops)}
        self.max_history = max_history
        offset = 0
        self._offsets: dict[str, int] = {}
        for part, size in (
            ("intent", len(self.intents)),
            ("entity", len(self.entities)),
            ("action", len(self.actions)),
            ("loop", len(self.loops)),
            ("present", 1),
        ):
            self._offsets[part] = offset
            offset += size
        self._slot_offsets: dict[str, int] = {}
        for name, size in self.slot_sizes.items():
            self._slot_offsets[name] = offset
            offset += size
        self.state_size = offset
        self._encoded: dict[State, NDArray[np.float32]] = {}

    @classmethod
    def fit(cls, histories: Sequence[Sequence[State]], max_history: int) -> StateEncoder:
        intents: set[str] = set()
        entities: set[str] = set()
        actions: set[str] = set()
        loops: set[str] = set()
        slots: dict[str, int] = {}
        for states in histories:
            for state in states:
                if state.intent:
                    intents.add(state.intent)
                entities.update(state.entities)
                if state.prev_action:
                    actions.add(state.prev_action)
                if state.active_loop:
                    loops.add(state.active_loop)
                for name, features in state.slots:
                    slots[name] = max(slots.get(name, 0), len(features))
        return cls(
            intents=sorted(intents),
            entities=sorted(entities),
            actions=sorted(actions),
            slots=dict(sorted(slots.items())),
            loops=sorted(loops),
            max_history=max_history,
        )

    def encode(self, states: Sequence[State]) -> NDArray[np.float32]:
        """The last ``max_history`` states, each in its block, right-aligned (the latest
        state in the last block; missing history is zeros)."""
        recent = list(states[-self.max_history :])
        vector = np.zeros(self.state_size * self.max_history, dtype=np.float32)
        if recent:
            start = (self.max_history - len(recent)) * self.state_size
            vector[start:] = np.concatenate([self.encode_state(state) for state in recent])
        return vector

    def encode_windows(self, states: Sequence[State]) -> NDArray[np.float32]:
        """One row per history length 1 … ``max_history``: ``encode(states[-length:])``
        for each, sharing the states' encodings."""
        recent = list(states[-self.max_history :])
        size = self.state_size
        rows = np.zeros((len(recent), size * self.max_history), dtype=np.float32)
        if not recent:
            return rows
        blocks = np.concatenate([self.encode_state(state) for state in recent])
        total = len(blocks)
        for length in range(1, len(recent) + 1):
            rows[length - 1, -length * size :] = blocks[total - length * size :]
        return rows

    def encode_state(self, state: State) -> NDArray[np.float32]:
        """One state's block; states repeat across turns and conversations, so each is
        encoded once (the cache is dropped when it grows past a bound)."""
        block = self._encoded.get(state)
        if block is not None:
            return block
        block = np.zeros(self.state_size, dtype=np.float32)
        if state.intent in self.intents:
            block[self._offsets["intent"] + self.intents[state.intent]] = 1.0
        for entity in state.entities:
            if entity in self.entities:
                block[self._offsets["entity"] + self.entities[entity]] = 1.0
        if state.prev_action in self.actions:
            block[self._offsets["action"] + self.actions[state.prev_action]] = 1.0
        if state.active_loop in self.loops:
            block[self._offsets["loop"] + self.loops[state.active_loop]] = 1.0
        block[self._offsets["present"]] = 1.0
        for name, features in state.slots:
            if name in self._slot_offsets:
                size = self.slot_sizes[name]
                start = self._slot_offsets[name]
                block[start : start + min(size, len(features))] = features[:size]
        block.flags.writeable = False
        if len(self._encoded) >= _ENCODED_STATES:
            self._encoded.clear()
        self._encoded[state] = block
        return block

    def to_json(self) -> dict[str, Any]:
        return {
            "intents": list(self.intents),
            "entities": list(self.entities),
            "actions": list(self.actions),
            "slots": self.slot_sizes,
            "loops": list(self.loops),
            "max_history": self.max_history,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StateEncoder:
        try:
            return cls(
                intents=[str(x) for x in data["intents"]],
                entities=[str(x) for x in data["entities"]],
                actions=[str(x) for x in data["actions"]],
                slots={str(k): int(v) for k, v in data["slots"].items()},
                loops=[str(x) for x in data["loops"]],
                max_history=int(data["max_history"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ModelError(f"{VOCABULARY_FILE} is malformed ({error}); train again") from None


class MLPolicy(Policy):
    """Options: ``max_history`` (default 5), ``hidden_units`` (default 128),
    ``epochs`` (training iterations, default 300), ``augmentation_factor`` (stories glued
    together per story, default 20; 0 turns it off), ``l2`` (weight decay, default 1e-4),
    ``class_balance`` (how much rare actions are weighted up, 0–1, default 0.5);
    ``hidden_units: 0`` trains a linear model (logistic regression) instead."""

    name = "MLPolicy"
    default_priority = 1
    known_options = frozenset(
        {
            "priority",
            "max_history",
            "hidden_units",
            "epochs",
            "augmentation_factor",
            "l2",
            "class_balance",
        }
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        history = self.options.get("max_history")
        self.max_history = 5 if history is None else max(1, int(history))
        self.hidden_units = int(self.options.get("hidden_units", 128))
        self.augmentation = int(self.options.get("augmentation_factor", 20))
        self.l2 = float(self.options.get("l2", 1e-4))
        self.class_balance = float(self.options.get("class_balance", 0.5))
        self.listens_after_user = True
        self.epochs = int(self.options.get("epochs", 300))
        self.encoder: StateEncoder | None = None
        self.classes: list[str] = []
        self.layers: list[tuple[NDArray[np.float32], NDArray[np.float32]]] = []
        self._answers: dict[tuple[State, ...], dict[str, float]] = {}
        """The network's answer per window of states: conversations walk the same few
        paths, so most windows come again, and a dictionary hit is cheaper than the
        network's few small products."""

    def train(self, data: TrainingData, context: PolicyContext) -> None:
        from scipy import sparse  # noqa: PLC0415
        from sklearn.exceptions import ConvergenceWarning  # noqa: PLC0415
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
        from sklearn.neural_network import MLPClassifier  # noqa: PLC0415
        from threadpoolctl import threadpool_limits  # noqa: PLC0415

        examples = [
            *data.story_examples(context.featurizer),
            *(
                example
                for events in _glued(data.stories, self.augmentation, context.seed)
                for example in context.featurizer.training_examples(events)
            ),
        ]
        for conversation_start, events in data.rules:
            rule_examples = context.featurizer.training_examples(events)
            # A rule's first action follows "anything": not a conversation start.
            examples.extend(rule_examples if conversation_start else rule_examples[1:])
        if not examples:
            return
        examples = _with_shorter_histories(examples, self.max_history)
        # Stories never leave a user message unanswered unless they say so; when they
        # don't, the policy never predicts listening right after the user spoke.
        self.listens_after_user = any(
            action == ACTION_LISTEN and _after_user(states) for states, action in examples
        )
        self.encoder = StateEncoder.fit([states for states, _ in examples], self.max_history)
        self.classes = sorted({action for _, action in examples})
        if len(self.classes) == 1:
            return
        # Sparse: a state history is mostly zeros, and the network's first layer then costs
        # a fraction of the dense product.
        features = sparse.csr_matrix(
            np.stack([self.encoder.encode(states) for states, _ in examples])
        )
        index = {name: position for position, name in enumerate(self.classes)}
        labels = np.array([index[action] for _, action in examples])
        # One BLAS thread: these matrices are small, and BLAS threads spinning against each
        # other (and against other processes) made training six times slower.
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.hidden_units > 0:
                network = MLPClassifier(
                    hidden_layer_sizes=(self.hidden_units,),
                    max_iter=self.epochs,
                    random_state=context.seed,
                    alpha=self.l2,
                    tol=1e-4,
                ).fit(features, labels, sample_weight=_balanced(labels, self.class_balance))
                pairs = zip(network.coefs_, network.intercepts_, strict=True)
                model_classes = network.classes_
            else:
                linear = LogisticRegression(
                    C=1.0 / max(self.l2, 1e-9), max_iter=self.epochs, random_state=context.seed
                ).fit(features, labels)
                pairs = zip([linear.coef_.T], [linear.intercept_], strict=True)
                model_classes = linear.classes_
            self.layers = [
                (np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in pairs
            ]
        self.classes = [self.classes[int(i)] for i in model_classes]
        self._answers.clear()

    def probabilities(self, states: Sequence[State]) -> dict[str, float]:
        """The network's action probabilities, averaged over the last 1, 2, … max_history
        states as input: the network learnt from such shorter histories too, and the
        average lets the latest turns weigh most (what the user just said decides more
        than how the conversation began), as n-gram models back off."""
        if self.encoder is None or not self.classes:
            return {}
        if len(self.classes) == 1:
            return {self.classes[0]: 1.0}
        window = tuple(states[-self.encoder.max_history :])
        answer = self._answers.get(window)
        if answer is None:
            answer = self._network(self.encoder, window)
            if len(self._answers) >= _REMEMBERED_ANSWERS:
                self._answers.clear()
            self._answers[window] = answer
        return dict(answer)

    def _network(self, encoder: StateEncoder, states: Sequence[State]) -> dict[str, float]:
        activation = encoder.encode_windows(states)
        for index, (weights, bias) in enumerate(self.layers):
            activation = activation @ weights + bias
            if index < len(self.layers) - 1:
                activation = np.maximum(activation, 0.0)
        if activation.shape[-1] == 1:  # two classes: one logistic output
            positive = float(np.mean(1.0 / (1.0 + np.exp(-activation[:, 0]))))
            return {self.classes[0]: 1.0 - positive, self.classes[1]: positive}
        shifted = np.exp(activation - activation.max(axis=1, keepdims=True))
        probabilities = (shifted / shifted.sum(axis=1, keepdims=True)).mean(axis=0)
        return {name: float(p) for name, p in zip(self.classes, probabilities, strict=True)}

    def predict(
        self, tracker: Tracker, states: Sequence[State], context: PolicyContext
    ) -> Prediction | None:
        probabilities = self.probabilities(states)
        if not self.listens_after_user and states and _after_user(states):
            probabilities.pop(ACTION_LISTEN, None)
            total = sum(probabilities.values())
            if total > 0:
                probabilities = {name: p / total for name, p in probabilities.items()}
        if not probabilities:
            return None
        action = max(probabilities, key=lambda name: probabilities[name])
        return self._prediction(action, probabilities[action])

    def persist(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        vocabulary = {
            "encoder": self.encoder.to_json() if self.encoder else None,
            "classes": self.classes,
            "layers": len(self.layers),
            "listens_after_user": self.listens_after_user,
        }
        (folder / VOCABULARY_FILE).write_text(json.dumps(vocabulary), encoding="utf-8")
        arrays: dict[str, NDArray[np.float32]] = {}
        for index, (weights, bias) in enumerate(self.layers):
            arrays[f"w{index}"] = weights
            arrays[f"b{index}"] = bias
        with (folder / WEIGHTS_FILE).open("wb") as file:
            np.savez(file, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, folder: Path, options: Mapping[str, Any]) -> MLPolicy:
        policy = cls(options)
        vocabulary = read_policy_json(folder / VOCABULARY_FILE)
        if not isinstance(vocabulary, dict):
            raise ModelError(f"{VOCABULARY_FILE} is not an object; train again")
        encoder = vocabulary.get("encoder")
        policy.encoder = StateEncoder.from_json(encoder) if encoder is not None else None
        classes = vocabulary.get("classes")
        layers = vocabulary.get("layers")
        if not isinstance(classes, list) or not isinstance(layers, int):
            raise ModelError(f"{VOCABULARY_FILE} lacks classes or layers; train again")
        if not 0 <= layers <= MAX_LAYERS:
            raise ModelError(f"{VOCABULARY_FILE} names {layers} layers; train again")
        policy.classes = [str(c) for c in classes]
        policy.listens_after_user = bool(vocabulary.get("listens_after_user", True))
        if layers:
            policy.layers = _read_layers(folder / WEIGHTS_FILE, layers, policy)
        elif policy.encoder is not None and len(policy.classes) > 1:
            raise ModelError(f"{VOCABULARY_FILE} names several actions but no layers; train again")
        return policy


def _balanced(labels: NDArray[Any], power: float) -> NDArray[np.float64]:
    """Sample weights that lift rare actions: ``(most frequent count / count) ** power``
    (0: no balancing, 1: every action weighs the same in total). Without it, an action
    that ends a turn a few times loses to the many turns of a frequent intent."""
    counts = np.bincount(labels)
    weights = (counts.max() / counts[labels]) ** power
    return np.asarray(weights / weights.mean(), dtype=np.float64)


def _after_user(states: Sequence[State]) -> bool:
    last = states[-1]
    return last.prev_action == ACTION_LISTEN and (last.intent is not None or last.text is not None)


def _glued(stories: Sequence[list[Event]], factor: int, seed: int) -> list[list[Event]]:
    """Stories glued end to start at random (seeded), as Rasa's augmentation does: the
    conversations then show each story after many different histories."""
    if factor <= 0 or len(stories) < 2:
        return []
    generator = random.Random(seed)
    glued: list[list[Event]] = []
    for _ in range(min(factor * len(stories), MAX_GLUED)):
        first, second = generator.choice(stories), generator.choice(stories)
        # The first story's final action_listen is the second one's opening listen.
        if first and isinstance(first[-1], ActionExecuted) and first[-1].name == ACTION_LISTEN:
            first = first[:-1]
        glued.append([*first, *second])
    return glued


def _with_shorter_histories(
    examples: Sequence[tuple[list[State], str]], max_history: int
) -> list[tuple[list[State], str]]:
    """Each example again with only its last 1, 2, … states: conversations reach a state
    after histories the stories never show, and the recent turns should weigh most
    (Rasa gets the same effect by gluing stories together at random)."""
    seen: set[tuple[tuple[State, ...], str]] = set()
    out: list[tuple[list[State], str]] = []
    for states, action in examples:
        window = states[-max_history:]
        for length in range(len(window), 0, -1):
            key = (tuple(window[-length:]), action)
            if key not in seen:
                seen.add(key)
                out.append((list(key[0]), action))
    return out


def _read_layers(
    path: Path, count: int, policy: MLPolicy
) -> list[tuple[NDArray[np.float32], NDArray[np.float32]]]:
    try:
        # Opened here, so that the file is closed however np.load fails.
        with path.open("rb") as file:
            loaded = np.load(file, allow_pickle=False)
            if isinstance(loaded, np.ndarray):  # a bare .npy array, not an npz archive
                raise ValueError("not an npz archive")
            with loaded as archive:
                layers = [
                    (
                        np.asarray(archive[f"w{i}"], dtype=np.float32),
                        np.asarray(archive[f"b{i}"], dtype=np.float32),
                    )
                    for i in range(count)
                ]
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ModelError(f"cannot read {path.name} ({error}); train again") from None
    expected = policy.encoder.state_size * policy.encoder.max_history if policy.encoder else 0
    for weights, bias in layers:
        if weights.ndim != 2 or bias.shape != (weights.shape[1],) or weights.shape[0] != expected:
            raise ModelError(f"{path.name} holds weights of the wrong shape; train again")
        expected = weights.shape[1]
    outputs = layers[-1][0].shape[1]
    if outputs != (1 if len(policy.classes) == 2 else len(policy.classes)):
        raise ModelError(f"{path.name} does not match the policy's actions; train again")
    return layers
