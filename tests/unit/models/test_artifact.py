"""Model artifacts: the format round-trips, and hostile files are refused without a byte
written outside the target folder and without running anything they hold."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from parley.errors import ModelError
from parley.models import artifact
from parley.models.artifact import (
    ExtractionLimits,
    extract_artifact,
    read_manifest,
    write_artifact,
)
from parley.models.loading import load_model
from parley.models.manifest import FORMAT_VERSION, MANIFEST_FILE, Manifest
from parley.nlu.component import ComponentContext
from parley.nlu.pipeline import Pipeline
from parley.nlu.resource import Resource
from parley.project.config import ComponentSpec
from parley.version import __version__

SMALL = ExtractionLimits(max_member_bytes=4_000, max_total_bytes=200_000, max_members=20)


def manifest_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "parley_version": __version__,
        "fingerprint": "ab" * 32,
        "created": "2026-01-02T03:04:05Z",
        "language": "en",
        "kind": "nlu",
        "components": [
            {"name": "WhitespaceTokenizer", "version": 1, "config": {}, "resource": "00_W"}
        ],
        "metrics": {"seconds": 0.5, "examples": 3, "intents": 2, "entities": 0, "warnings": []},
        "seed": 0,
    }
    data.update(changes)
    return data


def manifest_bytes(**changes: Any) -> bytes:
    return json.dumps(manifest_data(**changes)).encode()


def a_manifest() -> Manifest:
    return Manifest.from_json(manifest_bytes())


Member = tuple[tarfile.TarInfo, bytes | None]


def regular(name: str, data: bytes) -> Member:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def special(name: str, kind: bytes, linkname: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def tar_gz(*members: Member, manifest: bytes | None = None) -> bytes:
    """A gzip'd tar of ``members`` after a valid manifest (or ``manifest`` if given)."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        first = [regular(MANIFEST_FILE, manifest if manifest is not None else manifest_bytes())]
        for info, data in [*first, *members]:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A folder with a sentinel beside the extraction target, to see any write outside it."""
    (tmp_path / "sentinel").mkdir()
    (tmp_path / "sentinel" / "keep.txt").write_text("untouched")
    return tmp_path


def refused(sandbox: Path, data: bytes, limits: ExtractionLimits = SMALL) -> ModelError:
    """Extract ``data``; it must fail, leave nothing in the target, and touch nothing else."""
    archive = sandbox / "model.tar.gz"
    archive.write_bytes(data)
    (sandbox / "out").mkdir(exist_ok=True)
    before = snapshot(sandbox)
    into = sandbox / "out" / "model"
    with pytest.raises(ModelError) as caught:
        extract_artifact(archive, into, limits)
    assert not into.exists()
    after = snapshot(sandbox)
    assert after == before, f"files appeared outside the target: {after - before}"
    assert (sandbox / "sentinel" / "keep.txt").read_text() == "untouched"
    return caught.value


# ---- the format --------------------------------------------------------------------------


def write_model_folder(folder: Path) -> None:
    (folder / "nlu" / "00_W").mkdir(parents=True)
    (folder / "nlu" / "pipeline.json").write_text("[]")
    (folder / "nlu" / "00_W" / "vocabulary.json").write_text('{"a": 1}')


def test_artifact_round_trips_with_the_manifest_first(tmp_path: Path) -> None:
    write_model_folder(tmp_path / "model")
    target = write_artifact(tmp_path / "model", tmp_path / "m.tar.gz", a_manifest())
    with tarfile.open(target) as tar:
        assert tar.getnames() == [
            MANIFEST_FILE,
            "nlu/00_W/vocabulary.json",
            "nlu/pipeline.json",
        ]
    assert read_manifest(target) == a_manifest()
    assert extract_artifact(target, tmp_path / "out") == a_manifest()
    assert (tmp_path / "out" / "nlu" / "00_W" / "vocabulary.json").read_text() == '{"a": 1}'
    assert snapshot(tmp_path / "out") == {
        "nlu",
        "nlu/00_W",
        "nlu/00_W/vocabulary.json",
        "nlu/pipeline.json",
    }


def test_the_same_model_packs_to_the_same_bytes(tmp_path: Path) -> None:
    write_model_folder(tmp_path / "model")
    one = write_artifact(tmp_path / "model", tmp_path / "1.tar.gz", a_manifest()).read_bytes()
    two = write_artifact(tmp_path / "model", tmp_path / "2.tar.gz", a_manifest()).read_bytes()
    assert one == two


def test_writing_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_model_folder(tmp_path / "model")
    target = tmp_path / "models" / "m.tar.gz"
    write_artifact(tmp_path / "model", target, a_manifest())
    good = target.read_bytes()
    calls: list[str] = []
    real_add = artifact._add

    def crash_on_second_file(tar: tarfile.TarFile, name: str, size: int, source: Any) -> None:
        calls.append(name)
        if len(calls) == 2:
            raise KeyboardInterrupt  # a crash half-way through the archive
        real_add(tar, name, size, source)

    monkeypatch.setattr(artifact, "_add", crash_on_second_file)
    with pytest.raises(KeyboardInterrupt):
        write_artifact(tmp_path / "model", target, a_manifest())
    assert target.read_bytes() == good, "the previous model was damaged"
    assert sorted(p.name for p in target.parent.iterdir()) == ["m.tar.gz"], "temp file left"
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        write_artifact(tmp_path / "model", tmp_path / "models" / "new.tar.gz", a_manifest())
    assert not (tmp_path / "models" / "new.tar.gz").exists()


@pytest.mark.parametrize(
    "make",
    [
        lambda folder: (folder / "nlu" / "link").symlink_to(folder / "nlu" / "pipeline.json"),
        lambda folder: (folder / "elsewhere").mkdir(),
        lambda folder: (folder / "nlu" / "model.pkl").write_bytes(b"\x80\x04N."),
    ],
    ids=["link", "unknown-part", "pickle"],
)
def test_writing_refuses_what_a_model_does_not_hold(
    tmp_path: Path, make: Callable[[Path], None]
) -> None:
    write_model_folder(tmp_path / "model")
    make(tmp_path / "model")
    with pytest.raises(ModelError, match="cannot pack"):
        write_artifact(tmp_path / "model", tmp_path / "m.tar.gz", a_manifest())
    assert not (tmp_path / "m.tar.gz").exists()


def test_writing_refuses_a_file_extraction_would_refuse_as_too_big(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_model_folder(tmp_path / "model")
    monkeypatch.setattr(artifact, "DEFAULT_LIMITS", ExtractionLimits(max_member_bytes=5))
    with pytest.raises(ModelError, match="over the limit"):
        write_artifact(tmp_path / "model", tmp_path / "m.tar.gz", a_manifest())


def test_extracting_needs_a_new_or_empty_folder(tmp_path: Path) -> None:
    archive = tmp_path / "m.tar.gz"
    archive.write_bytes(tar_gz(regular("nlu/pipeline.json", b"[]")))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("mine")
    with pytest.raises(ModelError, match="new or empty folder"):
        extract_artifact(archive, tmp_path / "busy")
    assert (tmp_path / "busy" / "mine.txt").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    extract_artifact(archive, tmp_path / "empty")
    assert (tmp_path / "empty" / "nlu" / "pipeline.json").read_text() == "[]"


def test_a_failed_extraction_into_an_empty_folder_empties_it_again(sandbox: Path) -> None:
    archive = sandbox / "m.tar.gz"
    archive.write_bytes(
        tar_gz(regular("nlu/a.json", b"{}"), special("nlu/link", tarfile.SYMTYPE, "/etc"))
    )
    (sandbox / "empty").mkdir()
    with pytest.raises(ModelError, match="link"):
        extract_artifact(archive, sandbox / "empty")
    assert list((sandbox / "empty").iterdir()) == []


# ---- hostile archives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../escaped.json",
        "nlu/../../escaped.json",
        "nlu/../../sentinel/keep.txt",
        "/tmp/absolute.json",
        "nlu/./x.json",
        "nlu//x.json",
        "nlu\\..\\..\\x.json",
        "nlu/bell\x07.json",
        "nlu/" + "d/" * 10 + "deep.json",
        "nlu/" + "x" * 600,
    ],
)
def test_unsafe_names_are_refused(sandbox: Path, name: str) -> None:
    error = refused(sandbox, tar_gz(regular(name, b"{}")))
    assert "unsafe name" in str(error) or "outside" in str(error)
    assert not (sandbox.parent / "escaped.json").exists()


def test_members_outside_the_model_parts_are_refused(sandbox: Path) -> None:
    assert "outside the folders" in str(refused(sandbox, tar_gz(regular("other/x.json", b"1"))))
    second_manifest = regular(MANIFEST_FILE, manifest_bytes())
    assert "outside the folders" in str(refused(sandbox, tar_gz(second_manifest)))


@pytest.mark.parametrize(
    ("member", "words"),
    [
        (special("nlu/link", tarfile.SYMTYPE, "../../sentinel/keep.txt"), "link"),
        (special("nlu/abs-link", tarfile.SYMTYPE, "/etc/passwd"), "link"),
        (special("nlu/hard", tarfile.LNKTYPE, MANIFEST_FILE), "link"),
        (special("nlu/hard-out", tarfile.LNKTYPE, "../sentinel/keep.txt"), "link"),
        (special("nlu/tty", tarfile.CHRTYPE), "device"),
        (special("nlu/disk", tarfile.BLKTYPE), "device"),
        (special("nlu/pipe", tarfile.FIFOTYPE), "device"),
    ],
    ids=["symlink", "absolute-symlink", "hardlink", "hardlink-out", "char", "block", "fifo"],
)
def test_links_and_special_files_are_refused(sandbox: Path, member: Member, words: str) -> None:
    assert words in str(refused(sandbox, tar_gz(regular("nlu/a.json", b"{}"), member)))


def test_a_link_then_a_file_through_it_never_writes_outside(sandbox: Path) -> None:
    # The classic two-step escape: a link to the outside, then a file "inside" the link.
    data = tar_gz(
        special("nlu/out", tarfile.SYMTYPE, str(sandbox / "sentinel")),
        regular("nlu/out/planted.txt", b"gotcha"),
    )
    refused(sandbox, data)
    assert not (sandbox / "sentinel" / "planted.txt").exists()


def test_duplicate_members_are_refused(sandbox: Path) -> None:
    data = tar_gz(regular("nlu/a.json", b"{}"), regular("nlu/a.json", b"[]"))
    assert "twice" in str(refused(sandbox, data))


@pytest.mark.parametrize(
    "members",
    [
        [regular("nlu/a", b"{}"), regular("nlu/a/b.json", b"{}")],
        [special("nlu/a/", tarfile.DIRTYPE), regular("nlu/a", b"{}")],
        [regular("nlu/a", b"{}"), special("nlu/a/", tarfile.DIRTYPE)],
    ],
    ids=["file-then-child", "folder-then-file", "file-then-folder"],
)
def test_a_file_and_a_folder_of_one_name_are_refused(sandbox: Path, members: list[Member]) -> None:
    error = refused(sandbox, tar_gz(*members))
    assert "clashes" in str(error) or "twice" in str(error)


def test_a_member_over_the_size_limit_is_refused(sandbox: Path) -> None:
    data = tar_gz(regular("nlu/big.bin", b"\0" * (SMALL.max_member_bytes + 1)))
    assert "over the limit" in str(refused(sandbox, data))


def test_a_member_declaring_a_huge_size_is_refused_before_reading_it(sandbox: Path) -> None:
    # The header claims 5 GiB; the data is not even there. The header alone must be enough.
    manifest_info, manifest = regular(MANIFEST_FILE, manifest_bytes())
    assert manifest is not None
    huge = tarfile.TarInfo("nlu/huge.bin")
    huge.size = 5 << 30
    padding = b"\0" * (-len(manifest) % tarfile.BLOCKSIZE)
    stream = manifest_info.tobuf(tarfile.PAX_FORMAT) + manifest + padding
    stream += huge.tobuf(tarfile.PAX_FORMAT) + b"\0" * tarfile.BLOCKSIZE
    limits = ExtractionLimits(max_member_bytes=1 << 20)
    assert "over the limit" in str(refused(sandbox, gzip.compress(stream), limits))


def _as_addfile(member: Member) -> tuple[tarfile.TarInfo, io.BytesIO | None]:
    info, data = member
    return info, io.BytesIO(data) if data is not None else None


def test_a_decompression_bomb_is_stopped_while_streaming(sandbox: Path) -> None:
    # Each member is under the per-file limit, the archive is tiny, the whole is not.
    members = [regular(f"nlu/part{i}.bin", b"\0" * 3_900) for i in range(15)]
    small_total = ExtractionLimits(max_member_bytes=4_000, max_total_bytes=30_000)
    data = tar_gz(*members)
    assert len(data) < 2_000
    assert "unpacks to more than" in str(refused(sandbox, data, small_total))


def test_a_huge_extended_header_is_stopped_while_streaming(sandbox: Path) -> None:
    # No member is big: the bytes hide in a PAX header, which tarfile would read into memory.
    info, data = regular("nlu/a.json", b"{}")
    info.pax_headers = {"comment": "x" * 500_000}
    assert "unpacks to more than" in str(refused(sandbox, tar_gz((info, data))))


def test_a_member_count_bomb_is_refused(sandbox: Path) -> None:
    members = [regular(f"nlu/{i}.json", b"{}") for i in range(SMALL.max_members + 5)]
    assert "more than 20 files" in str(refused(sandbox, tar_gz(*members)))


def test_a_truncated_archive_is_refused_clearly(sandbox: Path) -> None:
    data = tar_gz(regular("nlu/a.bin", os.urandom(3_000)))
    error = refused(sandbox, data[: len(data) // 2])
    assert "truncated" in str(error)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        os.urandom(2048),
        gzip.compress(os.urandom(2048)),
        gzip.compress(b""),
        b"\x1f\x8b" + os.urandom(100),
        tar_gz()[:-8] + b"\0" * 8,  # a damaged gzip trailer (CRC and size)
    ],
    ids=["empty", "random", "gzip-of-random", "gzip-of-nothing", "gzip-magic", "bad-crc"],
)
def test_garbage_is_refused(sandbox: Path, data: bytes) -> None:
    error = refused(sandbox, data)
    assert str(sandbox / "model.tar.gz") in str(error)


def test_a_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read the model"):
        read_manifest(tmp_path / "nowhere.tar.gz")


# ---- pickles --------------------------------------------------------------------------------


class Payload:
    """Unpickling this creates a folder: the proof that code from the file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.mkdir, (str(self.marker),)


def live_pickle(marker: Path, control: Path) -> bytes:
    """A pickle of :class:`Payload`, first shown to work: loading it for ``control`` runs."""
    pickle.loads(pickle.dumps(Payload(control)))
    assert control.is_dir(), "the payload does not run; the test below would prove nothing"
    return pickle.dumps(Payload(marker))


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib", ".PKL"])
def test_pickles_are_refused_and_never_run(sandbox: Path, suffix: str) -> None:
    marker = sandbox / "pwned"
    payload = live_pickle(marker, sandbox / "control")
    data = tar_gz(regular(f"nlu/00_C/model{suffix}", payload))
    assert "pickle" in str(refused(sandbox, data))
    assert not marker.exists()


def test_a_pickle_inside_an_npz_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    live_pickle(marker, tmp_path / "control")
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.array([Payload(marker)], dtype=object))
    archive = tmp_path / "m.tar.gz"
    archive.write_bytes(tar_gz(regular("nlu/00_C/arrays.npz", buffer.getvalue())))
    extract_artifact(archive, tmp_path / "out")
    with pytest.raises(ModelError, match="pickle"):
        Resource(tmp_path / "out" / "nlu" / "00_C").read_arrays("arrays.npz")
    assert not marker.exists()


def test_loading_a_model_with_a_pickle_under_a_json_name_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = live_pickle(marker, tmp_path / "control")
    archive = tmp_path / "m.tar.gz"
    archive.write_bytes(tar_gz(regular("nlu/pipeline.json", payload)))
    with pytest.raises(ModelError, match=r"pipeline\.json"):
        load_model(archive, ComponentContext())
    assert not marker.exists()


# ---- manifests -------------------------------------------------------------------------------


def test_an_archive_without_a_manifest_first_is_refused(sandbox: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.addfile(*_as_addfile(regular("nlu/pipeline.json", b"[]")))
        tar.addfile(*_as_addfile(regular(MANIFEST_FILE, manifest_bytes())))
    error = refused(sandbox, buffer.getvalue())
    assert "does not start with manifest.json" in str(error)
    with pytest.raises(ModelError, match="does not start with"):
        read_manifest(sandbox / "model.tar.gz")


@pytest.mark.parametrize(
    ("manifest", "words"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"parley_version": __version__}).encode(), "no valid format_version"),
        (manifest_bytes(format_version=FORMAT_VERSION + 1), "upgrade Parley"),
        (manifest_bytes(format_version=0), "old artifact format"),
        (manifest_bytes(format_version="1"), "no valid format_version"),
        (manifest_bytes(parley_version="99.0.0"), "upgrade Parley to 99.x"),
        (manifest_bytes(parley_version="banana"), "no valid parley_version"),
        (manifest_bytes(fingerprint="short"), "fingerprint"),
        (manifest_bytes(kind="dialogue-from-the-future"), "kind"),
        (manifest_bytes(created="2026-01-02T03:04:05"), "created"),  # no time zone
        (manifest_bytes(surprise=True), "surprise"),
        (manifest_bytes(seed="0"), "seed"),
        (
            json.dumps({k: v for k, v in manifest_data().items() if k != "components"}).encode(),
            "components",
        ),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_bad_manifests_are_refused_with_the_fix(sandbox: Path, manifest: bytes, words: str) -> None:
    error = refused(sandbox, tar_gz(regular("nlu/pipeline.json", b"[]"), manifest=manifest))
    assert words in str(error)
    assert "train" in str(error) or "upgrade" in str(error)


def test_an_oversized_manifest_is_refused(sandbox: Path) -> None:
    big = manifest_bytes(language="x" * 2_000_000)
    assert "more than a manifest" in str(refused(sandbox, tar_gz(manifest=big), ExtractionLimits()))


def test_an_older_parley_of_the_same_format_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "m.tar.gz"
    archive.write_bytes(tar_gz(manifest=manifest_bytes(parley_version="0.0.1")))
    assert read_manifest(archive).parley_version == "0.0.1"


def test_reading_the_manifest_reads_only_the_first_member(tmp_path: Path) -> None:
    data = tar_gz(regular("nlu/a.bin", os.urandom(200_000)))
    archive = tmp_path / "m.tar.gz"
    archive.write_bytes(data[: len(data) // 4])  # the rest is cut off
    with pytest.raises(ModelError, match="truncated"):
        extract_artifact(archive, tmp_path / "out")
    assert read_manifest(archive).created == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


# ---- loading ---------------------------------------------------------------------------------


def open_files_under(folder_prefix: str) -> list[str]:
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc to list open files")
    targets = []
    for fd in fds.iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue
    return [t for t in targets if folder_prefix in t]


def test_load_nlu_keeps_no_files_open_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = Pipeline.from_config([ComponentSpec(name="WhitespaceTokenizer")])
    entries = pipeline.persist(tmp_path / "model" / "nlu")
    manifest = Manifest.from_json(manifest_bytes(components=entries, language="de"))
    archive = write_artifact(tmp_path / "model", tmp_path / "m.tar.gz", manifest)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    loaded = load_model(archive, ComponentContext(language="en"))
    assert loaded.manifest == manifest
    assert loaded.pipeline.context.language == "de", "the model's own language is used"
    assert [c.name for c in loaded.pipeline.components] == ["WhitespaceTokenizer"]
    assert list(scratch.iterdir()) == [], "the unpacked model was left behind"
    assert open_files_under(str(scratch)) == []
    assert loaded.pipeline.parse("hello there").text == "hello there"


def test_load_nlu_refuses_a_broken_model(tmp_path: Path) -> None:
    archive = tmp_path / "m.tar.gz"
    archive.write_bytes(tar_gz(regular("nlu/pipeline.json", b'[{"name": "Nope"}]')))
    with pytest.raises(ModelError, match="malformed entry"):
        load_model(archive, ComponentContext())
    archive.write_bytes(tar_gz())
    with pytest.raises(ModelError, match="no nlu/ folder"):
        load_model(archive, ComponentContext())
