"""Training jobs: start one (it runs on a worker, never here), follow it, cancel it."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from parley.auth.permissions import TRAINING_READ, TRAINING_RUN, Principal
from parley.core.job import JobStatus
from parley.core.model_record import NAME_PATTERN
from parley.errors import StorageError
from parley.server.auth import requires
from parley.server.errors import responses
from parley.server.routes.projects import ProjectName
from parley.server.services import ServicesDep

logger = logging.getLogger(__name__)

router = APIRouter(tags=["training"])

JobId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The job's id.")]


class TrainRequest(BaseModel):
    nlu_only: bool = Field(default=False, description="Train the NLU alone.")


@router.post(
    "/api/projects/{project}/train",
    status_code=202,
    summary="Train the project: a job, queued for a worker; answers at once",
    responses=responses(400, 401, 403, 404, 422),
)
def train(
    project: ProjectName,
    services: ServicesDep,
    caller: Annotated[Principal, requires(TRAINING_RUN)],
    body: TrainRequest | None = None,
) -> dict[str, Any]:
    params = (body or TrainRequest()).model_dump()
    job = services.jobs.create(project, "train", params, created_by=caller.name)
    try:
        services.queue.submit(job)
    except StorageError as error:
        # The job is a row already: the workers send queued rows again once the queue is
        # back, so it is accepted, not lost.
        logger.warning("job %s waits for the queue to come back: %s", job.id, error)
    return job.to_json()


@router.get(
    "/api/jobs",
    summary="Jobs, newest first",
    dependencies=[requires(TRAINING_READ)],
    responses=responses(401, 422),
)
def list_jobs(
    services: ServicesDep,
    project: Annotated[str | None, Query(pattern=NAME_PATTERN.pattern)] = None,
    status: Annotated[list[JobStatus] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    jobs = services.jobs.list(project=project, statuses=status, limit=limit)
    return [job.to_json() for job in jobs]


@router.get(
    "/api/jobs/{job_id}",
    summary="One job, with its log",
    dependencies=[requires(TRAINING_READ)],
    responses=responses(401, 404),
)
def get_job(job_id: JobId, services: ServicesDep) -> dict[str, Any]:
    job = services.jobs.get(job_id)
    return {**job.to_json(), "log": job.log}


@router.post(
    "/api/jobs/{job_id}/cancel",
    status_code=202,
    summary="Cancel a job: at once when queued, within a second when running",
    dependencies=[requires(TRAINING_RUN)],
    responses=responses(401, 403, 404, 409),
)
def cancel_job(job_id: JobId, services: ServicesDep) -> dict[str, Any]:
    return services.jobs.cancel(job_id).to_json()
