"""Policies persist what they learnt as JSON and npz, load it back to the same
predictions, and refuse files that are malformed, mismatched or executable."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.unit.dialogue.builders import (
    action,
    bool_slot,
    context,
    conversation,
    make_domain,
    predict,
    read_data,
    slot,
    trained,
    turn,
)

from parley.core.events import ActiveLoop, Event
from parley.dialogue.dialogue_model import DialogueModel
from parley.dialogue.memoization import AugmentedMemoizationPolicy, MemoizationPolicy
from parley.dialogue.ml_policy import MLPolicy
from parley.dialogue.policy import Policy, PolicyContext
from parley.dialogue.rule_policy import RulePolicy
from parley.errors import ModelError
from parley.project.config import ComponentSpec

DOMAIN = make_domain(
    ["greet", "ask", "bye", "chitchat", "request"],
    entities=["city"],
    slots=[bool_slot("vip")],
    forms={"form": []},
)

DATA = """
stories:
- story: greet
  steps:
  - intent: greet
  - action: utter_greet
  - intent: ask
    entities:
    - city
  - action: utter_answer
- story: vip
  steps:
  - intent: greet
  - action: action_check
  - slot_was_set:
    - vip: true
  - intent: bye
  - action: utter_vip_bye
rules:
- rule: bye
  steps:
  - intent: bye
  - action: utter_bye
- rule: vip bye
  condition:
  - slot_was_set:
    - vip: true
  steps:
  - intent: bye
  - action: utter_vip_bye
- rule: welcome
  conversation_start: true
  steps:
  - intent: greet
  - action: utter_welcome
- rule: chitchat in form
  condition:
  - active_loop: form
  steps:
  - intent: chitchat
  - action: utter_chitchat
  - action: form
  - active_loop: form
"""

CONVERSATIONS: list[list[Event]] = [
    turn("greet"),
    turn("greet", "utter_greet"),
    [*turn("greet", "utter_greet"), *turn("ask", city="Rome")],
    [*turn("greet", "action_check"), slot("vip", True), *turn("bye")],
    [*turn("ask", "utter_answer"), *turn("bye")],
    [*turn("request", "form"), ActiveLoop(name="form"), *turn("chitchat")],
    [*turn("ask", "utter_answer"), *turn("chitchat")],
    turn("unknown_intent"),
]

POLICIES: list[Callable[[], Policy]] = [
    lambda: RulePolicy({"core_fallback_threshold": 0.25}),
    lambda: MemoizationPolicy({"max_history": 3}),
    lambda: AugmentedMemoizationPolicy({"max_history": 2}),
    lambda: MLPolicy({"max_history": 3, "epochs": 60}),
]


def predictions(policy: Policy, ctx: PolicyContext) -> list[tuple[str, float] | None]:
    out: list[tuple[str, float] | None] = []
    for events in CONVERSATIONS:
        found = predict(policy, ctx, conversation(ctx, events))
        out.append((found.action, found.confidence) if found else None)
    return out


def persisted(make: Callable[[], Policy], folder: Path) -> tuple[Policy, PolicyContext]:
    ctx = context(DOMAIN)
    policy = trained(make(), DATA, ctx)
    policy.persist(folder)
    return policy, ctx


@pytest.mark.parametrize("make", POLICIES, ids=lambda make: type(make()).__name__)
def test_a_loaded_policy_predicts_as_the_trained_one(
    make: Callable[[], Policy], tmp_path: Path
) -> None:
    policy, ctx = persisted(make, tmp_path / "policy")

    loaded = type(policy).load(tmp_path / "policy", policy.options)

    assert type(loaded) is type(policy)
    assert loaded.priority == policy.priority
    before, after = predictions(policy, ctx), predictions(loaded, ctx)
    assert after == before
    # The predictions are worth comparing: the policy does answer.
    assert sum(p is not None for p in before) >= 3


def test_persisted_files_are_plain_json_and_npz(tmp_path: Path) -> None:
    for make in POLICIES:
        folder = tmp_path / type(make()).__name__
        persisted(make, folder)
        for path in folder.iterdir():
            assert path.suffix in {".json", ".npz"}, path
            if path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
            else:
                with np.load(path, allow_pickle=False) as archive:
                    assert all(archive[name].dtype == np.float32 for name in archive.files)


def test_a_loaded_rule_policy_keeps_its_options(tmp_path: Path) -> None:
    _, ctx = persisted(POLICIES[0], tmp_path)

    loaded = RulePolicy.load(tmp_path, {"core_fallback_threshold": 0.5, "priority": 9})

    fallback = predict(loaded, ctx, conversation(ctx, turn("unknown_intent")))
    assert fallback is not None
    assert (fallback.action, fallback.confidence, fallback.priority) == (
        "action_default_fallback",
        0.5,
        9,
    )


def test_a_dialogue_model_round_trips(tmp_path: Path) -> None:
    stories, rules = read_data(DATA)
    specs = [
        ComponentSpec(name="MemoizationPolicy"),
        ComponentSpec(name="RulePolicy"),
        ComponentSpec(name="TEDPolicy", options={"max_history": 3, "epochs": 60}),
    ]
    model, _ = DialogueModel.train(DOMAIN, stories, rules, specs, seed=7)
    model.persist(tmp_path / "dialogue")

    loaded = DialogueModel.load(tmp_path / "dialogue")

    assert loaded.domain == model.domain
    assert loaded.context.seed == 7
    assert [(p.name, p.options) for p in loaded.policies] == [
        (p.name, p.options) for p in model.policies
    ]
    for events in CONVERSATIONS:
        before = model.predict(model.tracker("t", events))
        after = loaded.predict(loaded.tracker("t", events))
        assert before is not None
        assert after is not None
        assert (after.action, after.policy, after.confidence) == (
            before.action,
            before.policy,
            pytest.approx(before.confidence),
        )


# -- hostile files ----------------------------------------------------------------------

LOOKUP_ENTRIES: list[Any] = [
    {"not": "a list"},
    ["not an entry"],
    [{"states": []}],  # no action
    [{"states": [], "action": 3}],
    [{"states": {}, "action": "x"}],
    [{"states": ["not a state"], "action": "x"}],
    [{"states": [{"intent": ["unhashable"]}], "action": "x"}],
    [{"states": [{"prev_action": 5}], "action": "x"}],
    [{"states": [{"entities": 5}], "action": "x"}],
    [{"states": [{"slots": ["not", "a", "mapping"]}], "action": "x"}],
    [{"states": [{"slots": {"vip": 1}}], "action": "x"}],
    [{"states": [{"slots": {"vip": ["not a number"]}}], "action": "x"}],
]


@pytest.mark.parametrize(
    ("kind", "file"),
    [(RulePolicy, "rules.json"), (MemoizationPolicy, "memory.json")],
)
@pytest.mark.parametrize("entries", LOOKUP_ENTRIES)
def test_a_malformed_lookup_is_a_model_error(
    kind: type[Policy], file: str, entries: Any, tmp_path: Path
) -> None:
    (tmp_path / file).write_text(json.dumps(entries), encoding="utf-8")

    with pytest.raises(ModelError, match="again"):
        kind.load(tmp_path, {})


@pytest.mark.parametrize(
    ("kind", "file"),
    [
        (RulePolicy, "rules.json"),
        (MemoizationPolicy, "memory.json"),
        (MLPolicy, "vocabulary.json"),
    ],
)
@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", None])
def test_unreadable_or_missing_files_are_a_model_error(
    kind: type[Policy], file: str, content: bytes | None, tmp_path: Path
) -> None:
    if content is not None:
        (tmp_path / file).write_bytes(content)

    with pytest.raises(ModelError):
        kind.load(tmp_path, {})


@pytest.fixture(scope="module")
def ml_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained MLPolicy's files, to break in each test (copied first)."""
    folder = tmp_path_factory.mktemp("ml")
    persisted(POLICIES[3], folder)
    return folder


@pytest.fixture
def ml_copy(ml_folder: Path, tmp_path: Path) -> Path:
    for path in ml_folder.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    return tmp_path


def arrays(folder: Path) -> dict[str, np.ndarray]:
    with np.load(folder / "weights.npz", allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def vocabulary(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / "vocabulary.json").read_text("utf-8"))
    return loaded


def test_the_intact_copy_loads(ml_copy: Path) -> None:
    assert MLPolicy.load(ml_copy, {}).layers


@pytest.mark.parametrize(
    "change",
    [
        {"encoder": {"intents": []}},  # keys missing
        {
            "encoder": {
                "intents": 1,
                "entities": [],
                "actions": [],
                "slots": {},
                "loops": [],
                "max_history": 1,
            }
        },
        {"classes": "utter_greet"},
        {"layers": "2"},
        {"layers": -1},
        {"layers": 99},
        {"layers": 0},  # several actions but no network
        {"classes": ["only", "two"]},  # the network's outputs do not match
    ],
)
def test_a_malformed_vocabulary_is_a_model_error(change: dict[str, Any], ml_copy: Path) -> None:
    data = vocabulary(ml_copy) | change
    (ml_copy / "vocabulary.json").write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(ModelError):
        MLPolicy.load(ml_copy, {})


def test_a_vocabulary_of_another_size_does_not_fit_the_weights(ml_copy: Path) -> None:
    data = vocabulary(ml_copy)
    data["encoder"]["intents"].append("one_more_intent")
    (ml_copy / "vocabulary.json").write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(ModelError, match="wrong shape"):
        MLPolicy.load(ml_copy, {})


def _transposed_first(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return found | {"w0": found["w0"].T}


def _short_bias(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return found | {"b0": found["b0"][:-1]}


def _flat_weights(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return found | {"w0": found["w0"].ravel()}


def _fewer_outputs(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    last = max(int(name[1:]) for name in found if name.startswith("w"))
    return found | {f"w{last}": found[f"w{last}"][:, :-1], f"b{last}": found[f"b{last}"][:-1]}


def _missing_layer(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: value for name, value in found.items() if name != "b0"}


def _text_arrays(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return found | {"w0": np.array([["a", "b"]])}


@pytest.mark.parametrize(
    "breaking",
    [_transposed_first, _short_bias, _flat_weights, _fewer_outputs, _missing_layer, _text_arrays],
)
def test_weights_of_the_wrong_shape_are_a_model_error(
    breaking: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]], ml_copy: Path
) -> None:
    broken = breaking(arrays(ml_copy))
    with (ml_copy / "weights.npz").open("wb") as file:
        np.savez(file, **broken)  # type: ignore[arg-type]

    with pytest.raises(ModelError, match=r"weights\.npz"):
        MLPolicy.load(ml_copy, {})


@pytest.mark.parametrize(
    "content",
    [b"", b"PK\x03\x04 not really a zip", b"\x93NUMPY garbage", None],
    ids=["empty", "not a zip", "bad npy", "npy not npz"],
)
def test_a_weights_file_that_is_no_npz_archive_is_a_model_error(
    content: bytes | None, ml_copy: Path
) -> None:
    path = ml_copy / "weights.npz"
    if content is None:
        with path.open("wb") as file:
            np.save(file, np.zeros((3, 3), dtype=np.float32))
    else:
        path.write_bytes(content)

    with pytest.raises(ModelError, match=r"weights\.npz"):
        MLPolicy.load(ml_copy, {})


def test_missing_weights_are_a_model_error(ml_copy: Path) -> None:
    (ml_copy / "weights.npz").unlink()

    with pytest.raises(ModelError):
        MLPolicy.load(ml_copy, {})


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (self.marker,))


def test_pickled_arrays_are_refused_and_never_run(
    ml_copy: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    marker = tmp_path_factory.mktemp("marker") / "code-ran"
    found = arrays(ml_copy)
    found["w0"] = np.array([_Payload(marker)], dtype=object)
    with (ml_copy / "weights.npz").open("wb") as file:
        np.savez(file, **found)  # type: ignore[arg-type]

    with pytest.raises(ModelError, match=r"weights\.npz"):
        MLPolicy.load(ml_copy, {})
    assert not marker.exists()


# -- the dialogue model's index ------------------------------------------------------------


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    stories, rules = read_data(DATA)
    model, _ = DialogueModel.train(
        DOMAIN,
        stories,
        rules,
        [ComponentSpec(name="RulePolicy"), ComponentSpec(name="MemoizationPolicy")],
    )
    model.persist(tmp_path / "dialogue")
    return tmp_path / "dialogue"


def _index(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / "policies.json").read_text("utf-8"))
    return loaded


@pytest.mark.parametrize(
    "breaking",
    [
        lambda index: index | {"policies": "RulePolicy"},
        lambda index: index | {"policies": [index["policies"][0]] * 33},
        lambda index: index | {"policies": ["RulePolicy"]},
        lambda index: index | {"policies": [index["policies"][0] | {"resource": "../elsewhere"}]},
        lambda index: index | {"policies": [index["policies"][0] | {"resource": ".."}]},
        lambda index: index | {"policies": [index["policies"][0] | {"name": "NoSuchPolicy"}]},
        lambda index: index | {"policies": [index["policies"][0] | {"version": 999}]},
        lambda index: index | {"policies": [index["policies"][0] | {"options": ["x"]}]},
        lambda index: ["not", "an", "object"],
    ],
    ids=[
        "policies-not-a-list",
        "too-many",
        "entry-not-object",
        "path-traversal",
        "parent-folder",
        "unknown-policy",
        "other-version",
        "options-not-object",
        "index-not-object",
    ],
)
def test_a_malformed_dialogue_index_is_a_model_error(
    breaking: Callable[[dict[str, Any]], Any], model_folder: Path
) -> None:
    (model_folder / "policies.json").write_text(json.dumps(breaking(_index(model_folder))), "utf-8")

    with pytest.raises(ModelError):
        DialogueModel.load(model_folder)


def test_a_malformed_dialogue_domain_is_a_model_error(model_folder: Path) -> None:
    (model_folder / "domain.json").write_text('{"intents": 5}', "utf-8")

    with pytest.raises(ModelError):
        DialogueModel.load(model_folder)


def test_a_policy_folder_that_is_broken_is_a_model_error(model_folder: Path) -> None:
    resource = _index(model_folder)["policies"][0]["resource"]
    (model_folder / resource / "rules.json").write_text("[{", "utf-8")

    with pytest.raises(ModelError):
        DialogueModel.load(model_folder)


def test_the_intact_dialogue_model_loads(model_folder: Path) -> None:
    loaded = DialogueModel.load(model_folder)

    best = loaded.predict(
        loaded.tracker("t", [*turn("greet", "action_check"), slot("vip", True), *turn("bye")])
    )
    assert best is not None
    assert best.action == "utter_vip_bye"
    assert action("x").name == "x"
