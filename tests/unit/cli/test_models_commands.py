"""``parley models`` against a real HTTP server speaking the platform API: the requests each
command sends, what it prints, and how it ends when the server refuses or is not there."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.unit.cli.conftest import PREFIX, Platform
from tests.unit.cli.platform_api import TOKEN


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_list_shows_a_table_of_the_models(platform: Platform) -> None:
    platform.state.add_model("old", tags=("staging",), content=b"x" * 2500)
    platform.state.add_model("new", tags=("production", "latest"))
    result = platform.run("models", "list")
    assert result.exit_code == 0, result.output
    request = platform.state.last()
    assert (request.method, request.path) == ("GET", "/api/projects/default/models")
    assert request.authorization == f"Bearer {TOKEN}"
    lines = result.stdout.splitlines()
    assert any("Name" in line and "Hash" in line and "Trained by" in line for line in lines)
    new = next(line for line in lines if line.lstrip().startswith("new "))
    assert "production" in new
    assert "latest" in lines[lines.index(new) + 1]  # one tag a line
    assert "new-fingerpr" in new
    assert "new-fingerprint" not in new  # twelve characters of the hash
    old = next(line for line in lines if line.lstrip().startswith("old "))
    assert "2.5 kB" in old
    assert "upload" in old
    assert lines.index(new) < lines.index(old)


def test_list_json_is_the_servers_json(platform: Platform) -> None:
    record = platform.state.add_model("m1", project="default")
    result = platform.run("models", "list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [record]


def test_list_of_an_unknown_project_prints_the_servers_message(platform: Platform) -> None:
    result = platform.run("models", "list", "--project", "nope")
    assert result.exit_code == 1
    assert platform.state.last().path == "/api/projects/nope/models"
    assert _flat(result.stderr) == (
        f"error: {platform.url} answered HTTP 404: no project 'nope'; the projects are: default"
    )
    assert result.stdout == ""


def test_upload_sends_the_file_and_the_name(platform: Platform, tmp_path: Path) -> None:
    model = tmp_path / "20240101-trained.tar.gz"
    model.write_bytes(b"artifact bytes")
    result = platform.run("models", "upload", str(model), "--name", "first")
    assert result.exit_code == 0, result.output
    request = platform.state.last("POST")
    assert request.path == "/api/projects/default/models"
    assert request.body == {
        "filename": "20240101-trained.tar.gz",
        "name": "first",
        "content": b"artifact bytes",
    }
    assert "Uploaded" in result.stdout
    assert "as first (hash first-finger" in _flat(result.stdout)


def test_upload_of_a_project_folder_sends_its_newest_model(
    platform: Platform, tmp_path: Path
) -> None:
    models = tmp_path / "bot" / "models"
    models.mkdir(parents=True)
    (models / "only.tar.gz").write_bytes(b"newest")
    result = platform.run("models", "upload", str(tmp_path / "bot"), "--project", "default")
    assert result.exit_code == 0, result.output
    assert platform.state.last("POST").body == {
        "filename": "only.tar.gz",
        "name": None,
        "content": b"newest",
    }


def test_upload_of_a_taken_name_prints_the_conflict(platform: Platform, tmp_path: Path) -> None:
    platform.state.add_model("first")
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"x")
    result = platform.run("models", "upload", str(model), "--name", "first")
    assert result.exit_code == 1
    assert "HTTP 409: a model named 'first' exists; pick another --name" in _flat(result.stderr)


def test_download_writes_the_model_file(platform: Platform, tmp_path: Path) -> None:
    platform.state.add_model("m1", content=b"the artifact" * 100)
    result = platform.run("models", "download", "m1")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m1.tar.gz").read_bytes() == b"the artifact" * 100
    assert platform.state.last().path == "/api/projects/default/models/m1"
    assert "Downloaded m1 (1.2 kB) to m1.tar.gz" in _flat(result.stdout)

    folder = tmp_path / "into"
    folder.mkdir()
    assert platform.run("models", "download", "m1", "-o", str(folder)).exit_code == 0
    assert (folder / "m1.tar.gz").read_bytes() == b"the artifact" * 100


def test_download_of_an_unknown_model_leaves_no_file(platform: Platform, tmp_path: Path) -> None:
    platform.state.add_model("m1")
    result = platform.run("models", "download", "m2", "-o", str(tmp_path / "out.tar.gz"))
    assert result.exit_code == 1
    assert "HTTP 404: no model 'm2'; the models are: m1" in _flat(result.stderr)
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_tag_and_untag(platform: Platform) -> None:
    platform.state.add_model("m1", tags=("production",))
    platform.state.add_model("m2")
    result = platform.run("models", "tag", "m2", "production")
    assert result.exit_code == 0, result.output
    request = platform.state.last()
    assert (request.method, request.path) == (
        "PUT",
        "/api/projects/default/models/m2/tags/production",
    )
    assert "Tagged m2 with production" in result.stdout
    assert platform.state.models["default", "m2"]["tags"] == ["production"]
    assert platform.state.models["default", "m1"]["tags"] == []

    result = platform.run("models", "untag", "m2", "production")
    assert result.exit_code == 0, result.output
    request = platform.state.last()
    assert (request.method, request.path) == (
        "DELETE",
        "/api/projects/default/models/m2/tags/production",
    )
    assert platform.state.models["default", "m2"]["tags"] == []


def test_delete_of_a_tagged_model_prints_the_conflict(platform: Platform) -> None:
    platform.state.add_model("m1", tags=("production",))
    result = platform.run("models", "delete", "m1")
    assert result.exit_code == 1
    assert "HTTP 409: model 'm1' carries the tags production; untag it first" in _flat(
        result.stderr
    )
    assert ("default", "m1") in platform.state.models

    platform.state.models["default", "m1"]["tags"] = []
    result = platform.run("models", "delete", "m1")
    assert result.exit_code == 0, result.output
    assert platform.state.last().method == "DELETE"
    assert "Deleted m1 from project 'default'" in result.stdout
    assert ("default", "m1") not in platform.state.models


def test_load_puts_the_model_file(platform: Platform, tmp_path: Path) -> None:
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"x")
    result = platform.run("models", "load", str(model))
    assert result.exit_code == 0, result.output
    request = platform.state.last()
    assert (request.method, request.path) == ("PUT", "/model")
    assert request.body == {"model_file": str(model.resolve())}
    assert f"Serving m.tar.gz at {platform.url}" in _flat(result.stdout)


def test_a_base_path_prefix_is_kept(platform: Platform) -> None:
    platform.state.add_model("m1")
    result = platform.run("models", "list", url=platform.url + PREFIX + "/")
    assert result.exit_code == 0, result.output
    assert platform.state.last().path == f"{PREFIX}/api/projects/default/models"


def test_the_token_comes_from_the_environment(platform: Platform) -> None:
    platform.state.add_model("m1")
    result = platform.run("models", "list", token=None, env={"PARLEY_AUTH_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert platform.state.last().authorization == f"Bearer {TOKEN}"


def test_a_wrong_token_says_how_to_give_the_right_one(platform: Platform) -> None:
    result = platform.run("models", "list", token="wrong")
    assert result.exit_code == 1
    assert platform.state.last().authorization == "Bearer wrong"
    message = _flat(result.stderr)
    assert "HTTP 401: the token is missing or wrong" in message
    assert "--token or PARLEY_AUTH_TOKEN" in message


def test_no_token_at_all_is_a_usage_error(platform: Platform) -> None:
    result = platform.run("models", "list", token=None)
    assert result.exit_code == 2
    assert "--token or PARLEY_AUTH_TOKEN" in _flat(result.stderr)
    assert platform.state.requests == []


def test_no_server_names_the_address_and_parley_run(platform: Platform) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = platform.run("models", "tag", "m1", "production", url=url)
    assert result.exit_code == 1
    message = _flat(result.stderr)
    assert message.startswith(f"error: no Parley server answered at {url} (")
    assert "start one with `parley run`, or give its address with --url" in message
    assert "Traceback" not in result.output
