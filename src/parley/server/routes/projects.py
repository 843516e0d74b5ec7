"""Projects and their training data, kept in the database as the project's Rasa files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from parley.auth.permissions import PROJECTS_READ, PROJECTS_WRITE
from parley.core.model_record import NAME_PATTERN
from parley.errors import NotFoundError
from parley.project.files import checked_file_path, checked_file_text
from parley.server.auth import requires
from parley.server.errors import responses
from parley.server.services import ServicesDep

router = APIRouter(prefix="/api/projects", tags=["projects"])

ProjectName = Annotated[str, Path(pattern=NAME_PATTERN.pattern, description="The project.")]
FilePath = Annotated[str, Path(description="The file's path in the project, e.g. `data/nlu.yml`.")]


class ProjectSummary(BaseModel):
    name: str


class NewProject(BaseModel):
    name: str = Field(pattern=NAME_PATTERN.pattern)


class ProjectFiles(BaseModel):
    files: dict[str, str] = Field(description="Path in the project → the file's text.")


class FileList(BaseModel):
    files: list[str]


class FileContent(BaseModel):
    path: str
    content: str


class NewContent(BaseModel):
    content: str


@router.get(
    "", summary="The projects", dependencies=[requires(PROJECTS_READ)], responses=responses(401)
)
def list_projects(services: ServicesDep) -> list[ProjectSummary]:
    return [ProjectSummary(name=name) for name in services.projects.names()]


@router.post(
    "",
    status_code=201,
    summary="Create an empty project",
    dependencies=[requires(PROJECTS_WRITE)],
    responses=responses(400, 401, 403, 409, 422),
)
def create_project(body: NewProject, services: ServicesDep) -> ProjectSummary:
    services.projects.create(body.name)
    return ProjectSummary(name=body.name)


@router.delete(
    "/{project}",
    status_code=204,
    summary="Delete a project with its files, models and jobs",
    dependencies=[requires(PROJECTS_WRITE)],
    responses=responses(401, 403, 404),
)
def delete_project(project: ProjectName, services: ServicesDep) -> Response:
    services.projects.delete(project)
    return Response(status_code=204)


@router.get(
    "/{project}/files",
    summary="Every file of the project",
    dependencies=[requires(PROJECTS_READ)],
    responses=responses(401, 404),
)
def get_files(project: ProjectName, services: ServicesDep) -> ProjectFiles:
    return ProjectFiles(files=services.projects.files(project))


@router.put(
    "/{project}/files",
    summary="Replace every file of the project (an import)",
    dependencies=[requires(PROJECTS_WRITE)],
    responses=responses(400, 401, 403, 404, 413, 422),
)
def replace_files(project: ProjectName, body: ProjectFiles, services: ServicesDep) -> FileList:
    files = {
        checked_file_path(path): checked_file_text(path, text) for path, text in body.files.items()
    }
    services.projects.replace(project, files)
    return FileList(files=sorted(files))


@router.get(
    "/{project}/files/{path:path}",
    summary="One file of the project",
    dependencies=[requires(PROJECTS_READ)],
    responses=responses(400, 401, 404),
)
def get_file(project: ProjectName, path: FilePath, services: ServicesDep) -> FileContent:
    checked = checked_file_path(path)
    files = services.projects.files(project)
    if checked not in files:
        raise NotFoundError(f"file in project {project!r}", checked, files)
    return FileContent(path=checked, content=files[checked])


@router.put(
    "/{project}/files/{path:path}",
    summary="Create or replace one file of the project",
    dependencies=[requires(PROJECTS_WRITE)],
    responses=responses(400, 401, 403, 404, 422),
)
def put_file(
    project: ProjectName, path: FilePath, body: NewContent, services: ServicesDep
) -> FileContent:
    checked = checked_file_path(path)
    services.projects.write_file(project, checked, checked_file_text(checked, body.content))
    return FileContent(path=checked, content=body.content)


@router.delete(
    "/{project}/files/{path:path}",
    status_code=204,
    summary="Delete one file of the project",
    dependencies=[requires(PROJECTS_WRITE)],
    responses=responses(400, 401, 403, 404),
)
def delete_file(project: ProjectName, path: FilePath, services: ServicesDep) -> Response:
    services.projects.delete_file(project, checked_file_path(path))
    return Response(status_code=204)
