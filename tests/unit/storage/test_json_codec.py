"""The SQL store's JSON: ``json``'s C encoder and scanner called directly, which must write
and read exactly what ``json.dumps`` and ``json.loads`` do, errors included."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from parley.storage.sql.tracker_store import _decode, _encode

VALUES: list[Any] = [
    {},
    [],
    {"event": "user", "text": 'Grüße 👋 你好 \u2028 "quoted" \\ back\n\t\x00', "n": None},
    {"nested": [1, 2.5, None, True, False, {"k": "v"}, [[]]], "big": 2**64 + 1},
    {"floats": [0.1, -0.0, 1e300, 1.5e-300, 1_700_000_000.123456]},
    {"nan": math.nan, "inf": math.inf, "-inf": -math.inf},
    {3: "int key", 2.5: "float key", True: "bool key", None: "none key"},
    {"tuple": (1, 2, (3,))},
    "just a string",
    12,
]


@pytest.mark.parametrize("value", VALUES)
def test_it_writes_what_json_dumps_writes(value: Any) -> None:
    assert _encode(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("value", VALUES)
def test_it_reads_what_json_loads_reads(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert repr(_decode(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ['  {"a": 1}\n', '{"a" : [1 , 2]}', "\t[]"])
def test_it_reads_json_with_whitespace(text: str) -> None:
    assert _decode(text) == json.loads(text)


@pytest.mark.parametrize("text", ["", " ", "{} x", "[1,", "nul", '{"a":}', "{}{}", "[1] ]"])
def test_bad_json_fails_as_json_loads_does(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        _decode(text)
    assert str(got.value) == str(expected.value)


def test_values_json_cannot_hold_fail_as_json_dumps_does() -> None:
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        _encode({"x": [object()]})
    with pytest.raises(TypeError, match="keys must be str, int, float, bool or None"):
        _encode({(1, 2): "tuple key"})
    circular: dict[str, Any] = {}
    circular["self"] = circular
    with pytest.raises(RecursionError):
        _encode(circular)
    # Nothing of a failed call stays behind for the next one.
    assert _encode({"a": [1]}) == '{"a":[1]}'
