"""The model registry, on Rasa X's paths: upload, list, download, delete, tag, untag, and
get-by-tag, which implements Rasa's model-server pull protocol (``ETag`` is the model's
fingerprint; ``If-None-Match`` with it answers 304)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, File, Form, Header, Path, Request, Response, UploadFile
from fastapi.responses import FileResponse

from parley.auth.permissions import MODELS_READ, MODELS_WRITE, Principal, environment_write
from parley.core.model_record import NAME_PATTERN, ModelRecord
from parley.server.auth import requires
from parley.server.errors import responses
from parley.server.routes.projects import ProjectName
from parley.server.services import Services, ServicesDep

router = APIRouter(prefix="/api/projects/{project}/models", tags=["models"])

ModelName = Annotated[str, Path(pattern=NAME_PATTERN.pattern, description="The model's name.")]
Tag = Annotated[
    str, Path(pattern=NAME_PATTERN.pattern, description="The tag; an environment's name.")
]


def tag_permission(request: Request) -> str:
    """Tagging for an environment changes what it serves: ``environments.<tag>.write``;
    any other tag is the model's own business: ``models.write``."""
    tag = request.path_params["tag"]
    environments = request.app.state.environments.names
    return environment_write(tag) if tag in environments else MODELS_WRITE


def _artifact(record: ModelRecord, path: FilePath) -> FileResponse:
    return FileResponse(
        path,
        media_type="application/gzip",
        filename=f"{record.name}.tar.gz",
        headers={"ETag": f'"{record.fingerprint}"'},
    )


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {part.strip().removeprefix("W/").strip('"') for part in header.split(",")}


@router.get(
    "",
    summary="The project's models, newest first",
    dependencies=[requires(MODELS_READ)],
    responses=responses(401, 404),
)
def list_models(project: ProjectName, services: ServicesDep) -> list[dict[str, Any]]:
    services.require_project(project)
    return [record.to_json() for record in services.registry.list(project)]


@router.post(
    "",
    status_code=201,
    summary="Upload a model trained elsewhere (multipart field `model`)",
    responses=responses(400, 401, 403, 404, 409, 413, 422),
)
async def upload_model(
    project: ProjectName,
    services: ServicesDep,
    caller: Annotated[Principal, requires(MODELS_WRITE)],
    model: Annotated[UploadFile, File(description="The model file (`.tar.gz`).")],
    name: Annotated[
        str | None,
        Form(pattern=NAME_PATTERN.pattern, description="Its name; default: the file's."),
    ] = None,
) -> dict[str, Any]:
    chosen = name or (model.filename or "").removesuffix(".tar.gz") or None
    with tempfile.TemporaryDirectory(prefix="parley-upload-") as folder:
        target = FilePath(folder) / "model.tar.gz"
        with target.open("wb") as out:
            await anyio.to_thread.run_sync(shutil.copyfileobj, model.file, out)

        def register() -> ModelRecord:
            services.require_project(project)
            trained_by = f"upload by {caller.name}"
            return services.registry.register(project, target, name=chosen, trained_by=trained_by)

        record = await anyio.to_thread.run_sync(register)
    return record.to_json()


@router.get(
    "/tags/{tag}",
    summary="The model carrying a tag (Rasa's model-server protocol)",
    dependencies=[requires(MODELS_READ)],
    responses={**responses(401, 404), 304: {"description": "Not modified"}},
)
def model_by_tag(
    project: ProjectName,
    tag: Tag,
    services: ServicesDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    record = services.registry.require_tagged(project, tag)
    if record.fingerprint in _etags(if_none_match):
        return Response(status_code=304, headers={"ETag": f'"{record.fingerprint}"'})
    return _artifact(record, services.registry.path(project, record.name))


@router.get(
    "/{model}",
    summary="Download a model",
    dependencies=[requires(MODELS_READ)],
    responses=responses(401, 404),
)
def download_model(project: ProjectName, model: ModelName, services: ServicesDep) -> Response:
    record = services.registry.get(project, model)
    return _artifact(record, services.registry.path(project, model))


@router.delete(
    "/{model}",
    status_code=204,
    summary="Delete a model; refused while it carries a tag",
    dependencies=[requires(MODELS_WRITE)],
    responses=responses(401, 403, 404, 409),
)
def delete_model(project: ProjectName, model: ModelName, services: ServicesDep) -> Response:
    services.registry.delete(project, model)
    return Response(status_code=204)


async def _retag(services: Services, change: Any) -> Response:
    await anyio.to_thread.run_sync(change)
    if services.follower is not None:
        services.follower.poke()
    return Response(status_code=204)


@router.put(
    "/{model}/tags/{tag}",
    status_code=204,
    summary="Tag a model, taking the tag off any other; an environment's tag makes it serve it",
    dependencies=[requires(tag_permission)],
    responses=responses(401, 403, 404, 422),
)
async def tag_model(
    project: ProjectName, model: ModelName, tag: Tag, services: ServicesDep
) -> Response:
    return await _retag(services, lambda: services.registry.tag(project, model, tag))


@router.delete(
    "/{model}/tags/{tag}",
    status_code=204,
    summary="Take a tag off a model",
    dependencies=[requires(tag_permission)],
    responses=responses(401, 403, 404),
)
async def untag_model(
    project: ProjectName, model: ModelName, tag: Tag, services: ServicesDep
) -> Response:
    return await _retag(services, lambda: services.registry.untag(project, model, tag))
