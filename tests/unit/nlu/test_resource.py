from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from parley.errors import ModelError
from parley.nlu import resource as resource_module
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
    with pytest.raises(ModelError, match=r"not a readable \.npz file"):
        Resource(tmp_path).read_arrays("plain.npz")


def npz_with(tmp_path: Path, member: str, data: bytes) -> Resource:
    with zipfile.ZipFile(tmp_path / "a.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return Resource(tmp_path)


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def test_a_header_promising_more_than_the_member_holds_is_refused(tmp_path: Path) -> None:
    # 8 TiB promised by a few bytes: refused before any allocation.
    resource = npz_with(tmp_path, "idf.npy", npy_header((2**40,)) + b"\0" * 64)
    with pytest.raises(ModelError, match="claims"):
        resource.read_arrays("a.npz")


def test_an_array_over_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resource_module, "MAX_FILE_BYTES", 1024)
    Resource(tmp_path).write_arrays("a.npz", idf=np.zeros(1000))
    with pytest.raises(ModelError, match="too large to be a model file"):
        Resource(tmp_path).read_arrays("a.npz")


def test_a_truncated_array_is_refused(tmp_path: Path) -> None:
    resource = npz_with(tmp_path, "w.npy", npy_header((10,)) + b"\0" * 40)
    with pytest.raises(ModelError, match="truncated"):
        resource.read_arrays("a.npz")


def test_deeply_nested_json_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "v.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ModelError, match="nested too deeply"):
        Resource(tmp_path).read_json("v.json")


def test_fortran_and_c_arrays_round_trip(tmp_path: Path) -> None:
    matrix = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    Resource(tmp_path).write_arrays("m.npz", f=matrix, c=np.ascontiguousarray(matrix))
    loaded = Resource(tmp_path).read_arrays("m.npz")
    np.testing.assert_array_equal(loaded["f"], matrix)
    np.testing.assert_array_equal(loaded["c"], matrix)


def deflated_npz(tmp_path: Path) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(4096))
    with zipfile.ZipFile(tmp_path / "a.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("w.npy", buffer.getvalue())
    return (tmp_path / "a.npz").read_bytes()


def test_a_broken_deflate_stream_is_a_model_error(tmp_path: Path) -> None:
    data = bytearray(deflated_npz(tmp_path))
    header = 30 + len("w.npy")  # local file header + name; the deflate stream follows
    data[header : header + 8] = b"\xff" * 8
    (tmp_path / "a.npz").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"a\.npz"):
        Resource(tmp_path).read_arrays("a.npz")


def test_an_unknown_compression_method_is_a_model_error(tmp_path: Path) -> None:
    data = bytearray(deflated_npz(tmp_path))
    # The method field sits at offset 8 of the local header and 10 of the central one.
    data[8:10] = (99).to_bytes(2, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")
    (tmp_path / "a.npz").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"a\.npz"):
        Resource(tmp_path).read_arrays("a.npz")


def test_a_json_file_over_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resource_module, "MAX_FILE_BYTES", 1024)
    (tmp_path / "v.json").write_text("[" + "0," * 1000 + "0]", encoding="utf-8")
    with pytest.raises(ModelError, match="too large to be a model file"):
        Resource(tmp_path).read_json("v.json")


def test_an_archive_of_many_arrays_is_refused(tmp_path: Path) -> None:
    arrays = {f"a{number}": np.zeros(1) for number in range(resource_module.MAX_ARRAYS + 1)}
    Resource(tmp_path).write_arrays("a.npz", **arrays)
    with pytest.raises(ModelError, match="too large to be a model file"):
        Resource(tmp_path).read_arrays("a.npz")
