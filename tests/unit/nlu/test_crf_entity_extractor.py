from __future__ import annotations

import itertools
import json
import os
import string
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pycrfsuite
import pytest

from parley.core.messages import IntentPrediction
from parley.core.training_data import EntityAnnotation, Example, LookupTable, NLUData
from parley.errors import ModelError, ProjectError
from parley.nlu.component import Component, ComponentContext, TrainingData
from parley.nlu.crf_entity_extractor import CRFEntityExtractor, _with_entity_tags, decode
from parley.nlu.lexical_syntactic import LexicalSyntacticFeaturizer
from parley.nlu.message import Message
from parley.nlu.regex_featurizer import RegexFeaturizer
from parley.nlu.resource import Resource
from parley.nlu.tokenizer import WhitespaceTokenizer

CITIES = ["Berlin", "Paris", "Rome", "New York", "San Francisco", "Oslo", "Lima", "Tokyo"]


def annotated(template: str, **values: tuple[str, str, str | None, str | None]) -> Example:
    """``template`` with ``{slot}`` holes filled by (text, entity, role, group)."""
    text = ""
    entities = []
    for literal, field, _, _ in string.Formatter().parse(template):
        text += literal
        if field:
            value, entity, role, group = values[field]
            entities.append(
                EntityAnnotation(
                    start=len(text),
                    end=len(text) + len(value),
                    value=value,
                    entity=entity,
                    role=role,
                    group=group,
                )
            )
            text += value
    return Example(text=text, intent="book", entities=entities)


def travel_data() -> NLUData:
    examples = []
    sizes = itertools.cycle(itertools.permutations(["large", "small", "medium"], 2))
    toppings = itertools.cycle(itertools.permutations(["ham", "olives", "cheese", "tuna"], 2))
    for origin, destination in itertools.permutations(CITIES, 2):
        (size1, size2), (topping1, topping2) = next(sizes), next(toppings)
        examples.append(
            annotated(
                "fly from {a} to {b}",
                a=(origin, "city", "departure", None),
                b=(destination, "city", "destination", None),
            )
        )
        examples.append(
            annotated(
                "a {s1} pizza with {t1} and a {s2} pizza with {t2} to {c}",
                s1=(size1, "size", None, "1"),
                t1=(topping1, "topping", None, "1"),
                s2=(size2, "size", None, "2"),
                t2=(topping2, "topping", None, "2"),
                c=(destination, "city", None, None),
            )
        )
    examples.append(Example(text="hello there", intent="greet"))
    return NLUData(examples=examples)


def pipeline(context: ComponentContext, **crf: object) -> list[Component]:
    return [
        WhitespaceTokenizer({}, context),
        LexicalSyntacticFeaturizer({}, context),
        RegexFeaturizer({}, context),
        CRFEntityExtractor(crf, context),
    ]


def train(nlu: NLUData, context: ComponentContext | None = None, **crf: object) -> list[Component]:
    context = context or ComponentContext()
    components = pipeline(context, **crf)
    data = TrainingData.from_nlu(nlu)
    for component in components:
        component.train(data)
        component.process_batch(data.messages)
    return components


def parse(components: list[Component], text: str) -> Message:
    message = Message(text=text)
    for component in components:
        component.process(message)
    return message


@pytest.fixture(scope="module")
def travel() -> list[Component]:
    return train(travel_data())


def test_entities_with_roles_are_extracted(travel: list[Component]) -> None:
    entities = parse(travel, "fly from Lima to San Francisco").entities
    assert [(e.entity, e.value, e.role) for e in entities] == [
        ("city", "Lima", "departure"),
        ("city", "San Francisco", "destination"),
    ]
    first = entities[0]
    assert first.extractor == "CRFEntityExtractor"
    assert first.start == 9
    assert first.end == 13
    assert first.group is None
    assert first.confidence_group is None
    for entity in entities:
        assert entity.confidence_entity is not None
        assert 0.5 < entity.confidence_entity <= 1.0
        assert entity.confidence_role is not None
        assert 0.5 < entity.confidence_role <= 1.0


def test_groups_tie_entities_together(travel: list[Component]) -> None:
    text = "a small pizza with ham and a large pizza with olives to Oslo"
    entities = parse(travel, text).entities
    assert [(e.value, e.entity, e.group) for e in entities] == [
        ("small", "size", "1"),
        ("ham", "topping", "1"),
        ("large", "size", "2"),
        ("olives", "topping", "2"),
        ("Oslo", "city", None),
    ]


def test_bilou_decoding_keeps_every_tagged_token() -> None:
    tags = ["B-city", "L-city", "O", "U-city", "U-city", "I-size", "L-size", "B-x", "B-x"]
    assert decode(tags, bilou=True) == [
        ("city", 0, 1),
        ("city", 3, 3),
        ("city", 4, 4),
        ("size", 5, 6),
        ("x", 7, 7),
        ("x", 8, 8),
    ]
    assert decode(["city", "city", "O", "size"], bilou=False) == [("city", 0, 1), ("size", 3, 3)]


def test_without_bilou_multi_word_entities_still_come_out_whole() -> None:
    components = train(travel_data(), BILOU_flag=False)
    entities = parse(components, "fly from New York to Rome").entities
    assert [e.value for e in entities] == ["New York", "Rome"]


def test_with_bilou_entities_come_out_with_roles() -> None:
    components = train(travel_data(), BILOU_flag=True)
    extractor = components[3]
    assert isinstance(extractor, CRFEntityExtractor)
    entities = parse(components, "fly from New York to Rome").entities
    assert [(e.value, e.role) for e in entities] == [
        ("New York", "departure"),
        ("Rome", "destination"),
    ]


def known_items(examples: list[Example], text: str) -> tuple[list[dict[str, float]], Message]:
    """The ``known`` features of ``text`` after training on ``examples`` (and the first
    training message's own items, as training saw them)."""
    components = train(NLUData(examples=examples), features=[["known"], ["known"], []])
    extractor = components[3]
    assert isinstance(extractor, CRFEntityExtractor)
    message = parse(components[:3], text)
    return [_known_only(item) for item in extractor._items(message)], message


def _known_only(item: dict[str, float]) -> dict[str, float]:
    return {key: weight for key, weight in item.items() if ":known:" in key}


def test_phrases_annotated_in_training_are_known_features() -> None:
    examples = [
        annotated("fly to {c}", c=("New York", "city", None, None)),
        annotated("go to {c} now", c=("new york", "city", None, None)),
        annotated("fly to {c}", c=("Rome", "city", None, None)),
    ]
    items, _ = known_items(examples, "from new york to Rome")
    assert items[0] == {}
    assert items[1] == {"0:known:B-city": 1.0}
    assert items[2] == {"0:known:L-city": 1.0, "-1:known:B-city": 1.0}
    assert items[3] == {"-1:known:L-city": 1.0}
    assert items[4] == {"0:known:U-city": 1.0}


def test_training_sentences_do_not_see_their_own_annotations_as_known() -> None:
    # Leave-one-out: "Rome" is annotated once, so its own sentence sees it as new, as
    # parsing sees a city that training never annotated; "Paris" twice, so both see it.
    components = train(
        NLUData(
            examples=[
                annotated("fly to {c}", c=("Rome", "city", None, None)),
                annotated("fly to {c}", c=("Paris", "city", None, None)),
                annotated("go to {c}", c=("Paris", "city", None, None)),
            ]
        ),
        features=[[], ["known"], []],
    )
    extractor = components[3]
    assert isinstance(extractor, CRFEntityExtractor)
    data = TrainingData.from_nlu(
        NLUData(examples=[annotated("fly to {c}", c=("Rome", "city", None, None))])
    )
    message = data.messages[0]
    for component in components[:3]:
        component.process(message)
    assert message.example is not None
    own = extractor._label([(message, message.example)])[0].items
    assert _known_only(own[2]) == {}
    assert _known_only(extractor._items(message)[2]) == {"0:known:U-city": 1.0}
    assert extractor.known[("paris",)] == {"city": 2}


def test_the_known_phrases_are_persisted_as_data(tmp_path: Path) -> None:
    components = train(NLUData(examples=[annotated("fly to {c}", c=("Rome", "city", None, None))]))
    extractor = components[3]
    assert isinstance(extractor, CRFEntityExtractor)
    extractor.persist(Resource(tmp_path))
    loaded = CRFEntityExtractor.load({}, Resource(tmp_path), ComponentContext())
    assert loaded.known == {("rome",): {"city": 1}}
    meta = tmp_path / "crf.json"
    meta.write_text(meta.read_text().replace('"city":1', '"city":"one"'))
    with pytest.raises(ModelError, match="malformed"):
        CRFEntityExtractor.load({}, Resource(tmp_path), ComponentContext())


def test_an_annotation_inside_a_word_warns_and_trains_on_the_whole_word() -> None:
    context = ComponentContext()
    nlu = travel_data()
    cut = Example(
        text="fly from New York",
        intent="book",
        entities=[EntityAnnotation(start=9, end=16, value="New Yor", entity="city")],
    )
    train(NLUData(examples=[*nlu.examples, cut]), context)
    warnings = [p for p in context.problems if p.code == "nlu-entity-misaligned"]
    assert len(warnings) == 1
    assert "'New Yor' (city)" in warnings[0].message
    assert "fly from New York" in warnings[0].message


def test_entities_split_at_commas_unless_switched_off() -> None:
    example = annotated("visit {c} please", c=("Paris, Rome", "city", None, None))
    nlu = NLUData(examples=[example] * 5 + travel_data().examples[:20])
    text = "visit Paris, Rome please"
    split = train(nlu)
    assert [e.value for e in parse(split, text).entities] == ["Paris", "Rome"]
    whole = train(nlu, split_entities_by_comma={"city": False})
    assert [e.value for e in parse(whole, text).entities] == ["Paris, Rome"]


def test_lookup_matches_become_features() -> None:
    nlu = travel_data()
    with_lookup = NLUData(
        examples=nlu.examples, lookups=[LookupTable(name="city", elements=["Quito"])]
    )
    components = train(with_lookup, features=[["pattern"], ["low", "pattern"], ["pattern"]])
    extractor = components[3]
    assert isinstance(extractor, CRFEntityExtractor)
    items = extractor._items(parse(components, "fly from Quito to Rome"))
    assert items[2]["f:pattern:city"] == 1.0
    assert items[1]["1:pattern:city"] == 1.0
    assert items[3]["-1:pattern:city"] == 1.0
    assert not any("pattern" in key for key in items[0])


def test_persisted_model_tags_the_same(travel: list[Component], tmp_path: Path) -> None:
    extractor = travel[3]
    assert isinstance(extractor, CRFEntityExtractor)
    extractor.persist(Resource(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "crf.json",
        "entity.json",
        "entity.npz",
        "group.json",
        "group.npz",
        "role.json",
        "role.npz",
    ]
    loaded = CRFEntityExtractor.load(extractor.config, Resource(tmp_path), ComponentContext())
    text = "fly from Oslo to Tokyo and a large pizza with ham"
    again = [*travel[:3], loaded]
    assert parse(again, text).entities == parse(travel, text).entities


def test_training_is_deterministic(travel: list[Component]) -> None:
    again = train(travel_data())
    assert isinstance(again[3], CRFEntityExtractor)
    assert isinstance(travel[3], CRFEntityExtractor)
    assert again[3].taggers == travel[3].taggers
    assert set(again[3].taggers) == {"entity", "role", "group"}


def test_no_entities_trains_nothing_and_extracts_nothing(tmp_path: Path) -> None:
    nlu = NLUData(examples=[Example(text="hi", intent="greet"), Example(text="bye", intent="bye")])
    components = train(nlu)
    extractor = components[3]
    assert isinstance(extractor, CRFEntityExtractor)
    assert extractor.taggers == {}
    assert parse(components, "fly from Paris").entities == []
    extractor.persist(Resource(tmp_path))
    loaded = CRFEntityExtractor.load({}, Resource(tmp_path), ComponentContext())
    assert loaded.taggers == {}


def test_progress_is_reported() -> None:
    seen: list[tuple[str, float]] = []
    train(travel_data(), ComponentContext(progress=lambda what, done: seen.append((what, done))))
    assert any("entity tagger" in what for what, _ in seen)
    assert all(0.0 <= done <= 1.0 for _, done in seen)


def test_a_corrupt_model_file_is_a_model_error(travel: list[Component], tmp_path: Path) -> None:
    travel[3].persist(Resource(tmp_path))
    (tmp_path / "entity.npz").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"entity\.npz.*train the model again"):
        CRFEntityExtractor.load({}, Resource(tmp_path), ComponentContext())


# -- the NumPy tagger against CRFsuite's ------------------------------------------------------


def trained_with_crfsuite_models(
    monkeypatch: pytest.MonkeyPatch, **crf: object
) -> tuple[list[Component], dict[str, bytes]]:
    """A trained pipeline and the CRFsuite model files its taggers were read from (trusted:
    they come from training, not from an artifact)."""
    models: dict[str, bytes] = {}
    fit = CRFEntityExtractor._fit

    def keep(
        self: CRFEntityExtractor, labelled: Any, attribute: str, number: int, count: int
    ) -> bytes:
        models[attribute] = fit(self, labelled, attribute, number, count)
        return models[attribute]

    monkeypatch.setattr(CRFEntityExtractor, "_fit", keep)
    return train(travel_data(), **crf), models


COMPARED = [
    *(example.text for example in travel_data().examples[::7]),
    "fly from Quito to Madrid please",
    "a huge pizza with anchovies and a small pizza with ham to Oslo",
    "hello there",
    "Berlin",
    "fly fly fly to to Rome Rome",
    "I want to go from San Francisco to New York tomorrow",
]


@pytest.mark.parametrize("bilou", [False, True])
def test_the_numpy_tagger_tags_as_crfsuite_does(
    monkeypatch: pytest.MonkeyPatch, bilou: bool
) -> None:
    components, models = trained_with_crfsuite_models(monkeypatch, BILOU_flag=bilou)
    extractor = components[3]
    assert isinstance(extractor, CRFEntityExtractor)
    assert set(models) == set(extractor.taggers) == {"entity", "role", "group"}
    reference = {}
    for attribute, model in models.items():
        reference[attribute] = pycrfsuite.Tagger()
        reference[attribute].open_inmemory(model)
    compared = 0
    for text in COMPARED:
        items = extractor._items(parse(components[:3], text))
        entity_tags, _ = extractor.taggers["entity"].tag(items)
        for attribute, tagger in extractor.taggers.items():
            sequence = items if attribute == "entity" else _with_entity_tags(items, entity_tags)
            crfsuite = reference[attribute]
            crfsuite.set(pycrfsuite.ItemSequence(sequence))
            expected = crfsuite.tag()
            tags, confidences = tagger.tag(sequence)
            assert tags == expected, (attribute, text)
            for index, tag in enumerate(tags):
                assert confidences[index] == pytest.approx(crfsuite.marginal(tag, index), abs=1e-6)
                compared += 1
            assert len(tags) == len(sequence)
    assert compared > 100


def test_the_weights_are_crfsuites_own(monkeypatch: pytest.MonkeyPatch) -> None:
    components, models = trained_with_crfsuite_models(monkeypatch)
    extractor = components[3]
    assert isinstance(extractor, CRFEntityExtractor)
    for attribute, model in models.items():
        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(model)
        info = tagger.info()  # its dump rounds the weights to six decimals
        chain = extractor.taggers[attribute]
        assert chain.labels == sorted(info.labels, key=lambda label: int(info.labels[label]))
        state = {
            (chain.attributes[a], chain.labels[y]): w
            for a, y, w in zip(
                chain.state_attributes, chain.state_labels, chain.state_weights, strict=True
            )
        }
        assert state.keys() == info.state_features.keys()
        assert all(abs(state[key] - w) <= 5e-7 for key, w in info.state_features.items())
        for (before, after), weight in info.transitions.items():
            row, column = chain.labels.index(before), chain.labels.index(after)
            assert abs(chain.transitions[row, column] - weight) <= 5e-7


def test_tags_and_marginals_match_a_sum_over_every_tag_sequence(travel: list[Component]) -> None:
    extractor = travel[3]
    assert isinstance(extractor, CRFEntityExtractor)
    chain = extractor.taggers["group"]
    entity_items = extractor._items(parse(travel[:3], "a small pizza with ham"))
    entity_tags, _ = extractor.taggers["entity"].tag(entity_items)
    items = _with_entity_tags(entity_items, entity_tags)
    scores = chain.scores(items)
    size = len(chain.labels)
    totals = np.zeros((len(items), size))
    best, best_path = -np.inf, ()
    for path in itertools.product(range(size), repeat=len(items)):
        score = sum(scores[t, y] for t, y in enumerate(path))
        score += sum(chain.transitions[a, b] for a, b in itertools.pairwise(path))
        if score > best:
            best, best_path = score, path
        for t, y in enumerate(path):
            totals[t, y] += np.exp(score)
    marginals = totals / totals[0].sum()
    tags, confidences = chain.tag(items)
    assert tags == [chain.labels[y] for y in best_path]
    assert confidences == pytest.approx([marginals[t, y] for t, y in enumerate(best_path)])


def test_loading_never_runs_crfsuite(
    travel: list[Component], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    travel[3].persist(Resource(tmp_path))

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("CRFsuite ran while loading")

    monkeypatch.setattr(pycrfsuite, "Tagger", refuse)
    monkeypatch.setattr(pycrfsuite, "ItemSequence", refuse)
    loaded = CRFEntityExtractor.load({}, Resource(tmp_path), ComponentContext())
    text = "fly from Oslo to Tokyo"
    assert parse([*travel[:3], loaded], text).entities == parse(travel, text).entities


# -- hostile resources ----------------------------------------------------------------------


def _arrays(folder: Path, attribute: str = "entity") -> dict[str, np.ndarray]:
    with np.load(folder / f"{attribute}.npz", allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def _save(folder: Path, arrays: dict[str, Any], attribute: str = "entity") -> None:
    with (folder / f"{attribute}.npz").open("wb") as file:
        np.savez(file, **arrays)


def _names(folder: Path, attribute: str = "entity") -> dict[str, Any]:
    names: dict[str, Any] = json.loads((folder / f"{attribute}.json").read_text())
    return names


def _change_arrays(**changes: Callable[[Any], Any]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        arrays = _arrays(folder)
        for key, how in changes.items():
            arrays[key] = how(arrays[key])
        _save(folder, {k: v for k, v in arrays.items() if v is not None})

    return change


def _change_names(how: Callable[[dict[str, Any]], Any]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / "entity.json").write_text(json.dumps(how(_names(folder))))

    return change


def _truncate(name: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])

    return change


def _with(array: np.ndarray, index: int, value: float) -> np.ndarray:
    copy = array.copy()
    copy.flat[index] = value
    return copy


def _zip_bomb(folder: Path) -> None:
    # An archive whose directory says its member unpacks to 2 GiB (as a real bomb's must:
    # zipfile stops at the size the directory gives).
    path = folder / "entity.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("weights.npy", bytes(2**20))
    data = bytearray(path.read_bytes())
    directory = data.index(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (2**31).to_bytes(4, "little")
    path.write_bytes(bytes(data))


def _save_npy(folder: Path) -> None:
    with (folder / "entity.npz").open("wb") as file:
        np.save(file, np.zeros(3))


HOSTILE: dict[str, Callable[[Path], None]] = {
    "missing npz": lambda folder: (folder / "entity.npz").unlink(),
    "missing names": lambda folder: (folder / "role.json").unlink(),
    "truncated npz": _truncate("entity.npz"),
    "truncated names": _truncate("entity.json"),
    "garbage npz": lambda folder: (folder / "entity.npz").write_bytes(os.urandom(4096)),
    "crfsuite file as npz": lambda folder: (folder / "entity.npz").write_bytes(
        b"lCRF" + bytes(200)
    ),
    "npy instead of npz": _save_npy,
    "corrupt deflate stream": lambda folder: (folder / "entity.npz").write_bytes(
        _flip_middle((folder / "entity.npz").read_bytes())
    ),
    "zip bomb": _zip_bomb,
    "pickled object array": lambda folder: _save(
        folder, {**_arrays(folder), "weights": np.array([object()], dtype=object)}
    ),
    "missing array": _change_arrays(transitions=lambda _: None),
    "extra array": lambda folder: _save(folder, {**_arrays(folder), "more": np.zeros(2)}),
    "float indices": _change_arrays(attributes=lambda a: a.astype(np.float64)),
    "int64 indices": _change_arrays(labels=lambda a: a.astype(np.int64)),
    "big-endian indices": _change_arrays(labels=lambda a: a.astype(">i4")),
    "float32 weights": _change_arrays(weights=lambda a: a.astype(np.float32)),
    "two-dimensional indices": _change_arrays(attributes=lambda a: a.reshape(1, -1)),
    "shorter labels": _change_arrays(labels=lambda a: a[:-1]),
    "shorter weights": _change_arrays(weights=lambda a: a[:-1]),
    "negative attribute": _change_arrays(attributes=lambda a: _with(a, 0, -1)),
    "attribute out of range": _change_arrays(attributes=lambda a: _with(a, 0, 10**9)),
    "negative label": _change_arrays(labels=lambda a: _with(a, 3, -1)),
    "label out of range": _change_arrays(labels=lambda a: _with(a, 3, 4)),
    "NaN weight": _change_arrays(weights=lambda a: _with(a, 0, np.nan)),
    "infinite weight": _change_arrays(weights=lambda a: _with(a, 0, -np.inf)),
    "absurd weight": _change_arrays(weights=lambda a: _with(a, 0, 1e300)),
    "NaN transition": _change_arrays(transitions=lambda a: _with(a, 1, np.nan)),
    "transitions not square": _change_arrays(transitions=lambda a: a[:, :-1]),
    "transitions of the wrong size": _change_arrays(transitions=lambda _: np.zeros((5, 5))),
    "transitions flat": _change_arrays(transitions=lambda a: a.ravel()),
    "duplicate state weight": _change_arrays(
        attributes=lambda a: np.concatenate([a, a[:1]]),
        labels=lambda a: np.concatenate([a, a[:1]]),
        weights=lambda a: np.concatenate([a, a[:1]]),
    ),
    "names not an object": _change_names(lambda names: [names["labels"]]),
    "names without attributes": _change_names(lambda names: {"labels": names["labels"]}),
    "non-string label": _change_names(lambda names: {**names, "labels": [1, *names["labels"][1:]]}),
    "null attribute": _change_names(
        lambda names: {**names, "attributes": [None, *names["attributes"][1:]]}
    ),
    "duplicate label": _change_names(
        lambda names: {**names, "labels": [names["labels"][1], *names["labels"][1:]]}
    ),
    "duplicate attribute": _change_names(
        lambda names: {**names, "attributes": [*names["attributes"], names["attributes"][0]]}
    ),
    "no labels": _change_names(lambda names: {**names, "labels": []}),
    "too many labels": _change_names(
        lambda names: {**names, "labels": [str(n) for n in range(5_000)]}
    ),
    "labels a string": _change_names(lambda names: {**names, "labels": "O city"}),
    "deeply nested names": lambda folder: (folder / "entity.json").write_text("[" * 100_000),
    "names not JSON": lambda folder: (folder / "entity.json").write_bytes(b"\xff\xfe{"),
    "taggers not strings": lambda folder: (folder / "crf.json").write_text(
        '{"taggers": [["entity"]], "known": []}'
    ),
    "unknown tagger": lambda folder: (folder / "crf.json").write_text(
        '{"taggers": ["entity", "mood"], "known": []}'
    ),
    "duplicate tagger": lambda folder: (folder / "crf.json").write_text(
        '{"taggers": ["entity", "entity"], "known": []}'
    ),
}


def _flip_middle(data: bytes) -> bytes:
    middle = len(data) // 3
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :]


@pytest.mark.parametrize("damage", list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_resource_is_a_model_error(
    travel: list[Component], tmp_path: Path, damage: str
) -> None:
    travel[3].persist(Resource(tmp_path))
    HOSTILE[damage](tmp_path)
    with pytest.raises(ModelError, match="train"):
        CRFEntityExtractor.load({}, Resource(tmp_path), ComponentContext())


def test_a_loaded_tagger_round_trips(travel: list[Component], tmp_path: Path) -> None:
    extractor = travel[3]
    assert isinstance(extractor, CRFEntityExtractor)
    extractor.persist(Resource(tmp_path))
    loaded = CRFEntityExtractor.load({}, Resource(tmp_path), ComponentContext())
    assert loaded.taggers == extractor.taggers
    arrays = _arrays(tmp_path)
    assert arrays["attributes"].dtype == np.int32
    assert arrays["labels"].dtype == np.int32
    assert arrays["weights"].dtype == np.float64
    size = len(_names(tmp_path)["labels"])
    assert arrays["transitions"].shape == (size, size)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"features": [["low"], ["nonsense"], ["low"]]}, "valid names"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"L1_c": -1}, "L1_c"),
        ({"split_entities_by_comma": "yes"}, "split_entities_by_comma"),
        ({"BILOU": True}, "BILOU_flag"),
    ],
)
def test_bad_options_are_explained(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ProjectError, match=expected):
        CRFEntityExtractor(options)


def test_rasa_options_are_accepted() -> None:
    CRFEntityExtractor(
        {
            "featurizers": [],
            "features": [["low", "pos"], ["bias", "pos2", "text_dense_features", "pattern"], []],
        }
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x01\x1b[31m",
        "I ❤️ 🍕 to Paris!",
        "Привет Paris 世界",
        "Paris " * 2_000,
        "x" * 100_000,
        "\ud800 Oslo",
    ],
)
def test_odd_text_never_raises(travel: list[Component], text: str) -> None:
    message = parse(travel, text)
    for entity in message.entities:
        assert text[entity.start : entity.end] == entity.value


def test_word_pairs_and_the_whole_message_are_features() -> None:
    extractor = CRFEntityExtractor(
        {"features": [["bigram"], ["low", "bigram", "sentence", "shape"], []]}
    )
    message = Message(text="Fly to Quito 2024")
    WhitespaceTokenizer().process(message)
    items = extractor._items(message)
    assert set(items[0]) == {
        "0:low:fly",
        "0:bigram:|fly",
        "0:shape:Xx",
        "sentence:fly",
        "sentence:to",
        "sentence:quito",
        "sentence:2024",
    }
    assert "-1:bigram:fly|to" in items[2]
    assert "0:bigram:to|quito" in items[2]
    assert "0:shape:d" in items[3]
    many = Message(text=" ".join(f"w{number}" for number in range(100)))
    WhitespaceTokenizer().process(many)
    assert sum(key.startswith("sentence:") for key in extractor._items(many)[0]) == 64


def test_the_predicted_intent_is_a_feature_when_a_classifier_ran_before() -> None:
    extractor = CRFEntityExtractor({"features": [[], ["low", "intent"], []]})
    message = Message(text="to Quito")
    WhitespaceTokenizer().process(message)
    assert extractor._items(message) == [{"0:low:to": 1.0}, {"0:low:quito": 1.0}]
    message.intent = IntentPrediction(name="book", confidence=0.9)
    assert extractor._items(message) == [
        {"0:low:to": 1.0, "intent:book": 1.0},
        {"0:low:quito": 1.0, "intent:book": 1.0},
    ]


@pytest.mark.slow
def test_a_hundred_kilobytes_of_distinct_words_never_raises(travel: list[Component]) -> None:
    text = " ".join(f"w{number}" for number in range(16_000))
    assert len(text) > 100_000
    message = parse(travel, text)
    assert all(text[e.start : e.end] == e.value for e in message.entities)
