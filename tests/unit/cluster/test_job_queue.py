"""The Redis job queue refuses clearly when Redis is not there: never a silent fallback."""

from __future__ import annotations

import pytest

from parley.cluster.job_queue import RqJobQueue, queue_name
from parley.core.job import Job, JobStatus
from parley.errors import StorageError

NOBODY = "redis://:secret@127.0.0.1:1/0"  # a port nothing listens on


def job() -> Job:
    return Job(
        id=7,
        project="shop",
        kind="train",
        status=JobStatus.QUEUED,
        created=0.0,
        created_by="ann",
        params={},
    )


def test_the_queue_is_named_by_the_scope() -> None:
    assert queue_name("bots") == "bots:training"
    assert RqJobQueue(NOBODY, "bots").queue.name == "bots:training"


def test_a_redis_that_does_not_answer_stops_the_start() -> None:
    with pytest.raises(StorageError) as caught:
        RqJobQueue(NOBODY, "bots").start()

    message = str(caught.value)
    assert "Redis at redis://:***@127.0.0.1:1/0 does not answer" in message
    assert "secret" not in message
    assert "unset it to run training in the server process" in message


def test_a_job_redis_does_not_take_is_an_error_saying_it_is_kept() -> None:
    with pytest.raises(StorageError) as caught:
        RqJobQueue(NOBODY, "bots").submit(job())

    assert "job 7 is saved, but Redis at redis://:***@127.0.0.1:1/0 did not take it" in str(
        caught.value
    )
