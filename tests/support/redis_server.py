"""The real Redis for the tests (fixtures ``redis_url``, ``redis_scope``):
``PARLEY_TEST_REDIS_URL``, else 127.0.0.1:6379. When none answers, the tests that need it
are skipped with the reason shown; under ``CI=true`` they fail instead, so a CI job without
its Redis cannot pass by skipping."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from tests.support.services import unavailable


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=3) as connection:
            connection.ping()
    except redis.RedisError as error:
        unavailable(
            f"no Redis for the tests at {url} ({error}); start one on 127.0.0.1:6379, "
            "or set PARLEY_TEST_REDIS_URL"
        )
    return url


@pytest.fixture
def redis_scope(redis_url: str) -> Iterator[str]:
    """A ``redis.scope`` of the test's own; its RQ keys are removed afterwards."""
    scope = f"parley-test-{uuid.uuid4().hex[:12]}"
    yield scope
    with redis.Redis.from_url(redis_url) as connection:
        queue = f"{scope}:training".encode()
        ours = [
            key.decode().removeprefix("rq:job:")
            for key in connection.scan_iter(match="rq:job:parley-job-*")
            if connection.hget(key, "origin") == queue
        ]
        for pattern in [f"*{scope}*", *(f"*{rq_id}*" for rq_id in ours)]:
            for key in connection.scan_iter(match=pattern):
                connection.delete(key)
        # RQ's sets of every worker and queue (a worker killed with kill -9 stays in them).
        for registry in ("rq:workers", "rq:queues"):
            for member in connection.smembers(registry):
                if scope.encode() in member:
                    connection.srem(registry, member)
