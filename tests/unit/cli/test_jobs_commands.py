"""``parley jobs``, ``parley environments`` and ``parley train --remote`` against a real HTTP
server speaking the platform API."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from tests.unit.cli.conftest import Platform
from tests.unit.cli.platform_api import TOKEN

from parley.cli import jobs


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "POLL_SECONDS", 0.01)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_environments_shows_the_model_each_serves(platform: Platform) -> None:
    platform.state.add_model("m1", tags=("production",))
    result = platform.run("environments")
    assert result.exit_code == 0, result.output
    request = platform.state.last()
    assert (request.path, request.query) == ("/api/environments", {})
    lines = result.stdout.splitlines()
    production = next(line for line in lines if line.lstrip().startswith("production"))
    assert "m1" in production
    assert "m1-fingerpri" in production
    staging = next(line for line in lines if line.lstrip().startswith("staging"))
    assert "no model" in staging


def test_environments_of_another_project_as_json(platform: Platform) -> None:
    platform.state.add_model("shop-model", project="shop", tags=("staging",))
    result = platform.run("environments", "--project", "shop", "--json")
    assert result.exit_code == 0, result.output
    assert platform.state.last().query == {"project": "shop"}
    found = json.loads(result.stdout)
    assert [(e["name"], (e["model"] or {}).get("model")) for e in found] == [
        ("production", None),
        ("staging", "shop-model"),
    ]


def test_the_url_defaults_to_this_machines_server_port(platform: Platform) -> None:
    port = str(urlsplit(platform.url).port)
    result = platform.run("environments", url="", env={"PARLEY_SERVER__PORT": port})
    assert result.exit_code == 0, result.output
    assert platform.state.last().path == "/api/environments"


def test_jobs_list_filters_and_shows_a_table(platform: Platform) -> None:
    platform.state.add_job(status="succeeded", progress=1.0, model="trained-1")
    platform.state.add_job(status="running", progress=0.42, message="training DIET")
    result = platform.run("jobs", "list", "--project", "default", "--status", "running")
    assert result.exit_code == 0, result.output
    request = platform.state.last()
    assert (request.path, request.query) == (
        "/api/jobs",
        {"project": "default", "status": "running"},
    )
    row = next(line for line in result.stdout.splitlines() if "training DIET" in line)
    assert row.split()[:4] == ["2", "default", "running", "42%"]
    assert "trained-1" not in result.stdout


def test_jobs_list_json_and_an_unknown_status(platform: Platform) -> None:
    job = platform.state.add_job()
    result = platform.run("jobs", "list", "--json")
    assert result.exit_code == 0, result.output
    assert platform.state.last().query == {}
    assert json.loads(result.stdout) == [{k: v for k, v in job.items() if k != "log"}]

    wrong = platform.run("jobs", "list", "--status", "sleeping")
    assert wrong.exit_code == 2
    assert "succeeded" in wrong.output  # the valid states are listed


def test_jobs_show_prints_the_state_and_the_log(platform: Platform) -> None:
    platform.state.add_job(
        status="failed",
        progress=0.5,
        message="the worker died",
        started=1_700_000_010.0,
        finished=1_700_000_100.0,
        worker="host:123",
        log="reading the project\ntraining DIET\nKilled",
    )
    result = platform.run("jobs", "show", "1")
    assert result.exit_code == 0, result.output
    assert platform.state.last().path == "/api/jobs/1"
    text = _flat(result.stdout)
    assert "Status failed 50%" in text
    assert "Message the worker died" in text
    assert "on host:123" in text
    assert "(took 1 min 30 s)" in text
    assert result.stdout.rstrip().endswith("reading the project\ntraining DIET\nKilled")

    as_json = platform.run("jobs", "show", "1", "--json")
    assert json.loads(as_json.stdout)["log"].endswith("Killed")


def test_jobs_show_of_an_unknown_job(platform: Platform) -> None:
    result = platform.run("jobs", "show", "7")
    assert result.exit_code == 1
    assert f"{platform.url} answered HTTP 404: no job '7'" in _flat(result.stderr)


def test_jobs_cancel_and_a_finished_job_is_a_conflict(platform: Platform) -> None:
    platform.state.add_job(status="queued")
    platform.state.add_job(status="running")
    platform.state.add_job(status="succeeded")

    queued = platform.run("jobs", "cancel", "1")
    assert queued.exit_code == 0, queued.output
    request = platform.state.last()
    assert (request.method, request.path) == ("POST", "/api/jobs/1/cancel")
    assert "Cancelled job 1" in queued.stdout

    running = platform.run("jobs", "cancel", "2")
    assert running.exit_code == 0, running.output
    assert "Cancelling job 2: it stops at its next step" in _flat(running.stdout)

    finished = platform.run("jobs", "cancel", "3")
    assert finished.exit_code == 1
    assert "HTTP 409: job 3 is already succeeded" in _flat(finished.stderr)


def test_train_remote_follows_the_job_to_its_model(platform: Platform) -> None:
    platform.state.script[1] = [
        {"status": "running", "progress": 0.3, "message": "training NLU"},
        {"status": "running", "progress": 0.8, "message": "training policies"},
        {"status": "succeeded", "progress": 1.0, "model": "20240101-abc"},
    ]
    result = platform.run("train", "--remote", platform.url, "--nlu-only", url="")
    assert result.exit_code == 0, result.output
    train = platform.state.last("POST")
    assert train.path == "/api/projects/default/train"
    assert train.body == {"nlu_only": True}
    assert train.authorization == f"Bearer {TOKEN}"
    polls = [r for r in platform.state.requests if r.path == "/api/jobs/1"]
    assert len(polls) == 3
    assert "Trained 20240101-abc in project 'default' (job 1)" in _flat(result.stdout)
    assert "Job 1 trains project 'default'" in _flat(result.stderr)


def test_train_remote_without_waiting_prints_the_job(platform: Platform) -> None:
    result = platform.run(
        "train", "--remote", platform.url, "--project", "default", "--no-wait", url=""
    )
    assert result.exit_code == 0, result.output
    assert platform.state.last().body == {"nlu_only": False}
    assert "Started job 1 training project 'default'" in _flat(result.stdout)
    assert "parley jobs show 1" in result.stdout
    assert not [r for r in platform.state.requests if r.path.startswith("/api/jobs")]


def test_a_failed_remote_training_prints_the_reason_and_the_log_tail(
    platform: Platform,
) -> None:
    log = "\n".join(f"line {n}" for n in range(1, 31))
    platform.state.script[1] = [
        {"status": "failed", "message": "domain.yml: unknown intent 'greet'", "log": log}
    ]
    result = platform.run("train", "--remote", platform.url, url="")
    assert result.exit_code == 1
    assert "line 30" in result.stderr
    assert "line 11" in result.stderr
    assert "line 10\n" not in result.stderr
    assert "error: job 1 failed: domain.yml: unknown intent 'greet'" in _flat(result.stderr)
    assert result.stdout == ""


def test_train_remote_of_an_unknown_project(platform: Platform) -> None:
    result = platform.run("train", "--remote", platform.url, "--project", "shop", url="")
    assert result.exit_code == 1
    assert "HTTP 404: no project 'shop'" in _flat(result.stderr)


def test_train_remote_refuses_options_that_train_here(platform: Platform) -> None:
    result = platform.run("train", "--remote", platform.url, "--force", "--seed", "3", url="")
    assert result.exit_code == 2
    assert "--force, --seed train here" in _flat(result.stderr)
    assert platform.state.requests == []

    result = platform.run("train", "--project", "shop", url="", token=None)
    assert result.exit_code == 2
    assert "give the server with --remote" in _flat(result.stderr)
