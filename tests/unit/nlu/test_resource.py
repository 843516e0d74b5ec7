from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from parley.errors import ModelError
from parley.nlu.resource import Resource


def test_json_and_arrays_round_trip(tmp_path: Path) -> None:
    resource = Resource(tmp_path / "component")
    resource.write_json("vocabulary.json", {"coffee": 0, "tée": 1})
    resource.write_arrays("weights.npz", coef=np.eye(2), classes=np.array(["a", "b"]))
    assert resource.read_json("vocabulary.json") == {"coffee": 0, "tée": 1}
    arrays = resource.read_arrays("weights.npz")
    assert np.array_equal(arrays["coef"], np.eye(2))
    assert arrays["classes"].tolist() == ["a", "b"]


@pytest.mark.parametrize("name", ["../escape.json", "/etc/passwd", "a/b.json", "..", "", ".hidden"])
def test_file_names_cannot_be_paths(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="plain names"):
        Resource(tmp_path).path(name)


def test_object_arrays_which_need_pickle_are_refused(tmp_path: Path) -> None:
    resource = Resource(tmp_path)
    with (tmp_path / "evil.npz").open("wb") as file:
        np.savez(file, payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ModelError, match="needs pickle"):
        resource.read_arrays("evil.npz")


def test_missing_and_corrupt_files_name_the_problem(tmp_path: Path) -> None:
    resource = Resource(tmp_path)
    with pytest.raises(ModelError, match="missing"):
        resource.read_json("nothing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid JSON"):
        resource.read_json("bad.json")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelError, match=r"not a readable \.npz"):
        resource.read_arrays("bad.npz")


def test_a_plain_npy_file_is_not_taken_for_an_archive(tmp_path: Path) -> None:
    np.save(tmp_path / "plain.npy", np.arange(3))
    (tmp_path / "plain.npy").rename(tmp_path / "plain.npz")
    with pytest.raises(ModelError, match=r"not an \.npz archive"):
        Resource(tmp_path).read_arrays("plain.npz")
