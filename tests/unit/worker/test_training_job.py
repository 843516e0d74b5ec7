"""The training side of a job, in-process with the in-memory stores and a stand-in for
training: what reaches the job's row (progress, step, log) and how failures are told."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from parley.core.job import Job, JobStatus
from parley.core.problem import Problem
from parley.errors import ProjectError
from parley.models.registry import ModelRegistry
from parley.storage.memory import (
    MemoryJobStore,
    MemoryModelCatalog,
    MemoryModelStore,
    MemoryProjectStore,
)
from parley.training.result import TrainingResult
from parley.worker.training_job import JobReporter, run_training


class Stores:
    def __init__(self) -> None:
        self.projects = MemoryProjectStore()
        self.projects.create("shop")
        self.projects.replace("shop", {"domain.yml": "version: '3.1'\nintents: [greet]\n"})
        catalog = MemoryModelCatalog()
        self.jobs = MemoryJobStore(catalog)
        self.registry = ModelRegistry(catalog, MemoryModelStore())

    def running_job(self, project: str = "shop") -> Job:
        job = self.jobs.create(project, "train", {"nlu_only": True}, created_by="ann")
        claimed = self.jobs.claim(job.id, "w1")
        assert claimed is not None
        return claimed

    def run(self, job: Job, train: Callable[..., TrainingResult]) -> Job:
        return run_training(
            job, projects=self.projects, registry=self.registry, jobs=self.jobs, train=train
        )


@pytest.fixture
def stores() -> Stores:
    return Stores()


def test_training_gets_the_stored_files_and_the_jobs_options(stores: Stores) -> None:
    job = stores.running_job()
    seen: dict[str, object] = {}

    def train(project: Path, out: Path, **options: object) -> TrainingResult:
        seen["domain"] = (project / "domain.yml").read_text(encoding="utf-8")
        seen["nlu_only"] = options["nlu_only"]
        seen["out_is_empty"] = out.is_dir() and not any(out.iterdir())
        raise RuntimeError("stop here")

    stores.run(job, train)

    assert seen == {
        "domain": "version: '3.1'\nintents: [greet]\n",
        "nlu_only": True,
        "out_is_empty": True,
    }


def test_progress_steps_and_log_lines_reach_the_job(stores: Stores) -> None:
    job = stores.running_job()
    during: list[Job] = []

    def train(project: Path, out: Path, **options: object) -> TrainingResult:
        progress = options["progress"]
        assert callable(progress)
        logging.getLogger("parley.nlu.test").info("featurizing 12 examples")
        progress("training the intent classifier", 0.5)
        during.append(stores.jobs.get(job.id))
        raise ProjectError([Problem("bad", "no intents at all")])

    ended = stores.run(job, train)

    assert during[0].message == "training the intent classifier"
    assert during[0].progress == pytest.approx(0.475)
    assert "featurizing 12 examples" in during[0].log
    assert "training project 'shop' (NLU only)" in during[0].log
    assert ended.status is JobStatus.FAILED
    assert ended.message.startswith("the project cannot be trained: ")
    assert "no intents at all" in ended.message
    assert "no intents at all" in ended.log


def test_an_unexpected_error_fails_the_job_with_its_traceback_in_the_log(stores: Stores) -> None:
    job = stores.running_job()

    def train(project: Path, out: Path, **options: object) -> TrainingResult:
        raise RuntimeError("boom")

    ended = stores.run(job, train)

    assert ended.status is JobStatus.FAILED
    assert ended.message == "training failed unexpectedly (RuntimeError: boom); see the log"
    assert "Traceback" in ended.log


def test_a_project_deleted_meanwhile_fails_the_job(stores: Stores) -> None:
    job = stores.running_job()
    stores.projects.delete("shop")

    ended = stores.run(job, lambda *args, **kwargs: pytest.fail("trained"))

    assert ended.status is JobStatus.FAILED
    assert "training failed: " in ended.message
    assert "shop" in ended.message


def test_a_job_that_is_not_running_is_not_trained(stores: Stores) -> None:
    job = stores.jobs.create("shop", "train", {}, created_by="ann")

    ended = stores.run(job, lambda *args, **kwargs: pytest.fail("trained"))

    assert ended.status is JobStatus.QUEUED


def test_the_reporter_sends_at_most_every_interval_unless_the_step_changes() -> None:
    jobs = MemoryJobStore(MemoryModelCatalog())
    job = jobs.create("shop", "train", {}, created_by="ann")
    jobs.claim(job.id, "w1")
    now = [0.0]
    reporter = JobReporter(jobs, job.id, every=1.0, clock=lambda: now[0])

    reporter.training_progress("step one", 0.1)
    reporter.training_progress("step one", 0.2)
    held_back = jobs.get(job.id).progress
    now[0] = 1.5
    reporter.training_progress("step one", 0.3)
    sent = jobs.get(job.id).progress
    reporter.training_progress("step two", 0.4)

    assert held_back == pytest.approx(0.1 * 0.95)
    assert sent == pytest.approx(0.3 * 0.95)
    assert jobs.get(job.id).message == "step two"
    assert jobs.get(job.id).log.count("step one") == 1
