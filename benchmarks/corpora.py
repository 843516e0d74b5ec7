"""The public NLU corpora the benchmarks use, read from ``../shared/bench/nlu`` into Parley's
training data.

* Braun et al. 2017 — Chatbot, AskUbuntu, WebApplications; the ``training`` flag splits each.
  Entities are given as *token* indices of the authors' tokenizer (punctuation split off:
  ``u-bahn`` is three tokens), so each is placed by finding its text in the sentence, the
  token index choosing between repeated occurrences.
* Snips 2017 custom intents — train on the seven ``train_<Intent>_full.json`` files (the
  PlayMusic one is Latin-1, the others UTF-8), test on the seven ``validate_<Intent>.json``.
* Banking77 — ``train.csv`` / ``test.csv``, intents only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley.core.training_data import EntityAnnotation, Example, NLUData

REPO = Path(__file__).resolve().parents[1]
SHARED_NLU = REPO.parent / "shared" / "bench" / "nlu"

BRAUN = {
    "chatbot": "ChatbotCorpus.json",
    "askubuntu": "AskUbuntuCorpus.json",
    "webapps": "WebApplicationsCorpus.json",
}
SNIPS_INTENTS = (
    "AddToPlaylist",
    "BookRestaurant",
    "GetWeather",
    "PlayMusic",
    "RateBook",
    "SearchCreativeWork",
    "SearchScreeningEvent",
)
CORPORA = ("braun-chatbot", "braun-askubuntu", "braun-webapps", "snips", "banking77")
"""Every corpus :func:`load` knows, one trained model each."""


class CorpusMissingError(Exception):
    """The shared corpus folder (or a file in it) is not where the benchmark expects it."""


@dataclass
class Corpus:
    name: str
    train: NLUData
    test: list[Example]
    has_entities: bool


def nlu_root(root: Path | None = None) -> Path:
    root = root or SHARED_NLU
    if not root.is_dir():
        raise CorpusMissingError(
            f"the benchmark corpora are not at {root}: put the shared folder beside the "
            f"repository (expected {SHARED_NLU}) or pass --data"
        )
    return root


def load(name: str, root: Path | None = None) -> Corpus:
    folder = nlu_root(root)
    if name.startswith("braun-"):
        return load_braun(folder, name.removeprefix("braun-"))
    if name == "snips":
        return load_snips(folder)
    if name == "banking77":
        return load_banking77(folder)
    raise ValueError(f"unknown corpus {name!r}; valid corpora are: {', '.join(CORPORA)}")


def _read(path: Path, encoding: str = "utf-8") -> str:
    if not path.is_file():
        raise CorpusMissingError(f"the corpus file {path} is missing; restore the shared folder")
    return path.read_text(encoding=encoding)


# --- Braun et al. 2017 ---------------------------------------------------------------------

_BRAUN_TOKEN = re.compile(r"\w+|[^\w\s]")


def load_braun(root: Path, which: str) -> Corpus:
    document = json.loads(_read(root / "braun2017-nlu-corpora" / BRAUN[which]))
    train: list[Example] = []
    test: list[Example] = []
    for sentence in document["sentences"]:
        example = _braun_example(sentence)
        (train if sentence["training"] else test).append(example)
    return Corpus(f"braun-{which}", NLUData(examples=train), test, has_entities=True)


def _braun_example(sentence: dict[str, Any]) -> Example:
    text: str = sentence["text"]
    tokens = [m.span() for m in _BRAUN_TOKEN.finditer(text)]
    entities = []
    for entity in sentence["entities"]:
        start = _braun_entity_start(text, tokens, entity)
        value = entity["text"]
        entities.append(
            EntityAnnotation(
                start=start, end=start + len(value), value=value, entity=entity["entity"]
            )
        )
    return Example(text=text, intent=sentence["intent"], entities=entities)


def _braun_entity_start(text: str, tokens: list[tuple[int, int]], entity: dict[str, Any]) -> int:
    occurrences = [m.start() for m in re.finditer(re.escape(entity["text"]), text)]
    if not occurrences:
        raise ValueError(f"entity {entity['text']!r} is not in {text!r}")
    if len(occurrences) == 1 or entity["start"] >= len(tokens):
        return occurrences[0]
    hint = tokens[entity["start"]][0]
    return min(occurrences, key=lambda start: abs(start - hint))


# --- Snips 2017 ----------------------------------------------------------------------------


def load_snips(root: Path) -> Corpus:
    folder = root / "snips2017-custom-intents"
    train: list[Example] = []
    test: list[Example] = []
    for intent in SNIPS_INTENTS:
        # The one file that is not UTF-8 (see the corpus's SOURCE.md).
        encoding = "latin-1" if intent == "PlayMusic" else "utf-8"
        full = json.loads(_read(folder / intent / f"train_{intent}_full.json", encoding))
        train.extend(_snips_example(intent, query) for query in full[intent])
        validate = json.loads(_read(folder / intent / f"validate_{intent}.json"))
        test.extend(_snips_example(intent, query) for query in validate[intent])
    return Corpus("snips", NLUData(examples=train), test, has_entities=True)


def _snips_example(intent: str, query: dict[str, Any]) -> Example:
    text = ""
    entities = []
    for chunk in query["data"]:
        piece: str = chunk["text"]
        if "entity" in chunk and piece.strip():
            # A few slot values carry a trailing space ("vimeo "); the span is the word.
            start = len(text) + (len(piece) - len(piece.lstrip()))
            value = piece.strip()
            entities.append(
                EntityAnnotation(
                    start=start, end=start + len(value), value=value, entity=chunk["entity"]
                )
            )
        text += piece
    return Example(text=text, intent=intent, entities=entities)


# --- Banking77 -----------------------------------------------------------------------------


def load_banking77(root: Path) -> Corpus:
    folder = root / "banking77"
    return Corpus(
        "banking77",
        NLUData(examples=_banking_rows(folder / "train.csv")),
        _banking_rows(folder / "test.csv"),
        has_entities=False,
    )


def _banking_rows(path: Path) -> list[Example]:
    rows = csv.DictReader(io.StringIO(_read(path), newline=""))
    return [Example(text=row["text"], intent=row["category"]) for row in rows]
