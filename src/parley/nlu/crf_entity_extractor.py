"""Entities tagged by a linear-chain conditional random field (CRFsuite), as Rasa's
CRFEntityExtractor does.

Each token gets a tag: the entity name (``city``) or ``O`` outside entities, or with
``BILOU_flag`` ``B-city``/``I-city``/``L-city`` for the beginning, inside and last token of a
multi-token entity and ``U-city`` for a single-token one. A tagger sees, for every token, the
features named by the ``features`` option (Rasa's format: one list of names per window
position, the middle list for the token itself) plus the token features of the featurizers
before it (lexical, regex and lookup matches). Besides Rasa's feature names it knows
``shape`` (the token's character classes), ``bigram`` (the token with the one before it),
``sentence`` (every word of the message), ``intent`` (the intent an earlier classifier
predicted) and ``known`` (where the token lies in a phrase the training data annotates as an
entity: a gazetteer of the training values).

Defaults that differ from Rasa's, measured on Snips 2017 (train_full, scored on validate):

* ``BILOU_flag`` is false. A linear-chain CRF costs the square of its tag count per token and
  training iteration; BILOU multiplies the tags by four (157 tags instead of 40 for Snips'
  39 slots), so training took ~4.5 times as long (≈155 s against ≈30 s) for about the same
  Snips slot F1. The price: two entities of the same type with nothing between them come
  out as one (a comma between them still splits them, see ``split_entities_by_comma``).
  Configs that set ``BILOU_flag: true`` get BILOU.
* ``features`` (see :data:`DEFAULT_FEATURES`): windows of two tokens each side, word pairs,
  the intent and the ``known`` gazetteer.
* ``L2_c`` is 0.2 (Rasa: 0.1): the wider windows and the gazetteer give many more features,
  and stronger L2 regularization keeps rare ones from dominating. Snips slot F1 0.919 at
  0.1, 0.926 at 0.2, 0.924 at 0.3; span F1 0.944, 0.945, 0.945. The slot F1 moves by
  ±0.005 between neighbouring settings, so read these as "at least as good".

An annotation that cuts through a word ("[New Yor]k") trains as the whole words it touches,
with a warning naming the example.

Roles and groups are tagged by two more CRFs, trained only when the data has roles or groups,
as Rasa does: they see the same features plus the entity tag (gold while training, the
entity tagger's output while parsing). Separate taggers keep the entity tag set small — a
combined ``city.departure.1`` label would split the examples of ``city`` over every
role/group combination — and give the separate confidences Rasa reports.

CRFsuite trains the taggers; only their plain weights are kept, and tagging runs in NumPy
(:mod:`parley.nlu.linear_chain`), so loading a model never hands bytes to CRFsuite's reader.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import pycrfsuite

from parley.core.messages import ExtractedEntity
from parley.core.problem import Problem
from parley.core.training_data import EntityAnnotation, Example
from parley.errors import ModelError, ProjectError
from parley.nlu.component import ENTITIES, TOKENS, Component, ComponentContext, TrainingData
from parley.nlu.lexical_syntactic import check_windows
from parley.nlu.linear_chain import LinearChain
from parley.nlu.message import Message, Token
from parley.nlu.regex_featurizer import TOKEN_FEATURE_PREFIX
from parley.nlu.resource import Resource

OUTSIDE = "O"
ATTRIBUTES = ("entity", "role", "group")
"""What the taggers predict, in the order they run (role and group see the entity tag)."""


def _shape(text: str) -> str:
    """``Xxxx`` → ``Xx``, ``1990`` → ``d``, ``8:30pm`` → ``d:dx``: the character classes of a
    token with repeats collapsed, which generalises to words never seen in training."""
    shape: list[str] = []
    for char in text:
        if char.isdigit():
            kind = "d"
        elif char.isalpha():
            kind = "X" if char.isupper() else "x"
        else:
            kind = char
        if not shape or shape[-1] != kind:
            shape.append(kind)
    return "".join(shape)[:8]


VALUES: dict[str, Callable[[str, str], str | None]] = {
    "low": lambda text, norm: norm,
    "prefix5": lambda text, norm: norm[:5],
    "prefix2": lambda text, norm: norm[:2],
    "suffix5": lambda text, norm: norm[-5:],
    "suffix3": lambda text, norm: norm[-3:],
    "suffix2": lambda text, norm: norm[-2:],
    "suffix1": lambda text, norm: norm[-1:],
    "shape": lambda text, norm: _shape(text),
    "title": lambda text, norm: "" if text.istitle() else None,
    "upper": lambda text, norm: "" if text.isupper() else None,
    "digit": lambda text, norm: "" if text.isdigit() else None,
    "bias": lambda text, norm: "",
}
"""Feature name → the token's value from its text and its lower-cased ``norm`` (lowered once
per token, not once per feature): "" for a flag that holds, None for one that does not.
Rasa's names, plus Parley's ``shape``; ``bigram`` and ``pattern`` are computed below."""

BIGRAM = "bigram"
"""The token with the one before it (``play|some``): word pairs such as "by|the" mark where
an entity starts better than either word alone."""
SENTENCE = "sentence"
"""Every word of the message, whatever the window position: what the whole message is about
("playlist", "weather") tells which entity types can occur in it."""
SENTENCE_WORDS = 64
"""At most this many distinct words of a message are ``sentence`` features."""
INTENT_FEATURE = "intent"
"""The intent an earlier intent classifier predicted (nothing without one): which entity types
occur depends on it. Training sees the classifier's predictions too, as parsing will."""
PATTERN = "pattern"
"""The regex/lookup token features of the token at that window position."""
KNOWN = "known"
"""Where the token lies (``B``/``I``/``L``/``U``) in a phrase the training data annotates as an
entity, per entity (``known:U-city``): a gazetteer of the training values, as Snips' slot
filler uses. While training, a sentence's own annotations are left out of the gazetteer it
sees (leave-one-out), so the feature is as reliable in training as on new text: a value that
only that sentence annotates is as new to it as an unseen value is at parse time."""
KNOWN_LENGTH = 8
"""Longer annotated phrases (in tokens) are not in the gazetteer."""
IGNORED = frozenset({"pos", "pos2", "text_dense_features"})
"""Rasa reads these from spaCy and dense featurizers; Parley has neither per token."""
FEATURE_NAMES = frozenset(VALUES) | {BIGRAM, INTENT_FEATURE, KNOWN, PATTERN, SENTENCE} | IGNORED

_NEIGHBOUR = ["low", "title", "upper", "bigram", "known"]
DEFAULT_FEATURES: list[list[str]] = [
    list(_NEIGHBOUR),
    list(_NEIGHBOUR),
    ["low", "bias", "prefix5", "prefix2", "suffix5", "suffix3", "suffix2", "upper", "title",
     "digit", "pattern", "bigram", "intent", "known"],
    list(_NEIGHBOUR),
    list(_NEIGHBOUR),
]  # fmt: skip
"""Rasa's default features seen two tokens to each side instead of one, plus word pairs, the
predicted intent and the ``known`` gazetteer. On Snips 2017 (IO tags) the gazetteer lifts
exact-span F1 from 0.938 to 0.944–0.947 and the Snips slot F1 from 0.917 to 0.919–0.930 (the
macro slot F1 moves by ±0.005 with small changes of the intent classifier: rare slots weigh
as much as common ones). With it, ``sentence`` (every word of the message on every token) no
longer helps and costs a fifth of the training time, so it is left out."""


@dataclass
class Labelled:
    """One training sentence: its feature sequence and one tag sequence per attribute."""

    items: list[dict[str, float]]
    tags: dict[str, list[str]]


class CRFEntityExtractor(Component):
    """Entities (with roles and groups) tagged by conditional random fields over each token's
    features and those of its neighbours; confidences are the taggers' marginals."""

    name = "CRFEntityExtractor"
    version = 2
    """2: plain weights (JSON and ``.npz``) instead of CRFsuite model files."""
    requires = frozenset({TOKENS})
    provides = frozenset({ENTITIES})
    defaults: ClassVar[Mapping[str, Any]] = {
        "BILOU_flag": False,
        "split_entities_by_comma": True,
        "features": DEFAULT_FEATURES,
        "max_iterations": 50,
        "L1_c": 0.1,
        "L2_c": 0.2,
    }
    ignored_options = frozenset({"featurizers"})
    """Rasa's choice of dense featurizers; Parley's token features are all sparse."""

    META_FILE = "crf.json"

    def __init__(
        self, config: Mapping[str, Any] | None = None, context: ComponentContext | None = None
    ) -> None:
        super().__init__(config, context)
        windows = check_windows(self.name, self.config["features"], FEATURE_NAMES)
        self.windows = [
            (offset, tuple(n for n in names if n not in IGNORED)) for offset, names in windows
        ]
        self.split_by_comma = _comma_setting(self.config["split_entities_by_comma"])
        iterations = self.config["max_iterations"]
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
            raise _bad_option(f"`max_iterations` is a whole number of at least 1: {iterations!r}")
        for key in ("L1_c", "L2_c"):
            value = self.config[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise _bad_option(f"`{key}` is a number of at least 0: {value!r}")
        self.taggers: dict[str, LinearChain] = {}
        """Attribute (entity, role, group) → its trained tagger."""
        self.known: dict[tuple[str, ...], dict[str, int]] = {}
        """Annotated phrase (token norms) → entity → how many training examples annotate it."""
        self._known_used = any(KNOWN in names for _, names in self.windows)

    # -- training ---------------------------------------------------------------------------

    def train(self, data: TrainingData) -> None:
        self.taggers = {}
        self.known = {}
        examples = [(m, m.example) for m in data.messages if m.example is not None and m.tokens]
        if not any(example.entities for _, example in examples):
            return
        if self._known_used:
            for message, example in examples:
                for phrase, entity in _phrases(message.tokens, example):
                    counts = self.known.setdefault(phrase, {})
                    counts[entity] = counts.get(entity, 0) + 1
        labelled = self._label(examples)
        attributes = [
            a for a in ATTRIBUTES if any(t != OUTSIDE for s in labelled for t in s.tags[a])
        ]
        for number, attribute in enumerate(attributes):
            model = self._fit(labelled, attribute, number, len(attributes))
            self.taggers[attribute] = LinearChain.from_crfsuite(model)

    def _label(self, examples: Sequence[tuple[Message, Example]]) -> list[Labelled]:
        """The examples' features and tags; each example's own annotations are left out of
        the ``known`` phrases it sees (see :data:`KNOWN`)."""
        misaligned: list[str] = []
        aligned = [
            align(message.tokens, example, self.config["BILOU_flag"], misaligned)
            for message, example in examples
        ]
        own = [_phrases(message.tokens, example) for message, example in examples]
        labelled = [
            Labelled(self._items(message, leave_out=phrases), tags)
            for (message, _), tags, phrases in zip(examples, aligned, own, strict=True)
        ]
        if misaligned:
            shown = "; ".join(misaligned[:10])
            more = f" (and {len(misaligned) - 10} more)" if len(misaligned) > 10 else ""
            self.context.warn(
                "nlu-entity-misaligned",
                f"{len(misaligned)} entity annotation(s) do not start and end on word "
                f"boundaries: {shown}{more}. They were trained as the whole words they touch; "
                "move the brackets to whole words.",
            )
        return labelled

    def _fit(self, labelled: Sequence[Labelled], attribute: str, number: int, count: int) -> bytes:
        """The CRFsuite model file of the ``attribute`` tagger (trusted: trained here)."""

        def report(fraction: float) -> None:
            self.context.report(
                f"training {self.name} ({attribute} tagger)", (number + fraction) / count
            )

        trainer = _Trainer(report, int(self.config["max_iterations"]))
        trainer.set_params(
            {
                "c1": float(self.config["L1_c"]),
                "c2": float(self.config["L2_c"]),
                "max_iterations": int(self.config["max_iterations"]),
                "feature.possible_transitions": True,
            }
        )
        for sentence in labelled:
            items = sentence.items
            if attribute != "entity":
                items = _with_entity_tags(items, sentence.tags["entity"])
            trainer.append(pycrfsuite.ItemSequence(items), sentence.tags[attribute])
        with tempfile.TemporaryDirectory(prefix="parley-crf-") as folder:
            path = Path(folder) / "model.crfsuite"
            trainer.train(str(path))
            return path.read_bytes()

    # -- parsing ----------------------------------------------------------------------------

    def process(self, message: Message) -> None:
        if "entity" not in self.taggers or not message.tokens:
            return
        items = self._items(message)
        tags, confidences = self.taggers["entity"].tag(items)
        extra: dict[str, tuple[list[str], list[float]]] = {}
        for attribute in ("role", "group"):
            if attribute in self.taggers:
                extra[attribute] = self.taggers[attribute].tag(_with_entity_tags(items, tags))
        for entity, first, last in self._spans(message, tags):
            found = ExtractedEntity(
                entity=entity,
                start=message.tokens[first].start,
                end=message.tokens[last].end,
                value=message.text[message.tokens[first].start : message.tokens[last].end],
                extractor=self.name,
                confidence_entity=min(confidences[first : last + 1]),
            )
            for attribute, (attribute_tags, attribute_confidences) in extra.items():
                label, confidence = _span_label(
                    attribute_tags[first : last + 1], attribute_confidences[first : last + 1]
                )
                if label is not None:
                    setattr(found, attribute, label)
                    setattr(found, f"confidence_{attribute}", confidence)
            message.entities.append(found)

    def _spans(self, message: Message, tags: Sequence[str]) -> list[tuple[str, int, int]]:
        """(entity, first token, last token) of each tagged entity, split at commas where
        ``split_entities_by_comma`` says so."""
        spans: list[tuple[str, int, int]] = []
        for entity, first, last in decode(tags, self.config["BILOU_flag"]):
            if self.split_by_comma(entity):
                start = first
                for index in range(first, last):
                    gap = message.text[message.tokens[index].end : message.tokens[index + 1].start]
                    if "," in gap:
                        spans.append((entity, start, index))
                        start = index + 1
                spans.append((entity, start, last))
            else:
                spans.append((entity, first, last))
        return spans

    def _items(
        self, message: Message, leave_out: frozenset[tuple[tuple[str, ...], str]] = frozenset()
    ) -> list[dict[str, float]]:
        intent = message.intent.name if message.intent is not None else None
        known = self._known_tags(message.tokens, leave_out) if self._known_used else None
        items = crf_items(message.tokens, message.token_features, self.windows, intent, known)
        return _encodable(items, message.text)

    def _known_tags(
        self, tokens: Sequence[Token], leave_out: frozenset[tuple[tuple[str, ...], str]]
    ) -> list[list[str]]:
        """Each token's ``known`` values: ``B-city`` where a known city phrase starts…"""
        norms = [token.norm for token in tokens]
        tags: list[list[str]] = [[] for _ in tokens]
        if not self.known:
            return tags
        for first in range(len(norms)):
            for last in range(first, min(first + KNOWN_LENGTH, len(norms))):
                phrase = tuple(norms[first : last + 1])
                counts = self.known.get(phrase)
                if counts is None:
                    continue
                for entity, count in counts.items():
                    if count - ((phrase, entity) in leave_out) <= 0:
                        continue
                    length = last - first + 1
                    for index in range(first, last + 1):
                        tags[index].append(_tag_name(entity, index - first, length, True))
        return tags

    # -- storage ----------------------------------------------------------------------------

    def persist(self, resource: Resource) -> None:
        known = sorted([list(phrase), counts] for phrase, counts in self.known.items())
        resource.write_json(self.META_FILE, {"taggers": sorted(self.taggers), "known": known})
        for attribute, tagger in self.taggers.items():
            tagger.persist(resource, attribute)

    @classmethod
    def load(cls, config: Mapping[str, Any], resource: Resource, context: ComponentContext) -> Self:
        extractor = cls(config, context)
        folder = resource.root.name
        meta = resource.read_json(cls.META_FILE)
        taggers = meta.get("taggers") if isinstance(meta, dict) else None
        if (
            not isinstance(taggers, list)
            or not all(isinstance(t, str) and t in ATTRIBUTES for t in taggers)
            or len(set(taggers)) != len(taggers)
        ):
            raise ModelError(f"model file {folder}/{cls.META_FILE} is malformed; train again")
        if taggers and "entity" not in taggers:
            raise ModelError(f"{folder} has no entity tagger; train again")
        extractor.known = _read_known(meta.get("known", []), folder, cls.META_FILE)
        for attribute in taggers:
            extractor.taggers[attribute] = LinearChain.load(resource, attribute)
        return extractor


# -- features and tags ------------------------------------------------------------------------


def crf_items(
    tokens: Sequence[Token],
    token_features: Sequence[Mapping[str, float]],
    windows: Sequence[tuple[int, tuple[str, ...]]],
    intent: str | None = None,
    known: Sequence[Sequence[str]] | None = None,
) -> list[dict[str, float]]:
    """Every token's CRF features: its window features plus the earlier featurizers' ones.
    ``known`` holds each token's gazetteer tags (see :data:`KNOWN`).

    A token's feature is ``"<offset>:<name>:<value>"`` (``"<offset>:<name>"`` for a flag) in
    the item of the token ``offset`` places before it, so what follows ``"<offset>:"``
    depends on the token and the window's names only: it is built once per token and names
    (the four neighbour windows share theirs) and prefixed for each offset. The features
    come out in the same order as window by window and name by name, which the taggers' sums
    (and CRFsuite's training) follow."""
    plan = _plan(tuple(windows))
    texts = [token.text for token in tokens]
    norms = [text.lower() for text in texts]
    own = [
        {name: value(text, norm) for name, value in plan.values}
        for text, norm in zip(texts, norms, strict=True)
    ]
    if plan.bigram:
        for index, values in enumerate(own):
            values[BIGRAM] = f"{norms[index - 1] if index else ''}|{norms[index]}"
    has_token_features = len(token_features) == len(tokens)
    sentence: dict[str, float] = {}
    if plan.sentence:
        words = dict.fromkeys(norms)
        # Every token carries them all, so a very long message keeps only its first words.
        sentence = {f"{SENTENCE}:{word}": 1.0 for word in list(words)[:SENTENCE_WORDS]}
    if intent is not None and plan.intent:
        sentence[f"{INTENT_FEATURE}:{intent}"] = 1.0
    # suffixes[position][group]: (what follows "<offset>:", weight) of that token's features
    # for one of the plan's name groups.
    suffixes: list[list[list[tuple[str, float]]]] = []
    for position, values in enumerate(own):
        groups: list[list[tuple[str, float]]] = []
        for names, neighbour in plan.groups:
            found: list[tuple[str, float]] = []
            for name in names:
                if name == KNOWN:
                    if known is not None:
                        found.extend((f"{KNOWN}:{tag}", 1.0) for tag in known[position])
                elif name == PATTERN:
                    # The token's own pattern features come with the earlier featurizers'.
                    if neighbour and has_token_features:
                        found.extend(
                            (key, weight)
                            for key, weight in token_features[position].items()
                            if key.startswith(TOKEN_FEATURE_PREFIX)
                        )
                else:
                    value = values[name]
                    if value is not None:
                        found.append((f"{name}:{value}" if value else name, 1.0))
            groups.append(found)
        suffixes.append(groups)
    length = len(tokens)
    items: list[dict[str, float]] = []
    for index in range(length):
        item: dict[str, float] = {}
        for offset, prefix, group in plan.windows:
            position = index + offset
            if 0 <= position < length:
                for suffix, weight in suffixes[position][group]:
                    item[prefix + suffix] = weight
        item.update(sentence)
        if has_token_features:
            # The earlier featurizers' own features of this token (their keys carry their
            # own window offsets, e.g. "-1:title", or "pattern:city").
            item.update({"f:" + key: weight for key, weight in token_features[index].items()})
        items.append(item)
    return items


@dataclass(frozen=True)
class _Plan:
    """What :func:`crf_items` computes for one ``windows`` setting, worked out once."""

    values: tuple[tuple[str, Callable[[str, str], str | None]], ...]
    """The :data:`VALUES` some window names, in their order there."""
    bigram: bool
    sentence: bool
    intent: bool
    groups: tuple[tuple[tuple[str, ...], bool], ...]
    """Distinct (per-token names, whether the window is a neighbour's) of the windows, less
    ``sentence`` and ``intent``, which every token carries once."""
    windows: tuple[tuple[int, str, int], ...]
    """(offset, ``"<offset>:"``, index into ``groups``) of every window."""


@functools.lru_cache(maxsize=64)
def _plan(windows: tuple[tuple[int, tuple[str, ...]], ...]) -> _Plan:
    named = {name for _, names in windows for name in names}
    groups: dict[tuple[tuple[str, ...], bool], int] = {}
    planned: list[tuple[int, str, int]] = []
    for offset, names in windows:
        own = tuple(name for name in names if name not in (SENTENCE, INTENT_FEATURE))
        group = groups.setdefault((own, offset != 0), len(groups))
        planned.append((offset, f"{offset}:", group))
    return _Plan(
        # Only the values some window names: they are computed for every token.
        values=tuple((name, value) for name, value in VALUES.items() if name in named),
        bigram=BIGRAM in named,
        sentence=SENTENCE in named,
        intent=INTENT_FEATURE in named,
        groups=tuple(groups),
        windows=tuple(planned),
    )


def _encodable(items: list[dict[str, float]], text: str) -> list[dict[str, float]]:
    """``items`` with feature names CRFsuite can take: text holding lone surrogates (which
    UTF-8 cannot encode) has them replaced."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return [
            {key.encode("utf-8", "replace").decode("utf-8"): w for key, w in item.items()}
            for item in items
        ]
    return items


def _phrases(tokens: Sequence[Token], example: Example) -> frozenset[tuple[tuple[str, ...], str]]:
    """(token norms, entity) of every entity annotation of an example, in whole tokens."""
    phrases = set()
    for annotation in example.entities:
        words = tuple(
            token.norm
            for token in tokens
            if token.start < annotation.end and annotation.start < token.end
        )
        if 0 < len(words) <= KNOWN_LENGTH:
            phrases.add((words, annotation.entity))
    return frozenset(phrases)


def _read_known(raw: Any, folder: str, name: str) -> dict[tuple[str, ...], dict[str, int]]:
    known: dict[tuple[str, ...], dict[str, int]] = {}
    if not isinstance(raw, list):
        raise ModelError(f"{folder}/{name} is malformed; train again")
    for entry in raw:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], list)
            or not all(isinstance(word, str) for word in entry[0])
            or not isinstance(entry[1], dict)
            or not all(isinstance(c, int) and not isinstance(c, bool) for c in entry[1].values())
        ):
            raise ModelError(f"{folder}/{name} is malformed; train again")
        known[tuple(entry[0])] = {str(entity): count for entity, count in entry[1].items()}
    return known


def _with_entity_tags(
    items: Sequence[dict[str, float]], tags: Sequence[str]
) -> list[dict[str, float]]:
    return [{**item, f"tag:{_entity_of(tag)}": 1.0} for item, tag in zip(items, tags, strict=True)]


def _entity_of(tag: str) -> str:
    return tag[2:] if len(tag) > 2 and tag[1] == "-" and tag[0] in "BILU" else tag


def align(
    tokens: Sequence[Token], example: Example, bilou: bool, misaligned: list[str]
) -> dict[str, list[str]]:
    """Entity, role and group tags for each token from the example's annotations.

    An annotation that cuts through a token ("[New Yor]k") tags every token it touches and
    is listed in ``misaligned``; one that touches no token (only punctuation) or overlaps an
    earlier one is left out and listed too.
    """
    tags = {attribute: [OUTSIDE] * len(tokens) for attribute in ATTRIBUTES}
    ordered = sorted(example.entities, key=lambda a: (a.start, -(a.end - a.start)))
    for annotation in ordered:
        covered = [
            index
            for index, token in enumerate(tokens)
            if token.start < annotation.end and annotation.start < token.end
        ]
        where = f"{_quote(example.text, annotation)} in {example.text!r:.120}"
        if not covered:
            misaligned.append(f"{where} covers no word (left out)")
            continue
        if any(tags["entity"][index] != OUTSIDE for index in covered):
            misaligned.append(f"{where} overlaps another entity (left out)")
            continue
        if tokens[covered[0]].start < annotation.start or tokens[covered[-1]].end > annotation.end:
            misaligned.append(where)
        for position, index in enumerate(covered):
            tags["entity"][index] = _tag_name(annotation.entity, position, len(covered), bilou)
            tags["role"][index] = annotation.role or OUTSIDE
            tags["group"][index] = annotation.group or OUTSIDE
    return tags


def _quote(text: str, annotation: EntityAnnotation) -> str:
    return f"{text[annotation.start : annotation.end]!r} ({annotation.entity})"


def _tag_name(entity: str, position: int, length: int, bilou: bool) -> str:
    if not bilou:
        return entity
    if length == 1:
        return f"U-{entity}"
    if position == 0:
        return f"B-{entity}"
    return f"L-{entity}" if position == length - 1 else f"I-{entity}"


def decode(tags: Sequence[str], bilou: bool) -> list[tuple[str, int, int]]:
    """(entity, first token, last token) for each entity in a tag sequence.

    Lenient with sequences BILOU does not allow (``O I-city``): an ``I``/``L`` continues an
    open entity of the same name and otherwise starts one, so no tagged token is lost.
    """
    spans: list[tuple[str, int, int]] = []
    open_entity: str | None = None
    for index, tag in enumerate(tags):
        if tag == OUTSIDE:
            open_entity = None
            continue
        prefix, entity = (tag[0], tag[2:]) if bilou and tag[1:2] == "-" else ("I", tag)
        if prefix in "IL" and open_entity == entity:
            name, first, _ = spans[-1]
            spans[-1] = (name, first, index)
        else:
            spans.append((entity, index, index))
        open_entity = entity if prefix in "BI" else None
    return spans


def _span_label(tags: Sequence[str], confidences: Sequence[float]) -> tuple[str | None, float]:
    """The role or group of an entity: the most frequent tag over its tokens, if not ``O``."""
    counts: dict[str, int] = {}
    for tag in tags:
        counts[tag] = counts.get(tag, 0) + 1
    label = max(counts, key=lambda t: (counts[t], -tags.index(t)))
    if label == OUTSIDE:
        return None, 0.0
    return label, min(c for t, c in zip(tags, confidences, strict=True) if t == label)


# -- CRFsuite, wrapped in typed functions --------------------------------------------------------


class _Trainer(pycrfsuite.Trainer):  # type: ignore[misc]  # pycrfsuite has no type information
    """A quiet trainer that reports its progress instead of printing it."""

    def __init__(self, report: Callable[[float], None], iterations: int) -> None:
        super().__init__(algorithm="lbfgs", verbose=False)
        self._report = report
        self._iterations = iterations
        self._done = 0

    def message(self, message: str) -> None:
        if self.logparser.feed(message) == "iteration":
            self._done += 1
            self._report(min(1.0, self._done / self._iterations))


def _comma_setting(value: Any) -> Callable[[str], bool]:
    """Rasa's ``split_entities_by_comma``: a flag for all entities, or per entity name
    (entities not listed are split)."""
    if isinstance(value, bool):
        return lambda _entity: value
    if isinstance(value, dict) and all(isinstance(v, bool) for v in value.values()):
        per_entity = {str(k): v for k, v in value.items()}
        return lambda entity: per_entity.get(entity, True)
    raise _bad_option(
        "`split_entities_by_comma` is true, false, or a mapping of entity names to true/false"
    )


def _bad_option(message: str) -> ProjectError:
    problem = Problem("pipeline-bad-option", f"CRFEntityExtractor: {message}")
    return ProjectError([problem], summary=problem.message)
