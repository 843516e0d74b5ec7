"""The contracts of the platform's stores (``parley.core.ports``), checked by one test body
against every implementation: the in-memory twins, and the SQL stores on SQLite and on
PostgreSQL (model artifacts also in a folder, and in the database)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from parley.core.job import JobStatus
from parley.core.model_record import ModelRecord
from parley.core.ports import JobStore, ModelCatalog, ModelStore, ProjectStore
from parley.errors import ConfigurationError, ConflictError, NotFoundError, StorageError
from parley.storage.file_model_store import FileModelStore
from parley.storage.memory import (
    MemoryJobStore,
    MemoryModelCatalog,
    MemoryModelStore,
    MemoryProjectStore,
)
from parley.storage.sql import Database
from parley.storage.sql.job_store import LOG_LIMIT, SqlJobStore
from parley.storage.sql.model_catalog import SqlModelCatalog
from parley.storage.sql.model_store import DatabaseModelStore
from parley.storage.sql.project_store import SqlProjectStore

pytestmark = pytest.mark.integration

BACKENDS = ["memory", "sqlite", "postgresql"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Stores:
    backend: str
    projects: ProjectStore
    catalog: ModelCatalog
    jobs: JobStore
    clock: Clock
    database: Database | None = None


def _database(request: pytest.FixtureRequest, backend: str) -> Database:
    """A migrated database of ``backend`` (sqlite, postgresql), closed after the test."""
    url: str = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    database = Database.connect(url)
    database.migrate()
    request.addfinalizer(database.close)
    return database


@pytest.fixture(params=BACKENDS)
def stores(request: pytest.FixtureRequest) -> Stores:
    clock = Clock()
    if request.param == "memory":
        projects = MemoryProjectStore()
        catalog = MemoryModelCatalog(projects.names)
        jobs = MemoryJobStore(catalog, projects=projects.names, clock=clock)
        projects.on_delete += [catalog.forget, jobs.forget]
        return Stores("memory", projects, catalog, jobs, clock)
    database = _database(request, request.param)
    return Stores(
        request.param,
        SqlProjectStore(database, clock=clock),
        SqlModelCatalog(database),
        SqlJobStore(database, clock=clock),
        clock,
        database,
    )


def record(name: str, *, project: str = "demo", registered: float = 100.0) -> ModelRecord:
    return ModelRecord(
        project=project,
        name=name,
        fingerprint=f"fp-{name}",
        created=50.5,
        registered=registered,
        trained_by="job 1",
        kind="full",
        parley_version="0.6.0",
        size=5_000_000_000,
        metrics={"seconds": 1.5, "intents": ["greet", "bye"], "nested": {"a": None}},
        tags=("ignored",),
    )


# -- projects ----------------------------------------------------------------------------


def test_projects_are_created_listed_and_deleted(stores: Stores) -> None:
    projects = stores.projects
    assert projects.names() == []
    projects.create("zeta")
    projects.create("alpha")
    assert projects.names() == ["alpha", "zeta"]
    with pytest.raises(ConflictError, match="'alpha' already"):
        projects.create("alpha")
    projects.delete("zeta")
    assert projects.names() == ["alpha"]
    with pytest.raises(NotFoundError) as raised:
        projects.delete("zeta")
    assert raised.value.valid == ["alpha"]


def test_files_round_trip_exactly(stores: Stores) -> None:
    projects = stores.projects
    projects.create("demo")
    assert projects.files("demo") == {}
    files = {
        "domain.yml": "version: '3.1'\nintents:\n  - greet\n",
        "data/nlu.yml": "- Grüß dich 👋\r\n- tab\there  \n",
        "data/empty.yml": "",
    }
    projects.replace("demo", files)
    assert projects.files("demo") == files
    projects.replace("demo", {"config.yml": "pipeline: []\n"})
    assert projects.files("demo") == {"config.yml": "pipeline: []\n"}
    projects.replace("demo", {})
    assert projects.files("demo") == {}


def test_files_are_written_and_deleted_one_by_one(stores: Stores) -> None:
    projects = stores.projects
    projects.create("demo")
    projects.create("other")
    projects.write_file("demo", "domain.yml", "one")
    projects.write_file("demo", "domain.yml", "two")
    projects.write_file("demo", "data/nlu.yml", "nlu")
    projects.write_file("other", "domain.yml", "theirs")
    assert projects.files("demo") == {"domain.yml": "two", "data/nlu.yml": "nlu"}
    projects.delete_file("demo", "domain.yml")
    assert projects.files("demo") == {"data/nlu.yml": "nlu"}
    assert projects.files("other") == {"domain.yml": "theirs"}
    with pytest.raises(NotFoundError) as raised:
        projects.delete_file("demo", "domain.yml")
    assert raised.value.kind == "file"
    assert raised.value.valid == ["data/nlu.yml"]


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.files("ghost"),
        lambda p: p.replace("ghost", {"a.yml": ""}),
        lambda p: p.write_file("ghost", "a.yml", ""),
        lambda p: p.delete_file("ghost", "a.yml"),
        lambda p: p.delete("ghost"),
    ],
    ids=["files", "replace", "write_file", "delete_file", "delete"],
)
def test_an_unknown_project_is_not_found_and_the_error_lists_the_projects(
    stores: Stores, call: Callable[[ProjectStore], object]
) -> None:
    stores.projects.create("demo")
    with pytest.raises(NotFoundError, match="no project 'ghost'") as raised:
        call(stores.projects)
    assert (raised.value.kind, raised.value.valid) == ("project", ["demo"])
    assert stores.projects.names() == ["demo"]


def test_deleting_a_project_deletes_its_files_models_tags_and_jobs(stores: Stores) -> None:
    projects, catalog, jobs = stores.projects, stores.catalog, stores.jobs
    projects.create("demo")
    projects.create("kept")
    projects.write_file("demo", "domain.yml", "x")
    catalog.add(record("m1"))
    catalog.tag("demo", "m1", "production")
    jobs.create("demo", "train", {}, created_by="alice")
    catalog.add(record("m1", project="kept"))
    kept_job = jobs.create("kept", "train", {}, created_by="bob")

    projects.delete("demo")
    projects.create("demo")

    assert projects.files("demo") == {}
    assert catalog.list("demo") == []
    assert catalog.tagged("demo", "production") is None
    assert jobs.list(project="demo") == []
    assert [m.name for m in catalog.list("kept")] == ["m1"]
    assert jobs.list() == [kept_job]
    # A new project's new job does not take the id of a deleted one.
    assert jobs.create("demo", "train", {}, created_by="alice").id > kept_job.id


# -- the model catalog -------------------------------------------------------------------


def test_a_model_row_round_trips_without_its_tags(stores: Stores) -> None:
    stores.projects.create("demo")
    stores.catalog.add(record("m1"))
    got = stores.catalog.get("demo", "m1")
    assert got == ModelRecord(**{**record("m1").__dict__, "tags": ()})
    assert got.to_json()["size"] == 5_000_000_000


def test_a_model_name_is_unique_within_its_project(stores: Stores) -> None:
    stores.projects.create("demo")
    stores.projects.create("other")
    stores.catalog.add(record("m1"))
    with pytest.raises(ConflictError, match="'demo' has a model 'm1' already"):
        stores.catalog.add(record("m1", registered=999.0))
    stores.catalog.add(record("m1", project="other"))
    assert stores.catalog.get("demo", "m1").registered == 100.0
    with pytest.raises(NotFoundError) as raised:
        stores.catalog.add(record("m1", project="ghost"))
    assert (raised.value.kind, raised.value.valid) == ("project", ["demo", "other"])


def test_models_are_listed_newest_registered_first(stores: Stores) -> None:
    stores.projects.create("demo")
    stores.projects.create("other")
    for name, registered in [("old", 1.0), ("new", 3.0), ("mid", 2.0)]:
        stores.catalog.add(record(name, registered=registered))
    stores.catalog.add(record("theirs", project="other"))
    stores.catalog.tag("demo", "mid", "staging")
    listed = stores.catalog.list("demo")
    assert [(m.name, m.tags) for m in listed] == [
        ("new", ()),
        ("mid", ("staging",)),
        ("old", ()),
    ]
    assert stores.catalog.list("ghost") == []


def test_an_unknown_model_is_not_found(stores: Stores) -> None:
    stores.projects.create("demo")
    for call in (
        lambda: stores.catalog.get("demo", "ghost"),
        lambda: stores.catalog.delete("demo", "ghost"),
        lambda: stores.catalog.tag("demo", "ghost", "production"),
        lambda: stores.catalog.untag("demo", "ghost", "production"),
        lambda: stores.catalog.get("ghost", "ghost"),
    ):
        with pytest.raises(NotFoundError, match="no model 'ghost'"):
            call()


def test_a_tag_moves_from_model_to_model(stores: Stores) -> None:
    catalog = stores.catalog
    stores.projects.create("demo")
    stores.projects.create("other")
    catalog.add(record("a"))
    catalog.add(record("b"))
    catalog.add(record("a", project="other"))
    assert catalog.tagged("demo", "production") is None

    catalog.tag("demo", "a", "production")
    catalog.tag("demo", "a", "staging")
    catalog.tag("demo", "a", "production")  # again: nothing changes
    catalog.tag("other", "a", "production")
    assert catalog.get("demo", "a").tags == ("production", "staging")

    catalog.tag("demo", "b", "production")
    assert catalog.get("demo", "a").tags == ("staging",)
    tagged = catalog.tagged("demo", "production")
    assert tagged is not None
    assert (tagged.name, tagged.tags) == ("b", ("production",))
    # Tags belong to their project.
    other = catalog.tagged("other", "production")
    assert other is not None
    assert other.name == "a"


def test_untagging(stores: Stores) -> None:
    catalog = stores.catalog
    stores.projects.create("demo")
    catalog.add(record("a"))
    catalog.add(record("b"))
    catalog.tag("demo", "a", "production")
    with pytest.raises(NotFoundError, match="no tag of model 'b' 'production'"):
        catalog.untag("demo", "b", "production")
    catalog.untag("demo", "a", "production")
    assert catalog.get("demo", "a").tags == ()
    assert catalog.tagged("demo", "production") is None


def test_a_tagged_model_cannot_be_deleted(stores: Stores) -> None:
    catalog = stores.catalog
    stores.projects.create("demo")
    catalog.add(record("a"))
    catalog.tag("demo", "a", "staging")
    catalog.tag("demo", "a", "production")
    with pytest.raises(ConflictError, match="carries the tags production, staging; untag it"):
        catalog.delete("demo", "a")
    assert catalog.get("demo", "a").tags == ("production", "staging")
    catalog.untag("demo", "a", "production")
    catalog.untag("demo", "a", "staging")
    catalog.delete("demo", "a")
    assert catalog.list("demo") == []
    catalog.add(record("a"))  # the name is free again
    assert catalog.get("demo", "a").tags == ()


def test_concurrent_taggers_leave_the_tag_on_one_model(stores: Stores) -> None:
    catalog = stores.catalog
    stores.projects.create("demo")
    names = [f"m{i}" for i in range(6)]
    for name in names:
        catalog.add(record(name))
    start = threading.Barrier(len(names))
    errors: list[BaseException] = []

    def tag(name: str) -> None:
        try:
            start.wait()
            for _ in range(5):
                catalog.tag("demo", name, "production")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=tag, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    carriers = [m.name for m in catalog.list("demo") if "production" in m.tags]
    tagged = catalog.tagged("demo", "production")
    assert tagged is not None
    assert carriers == [tagged.name]


# -- jobs --------------------------------------------------------------------------------


def test_a_new_job_is_queued(stores: Stores) -> None:
    stores.projects.create("demo")
    job = stores.jobs.create(
        "demo", "train", {"nlu_only": True, "force": False}, created_by="alice"
    )
    assert job.status is JobStatus.QUEUED
    assert (job.project, job.kind, job.created_by) == ("demo", "train", "alice")
    assert job.params == {"nlu_only": True, "force": False}
    assert job.created == stores.clock.now
    assert (job.progress, job.message, job.log) == (0.0, "", "")
    assert (job.started, job.finished, job.heartbeat, job.worker, job.model) == (None,) * 5
    assert job.cancel_requested is False
    assert stores.jobs.get(job.id) == job
    with pytest.raises(NotFoundError) as raised:
        stores.jobs.create("ghost", "train", {}, created_by="alice")
    assert (raised.value.kind, raised.value.valid) == ("project", ["demo"])
    with pytest.raises(NotFoundError, match="no job '999'"):
        stores.jobs.get(999)


def test_jobs_are_listed_newest_first_and_filtered(stores: Stores) -> None:
    jobs = stores.jobs
    stores.projects.create("demo")
    stores.projects.create("other")
    first = jobs.create("demo", "train", {}, created_by="a")
    second = jobs.create("other", "train", {}, created_by="a")
    third = jobs.create("demo", "train", {}, created_by="a")
    jobs.claim(third.id, "w1")
    assert [j.id for j in jobs.list()] == [third.id, second.id, first.id]
    assert [j.id for j in jobs.list(project="demo")] == [third.id, first.id]
    assert [j.id for j in jobs.list(statuses=[JobStatus.QUEUED])] == [second.id, first.id]
    assert [j.id for j in jobs.list(project="demo", statuses=[JobStatus.RUNNING])] == [third.id]
    assert [j.id for j in jobs.list(limit=2)] == [third.id, second.id]
    assert jobs.list(statuses=[]) == []
    assert jobs.list(project="ghost") == []


def test_a_job_is_claimed_once(stores: Stores) -> None:
    stores.projects.create("demo")
    job = stores.jobs.create("demo", "train", {}, created_by="a")
    stores.clock.now += 10
    claimed = stores.jobs.claim(job.id, "worker-1")
    assert claimed is not None
    assert claimed.status is JobStatus.RUNNING
    assert (claimed.worker, claimed.started, claimed.heartbeat) == (
        "worker-1",
        stores.clock.now,
        stores.clock.now,
    )
    assert stores.jobs.claim(job.id, "worker-2") is None
    assert stores.jobs.get(job.id).worker == "worker-1"
    with pytest.raises(NotFoundError):
        stores.jobs.claim(999, "worker-1")


def test_concurrent_claims_let_one_worker_win(stores: Stores) -> None:
    stores.projects.create("demo")
    job = stores.jobs.create("demo", "train", {}, created_by="a")
    start = threading.Barrier(6)
    won: list[str] = []

    def claim(worker: str) -> None:
        start.wait()
        if stores.jobs.claim(job.id, worker) is not None:
            won.append(worker)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert stores.jobs.get(job.id).worker == won[0]


def test_heartbeats_report_progress_and_append_to_the_log(stores: Stores) -> None:
    jobs = stores.jobs
    stores.projects.create("demo")
    job = jobs.create("demo", "train", {}, created_by="a")
    jobs.claim(job.id, "w")
    stores.clock.now += 5
    beat = jobs.heartbeat(job.id, progress=0.25, message="featurizing", log="line 1\n")
    assert (beat.progress, beat.message, beat.log) == (0.25, "featurizing", "line 1\n")
    assert beat.heartbeat == stores.clock.now
    beat = jobs.heartbeat(job.id, log="ünïcode 2\n")
    assert (beat.progress, beat.message, beat.log) == (0.25, "featurizing", "line 1\nünïcode 2\n")
    assert jobs.get(job.id) == beat
    jobs.fail(job.id, "boom")
    after = jobs.heartbeat(job.id, progress=0.9, log="late\n")
    assert (after.status, after.progress, after.log) == (JobStatus.FAILED, 0.25, beat.log)


def test_a_job_succeeds_together_with_adding_its_model(stores: Stores) -> None:
    jobs = stores.jobs
    stores.projects.create("demo")
    job = jobs.create("demo", "train", {}, created_by="a")
    assert jobs.succeed(job.id, record("m1")) is False  # queued, not running
    assert stores.catalog.list("demo") == []
    jobs.claim(job.id, "w")
    stores.clock.now += 60
    assert jobs.succeed(job.id, record("m1")) is True
    done = jobs.get(job.id)
    assert (done.status, done.model, done.progress, done.finished) == (
        JobStatus.SUCCEEDED,
        "m1",
        1.0,
        stores.clock.now,
    )
    assert stores.catalog.get("demo", "m1").fingerprint == "fp-m1"
    assert jobs.succeed(job.id, record("m2")) is False
    assert [m.name for m in stores.catalog.list("demo")] == ["m1"]


def test_a_job_whose_model_cannot_be_added_stays_running(stores: Stores) -> None:
    jobs = stores.jobs
    stores.projects.create("demo")
    stores.catalog.add(record("m1"))
    job = jobs.create("demo", "train", {}, created_by="a")
    jobs.claim(job.id, "w")
    with pytest.raises(ConflictError):
        jobs.succeed(job.id, record("m1", registered=5.0))
    assert jobs.get(job.id).status is JobStatus.RUNNING
    assert stores.catalog.get("demo", "m1").registered == 100.0


def test_a_cancelled_job_cannot_succeed(stores: Stores) -> None:
    jobs = stores.jobs
    stores.projects.create("demo")
    job = jobs.create("demo", "train", {}, created_by="a")
    jobs.claim(job.id, "w")
    assert jobs.cancelled(job.id, "cancelled by alice") is True
    assert jobs.succeed(job.id, record("m1")) is False
    assert stores.catalog.list("demo") == []
    assert jobs.get(job.id).status is JobStatus.CANCELLED


def test_failing_a_job(stores: Stores) -> None:
    jobs = stores.jobs
    stores.projects.create("demo")
    queued = jobs.create("demo", "train", {}, created_by="a")
    running = jobs.create("demo", "train", {}, created_by="a")
    jobs.claim(running.id, "w")
    stores.clock.now += 3
    assert jobs.fail(queued.id, "no worker") is True
    assert jobs.fail(running.id, "out of memory") is True
    failed = jobs.get(running.id)
    assert (failed.status, failed.message, failed.finished) == (
        JobStatus.FAILED,
        "out of memory",
        stores.clock.now,
    )
    assert jobs.fail(running.id, "again") is False
    assert jobs.get(running.id).message == "out of memory"
    with pytest.raises(NotFoundError):
        jobs.fail(999, "x")


def test_cancelling_a_queued_job_is_at_once(stores: Stores) -> None:
    jobs = stores.jobs
    stores.projects.create("demo")
    job = jobs.create("demo", "train", {}, created_by="a")
    cancelled = jobs.cancel(job.id)
    assert (cancelled.status, cancelled.message) == (
        JobStatus.CANCELLED,
        "cancelled before it started",
    )
    assert cancelled.finished == stores.clock.now
    assert jobs.claim(job.id, "w") is None
    with pytest.raises(ConflictError, match=f"job {job.id} is cancelled already"):
        jobs.cancel(job.id)


def test_cancelling_a_running_job_asks_its_worker(stores: Stores) -> None:
    jobs = stores.jobs
    stores.projects.create("demo")
    job = jobs.create("demo", "train", {}, created_by="a")
    assert jobs.cancelled(job.id, "not running yet") is False
    jobs.claim(job.id, "w")
    asked = jobs.cancel(job.id)
    assert (asked.status, asked.cancel_requested) == (JobStatus.RUNNING, True)
    assert jobs.heartbeat(job.id, progress=0.5).cancel_requested is True
    assert jobs.cancelled(job.id, "cancelled at 50%") is True
    done = jobs.get(job.id)
    assert (done.status, done.message) == (JobStatus.CANCELLED, "cancelled at 50%")
    assert jobs.cancelled(job.id, "again") is False
    with pytest.raises(ConflictError, match="nothing to cancel"):
        jobs.cancel(job.id)
    with pytest.raises(NotFoundError):
        jobs.cancel(999)


def test_a_sweep_fails_the_jobs_whose_worker_went_silent(stores: Stores) -> None:
    jobs, clock = stores.jobs, stores.clock
    stores.projects.create("demo")
    silent, alive, queued, finished = (
        jobs.create("demo", "train", {}, created_by="a") for _ in range(4)
    )
    jobs.claim(silent.id, "w-silent")
    jobs.claim(finished.id, "w-done")
    jobs.fail(finished.id, "boom")
    clock.now += 100
    jobs.claim(alive.id, "w-alive")
    clock.now += 10
    jobs.heartbeat(alive.id)

    swept = jobs.sweep(30, now=clock.now)

    assert [(j.id, j.status) for j in swept] == [(silent.id, JobStatus.FAILED)]
    assert swept[0].message == "its worker w-silent stopped answering (no heartbeat for 30 s)"
    assert swept[0].finished == clock.now
    assert jobs.get(silent.id) == swept[0]
    assert jobs.get(alive.id).status is JobStatus.RUNNING
    assert jobs.get(queued.id).status is JobStatus.QUEUED
    assert jobs.get(finished.id).message == "boom"
    assert jobs.sweep(30, now=clock.now) == []
    assert jobs.succeed(silent.id, record("late")) is False


# -- the SQL stores alone ----------------------------------------------------------------


def test_a_job_log_keeps_its_newest_megabyte(database: Database) -> None:
    SqlProjectStore(database).create("demo")
    jobs = SqlJobStore(database)
    job = jobs.create("demo", "train", {}, created_by="a")
    jobs.claim(job.id, "w")
    jobs.heartbeat(job.id, log="a" * (LOG_LIMIT - 5))
    log = jobs.heartbeat(job.id, log="0123456789").log
    assert len(log) == LOG_LIMIT
    assert log.endswith("a0123456789")
    log = jobs.heartbeat(job.id, log="é" * (LOG_LIMIT + 3)).log
    assert log == "é" * LOG_LIMIT


def test_the_sql_stores_share_one_database(database: Database) -> None:
    """Two processes' stores (here: two sets on the one database) see each other's rows."""
    first = SqlProjectStore(database), SqlModelCatalog(database), SqlJobStore(database)
    other = Database.connect(database.engine.url.render_as_string(hide_password=False))
    try:
        second = SqlProjectStore(other), SqlModelCatalog(other), SqlJobStore(other)
        first[0].create("demo")
        second[1].add(record("m1"))
        job = second[2].create("demo", "train", {}, created_by="a")
        assert first[1].get("demo", "m1").name == "m1"
        assert first[2].claim(job.id, "w") is not None
        assert second[2].claim(job.id, "w2") is None
    finally:
        other.close()


def test_an_unreachable_database_is_a_storage_error(sqlite_url: str, tmp_path: Path) -> None:
    database = Database.connect(sqlite_url)  # not migrated: no tables
    for call in (
        lambda: SqlProjectStore(database).names(),
        lambda: SqlModelCatalog(database).list("demo"),
        lambda: SqlJobStore(database).list(),
        lambda: DatabaseModelStore(database, tmp_path).names("demo"),
    ):
        with pytest.raises(StorageError, match="lacks Parley's tables"):
            call()
    database.close()


# -- model artifacts ---------------------------------------------------------------------

ARTIFACT_STORES = ["memory", "files", "database-sqlite", "database-postgresql"]


@pytest.fixture(params=ARTIFACT_STORES)
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> ModelStore:
    if request.param == "memory":
        return MemoryModelStore()
    if request.param == "files":
        return FileModelStore(tmp_path / "models")
    database = _database(request, request.param.removeprefix("database-"))
    projects = SqlProjectStore(database)
    projects.create("demo")
    projects.create("other")
    return DatabaseModelStore(database, tmp_path / "cache")


@pytest.fixture
def artifact(tmp_path: Path) -> Callable[[bytes], Path]:
    def write(data: bytes) -> Path:
        path = tmp_path / f"source-{len(list(tmp_path.glob('source-*')))}.tar.gz"
        path.write_bytes(data)
        return path

    return write


def test_an_artifact_is_stored_whole_and_once(
    artifacts: ModelStore, artifact: Callable[[bytes], Path]
) -> None:
    data = bytes(range(256)) * 4000
    artifacts.save("demo", "m1", artifact(data))
    assert artifacts.path("demo", "m1").read_bytes() == data
    assert artifacts.path("demo", "m1").name == "m1.tar.gz"
    with pytest.raises(ConflictError, match="'m1' of project 'demo' is stored already"):
        artifacts.save("demo", "m1", artifact(b"other"))
    assert artifacts.path("demo", "m1").read_bytes() == data


def test_artifacts_are_listed_and_deleted(
    artifacts: ModelStore, artifact: Callable[[bytes], Path]
) -> None:
    assert artifacts.names("demo") == []
    artifacts.save("demo", "b", artifact(b"b"))
    artifacts.save("demo", "a", artifact(b"a"))
    artifacts.save("other", "a", artifact(b"their a"))
    assert artifacts.names("demo") == ["a", "b"]
    artifacts.delete("demo", "a")
    artifacts.delete("demo", "a")  # not there: nothing happens
    artifacts.delete("demo", "never")
    assert artifacts.names("demo") == ["b"]
    with pytest.raises(NotFoundError, match="no model 'a'"):
        artifacts.path("demo", "a")
    assert artifacts.path("other", "a").read_bytes() == b"their a"
    # Stored again under the freed name: the new artifact, never a stale copy.
    artifacts.save("demo", "a", artifact(b"new a"))
    assert artifacts.path("demo", "a").read_bytes() == b"new a"
    assert artifacts.names("nobody") == []


def test_concurrent_saves_of_one_name_store_one_artifact(
    artifacts: ModelStore, artifact: Callable[[bytes], Path]
) -> None:
    sources = [artifact(bytes([i]) * 100_000) for i in range(5)]
    start = threading.Barrier(len(sources))
    outcomes: list[str] = []

    def save(source: Path) -> None:
        start.wait()
        try:
            artifacts.save("demo", "m1", source)
            outcomes.append(source.name)
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(source,)) for source in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o != "conflict"]
    assert len(outcomes) == len(sources)
    assert len(winners) == 1
    stored = artifacts.path("demo", "m1").read_bytes()
    assert stored == next(s for s in sources if s.name == winners[0]).read_bytes()
    assert artifacts.names("demo") == ["m1"]


def test_a_file_store_keeps_artifacts_as_files(
    tmp_path: Path, artifact: Callable[[bytes], Path]
) -> None:
    root = tmp_path / "models"
    store = FileModelStore(root)
    store.save("demo", "m1", artifact(b"data"))
    assert (root / "demo" / "m1.tar.gz").read_bytes() == b"data"
    assert store.path("demo", "m1") == root / "demo" / "m1.tar.gz"
    # What an interrupted save leaves behind is not an artifact.
    (root / "demo" / ".tmpx1y2.part").write_bytes(b"half")
    (root / "demo" / "notes.txt").write_text("x")
    assert store.names("demo") == ["m1"]
    assert sorted(p.name for p in (root / "demo").iterdir()) == [
        ".tmpx1y2.part",
        "m1.tar.gz",
        "notes.txt",
    ]


def test_a_failed_save_leaves_nothing(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path / "models")
    with pytest.raises(FileNotFoundError):
        store.save("demo", "m1", tmp_path / "missing.tar.gz")
    assert list((tmp_path / "models" / "demo").iterdir()) == []
    with pytest.raises(NotFoundError):
        store.path("demo", "m1")


@pytest.mark.parametrize(
    ("project", "name"), [("..", "m1"), ("demo", "../m1"), ("demo", ".hidden")]
)
def test_a_file_store_refuses_names_that_leave_its_folder(
    tmp_path: Path, artifact: Callable[[bytes], Path], project: str, name: str
) -> None:
    store = FileModelStore(tmp_path / "models")
    with pytest.raises(ConfigurationError, match="is not valid"):
        store.save(project, name, artifact(b"x"))
    assert not any(tmp_path.glob("**/*m1*.tar.gz"))


def test_a_database_store_caches_a_copy_and_reuses_it(
    database: Database, tmp_path: Path, artifact: Callable[[bytes], Path]
) -> None:
    SqlProjectStore(database).create("demo")
    store = DatabaseModelStore(database, tmp_path / "cache")
    store.save("demo", "m1", artifact(b"data"))
    copy = store.path("demo", "m1")
    assert copy.is_relative_to(tmp_path / "cache")
    copy.write_bytes(b"the cached copy")  # no rewrite: the copy is reused
    assert store.path("demo", "m1").read_bytes() == b"the cached copy"
    # Another server, with a cache of its own, gets the artifact from the database.
    elsewhere = DatabaseModelStore(database, tmp_path / "elsewhere")
    assert elsewhere.path("demo", "m1").read_bytes() == b"data"
    assert not any(p.name.endswith(".part") for p in (tmp_path / "elsewhere").rglob("*"))
    store.delete("demo", "m1")
    assert not copy.exists()
    with pytest.raises(NotFoundError):
        elsewhere.path("demo", "m1")


def test_a_database_store_needs_the_project(
    database: Database, tmp_path: Path, artifact: Callable[[bytes], Path]
) -> None:
    projects = SqlProjectStore(database)
    projects.create("demo")
    store = DatabaseModelStore(database, tmp_path / "cache")
    with pytest.raises(NotFoundError) as raised:
        store.save("ghost", "m1", artifact(b"x"))
    assert raised.value.valid == ["demo"]
    store.save("demo", "m1", artifact(b"x"))
    projects.delete("demo")
    projects.create("demo")
    assert store.names("demo") == []
