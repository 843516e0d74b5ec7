"""A small platform API speaking the HTTP contract of ``/api/projects/…/models``,
``/api/environments`` and ``/api/jobs`` (and Rasa's ``PUT /model``), for testing the commands
that call it. It keeps its models and jobs in dictionaries, records every request it gets,
and answers failures with Rasa's error body, as the real server does. Served by uvicorn on a
free port in a thread (:func:`serving`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import ASGIApp

TOKEN = "t0ken"
FINAL = {"succeeded", "failed", "cancelled"}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: Any = None


@dataclass
class State:
    projects: set[str] = field(default_factory=lambda: {"default"})
    environments: list[str] = field(default_factory=lambda: ["production", "staging"])
    models: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """``(project, name) → record JSON``; the artifact bytes are in ``files``."""
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    script: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Changes a job goes through, one per ``GET /api/jobs/{id}``."""
    requests: list[Recorded] = field(default_factory=list)

    def add_model(
        self,
        name: str,
        *,
        project: str = "default",
        tags: tuple[str, ...] = (),
        content: bytes = b"m",
    ) -> dict[str, Any]:
        record = {
            "project": project,
            "model": name,
            "hash": f"{name}-fingerprint-0123456789",
            "created": 1_700_000_000.0 + len(self.models),
            "registered": 1_700_000_100.0,
            "trained_by": "upload",
            "kind": "full",
            "version": "0.1.0",
            "size": len(content),
            "metrics": {},
            "tags": list(tags),
        }
        self.models[project, name] = record
        self.files[project, name] = content
        return record

    def add_job(
        self, *, status: str = "queued", project: str = "default", **more: Any
    ) -> dict[str, Any]:
        job_id = len(self.jobs) + 1
        job = {
            "id": job_id,
            "project": project,
            "kind": "train",
            "status": status,
            "progress": 0.0,
            "message": "",
            "created": 1_700_000_000.0,
            "created_by": "api",
            "started": None,
            "finished": None,
            "heartbeat": None,
            "worker": None,
            "model": None,
            "params": {"nlu_only": False},
            "cancel_requested": False,
            "log": "",
        }
        job.update(more)
        self.jobs[job_id] = job
        return job

    def last(self, method: str | None = None) -> Recorded:
        found = [r for r in self.requests if method is None or r.method == method]
        assert found, f"no {method or ''} request reached the server"
        return found[-1]


def error(status: int, message: str, reason: str = "Error") -> JSONResponse:
    """Rasa's error body."""
    body = {
        "version": "0.1.0",
        "status": "failure",
        "message": message,
        "reason": reason,
        "details": {},
        "help": None,
        "code": status,
    }
    return JSONResponse(body, status_code=status)


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in job.items() if key != "log"}


async def record(request: Request) -> Recorded:
    recorded = Recorded(
        request.method,
        request.url.path,
        dict(request.query_params),
        request.headers.get("Authorization"),
    )
    request.app.state.fake.requests.append(recorded)
    return recorded


Recording = Annotated[Recorded, Depends(record)]


def create_app(state: State) -> FastAPI:
    api = FastAPI()
    api.state.fake = state

    @api.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            state.requests.append(
                Recorded(request.method, request.url.path, {}, request.headers.get("Authorization"))
            )
            return error(401, "the token is missing or wrong", "NotAuthenticated")
        response: Response = await call_next(request)
        return response

    def model_or_404(project: str, model: str) -> dict[str, Any] | JSONResponse:
        found = state.models.get((project, model))
        if found is None:
            names = sorted(name for p, name in state.models if p == project)
            return error(404, f"no model {model!r}; the models are: {', '.join(names)}", "NotFound")
        return found

    @api.put("/model")
    async def load_model(request: Request, recorded: Recording) -> Response:
        recorded.body = await request.json()
        return Response(status_code=204)

    @api.get("/api/projects/{project}/models")
    async def list_models(project: str, recorded: Recording) -> Any:
        if project not in state.projects:
            return error(404, f"no project {project!r}; the projects are: default", "NotFound")
        records = [r for (p, _), r in state.models.items() if p == project]
        return sorted(records, key=lambda r: r["created"], reverse=True)

    @api.post("/api/projects/{project}/models")
    async def upload(
        project: str,
        recorded: Recording,
        model: Annotated[UploadFile, File()],
        name: Annotated[str | None, Form()] = None,
    ) -> Any:
        content = await model.read()
        recorded.body = {"filename": model.filename, "name": name, "content": content}
        chosen = name or (model.filename or "model").removesuffix(".tar.gz")
        if (project, chosen) in state.models:
            return error(409, f"a model named {chosen!r} exists; pick another --name", "Conflict")
        return JSONResponse(state.add_model(chosen, project=project, content=content), 201)

    @api.get("/api/projects/{project}/models/{model}")
    async def download(project: str, model: str, recorded: Recording) -> Any:
        found = model_or_404(project, model)
        if isinstance(found, JSONResponse):
            return found
        return Response(
            state.files[project, model],
            media_type="application/gzip",
            headers={"ETag": f'"{found["hash"]}"'},
        )

    @api.delete("/api/projects/{project}/models/{model}")
    async def delete(project: str, model: str, recorded: Recording) -> Any:
        found = model_or_404(project, model)
        if isinstance(found, JSONResponse):
            return found
        if found["tags"]:
            return error(
                409,
                f"model {model!r} carries the tags {', '.join(found['tags'])}; untag it first",
                "Conflict",
            )
        del state.models[project, model]
        return Response(status_code=204)

    @api.put("/api/projects/{project}/models/{model}/tags/{tag}")
    async def tag(project: str, model: str, tag: str, recorded: Recording) -> Any:
        found = model_or_404(project, model)
        if isinstance(found, JSONResponse):
            return found
        for (p, _), other in state.models.items():
            if p == project and tag in other["tags"]:
                other["tags"].remove(tag)
        found["tags"].append(tag)
        return Response(status_code=204)

    @api.delete("/api/projects/{project}/models/{model}/tags/{tag}")
    async def untag(project: str, model: str, tag: str, recorded: Recording) -> Any:
        found = model_or_404(project, model)
        if isinstance(found, JSONResponse):
            return found
        if tag not in found["tags"]:
            return error(404, f"model {model!r} does not carry the tag {tag!r}", "NotFound")
        found["tags"].remove(tag)
        return Response(status_code=204)

    @api.get("/api/environments")
    async def environments(recorded: Recording, project: str = "default") -> Any:
        def serving(name: str) -> dict[str, Any] | None:
            for (p, _), record in state.models.items():
                if p == project and name in record["tags"]:
                    return record
            return None

        return [{"name": name, "model": serving(name)} for name in state.environments]

    @api.post("/api/projects/{project}/train")
    async def train(project: str, request: Request, recorded: Recording) -> Any:
        recorded.body = await request.json()
        if project not in state.projects:
            return error(404, f"no project {project!r}; the projects are: default", "NotFound")
        job = state.add_job(project=project, params=recorded.body)
        return JSONResponse(_public(job), 202)

    @api.get("/api/jobs")
    async def jobs(
        recorded: Recording, project: str | None = None, status: str | None = None
    ) -> Any:
        found = [
            _public(job)
            for job in state.jobs.values()
            if (project is None or job["project"] == project)
            and (status is None or job["status"] == status)
        ]
        return sorted(found, key=lambda job: job["id"], reverse=True)

    @api.get("/api/jobs/{job_id}")
    async def job(job_id: int, recorded: Recording) -> Any:
        found = state.jobs.get(job_id)
        if found is None:
            return error(404, f"no job '{job_id}'", "NotFound")
        steps = state.script.get(job_id)
        if steps:
            found.update(steps.pop(0))
        return found

    @api.post("/api/jobs/{job_id}/cancel")
    async def cancel(job_id: int, recorded: Recording) -> Any:
        found = state.jobs.get(job_id)
        if found is None:
            return error(404, f"no job '{job_id}'", "NotFound")
        if found["status"] in FINAL:
            return error(409, f"job {job_id} is already {found['status']}", "Conflict")
        if found["status"] == "queued":
            found["status"] = "cancelled"
        else:
            found["cancel_requested"] = True
        return JSONResponse(_public(found), 202)

    return api


def mounted(app: ASGIApp, prefix: str) -> ASGIApp:
    """``app`` both at the root and under ``prefix``, like a server behind a proxy path."""
    return FastAPI(routes=[Mount(prefix, app=app), Mount("", app=app)])


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1; its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start the fake platform API")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
