"""``parley run``: train the project when its model is not current, then serve it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from parley.cli import console, report, serving
from parley.cli.config import settings_loader
from parley.cli.model_files import model_path
from parley.cli.train import train
from parley.models.artifact import read_manifest
from parley.project.scaffold import create_starter_project

DEMO_DIR = Path("demo")


def run(
    ctx: typer.Context,
    *,
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DIR]",
            help="The project folder. Default: the current folder when it holds a project, "
            "else ./demo (created with the demo assistant when missing).",
            show_default=False,
        ),
    ] = None,
    host: serving.HostOption = None,
    port: serving.PortOption = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            metavar="FILE",
            help="Serve this model file (or a project's newest) instead of training the project.",
            show_default=False,
        ),
    ] = None,
    access_log: serving.AccessLogOption = False,
) -> None:
    """Serve an assistant over REST, socket.io and the Rasa HTTP API (see RUN_HELP)."""
    project = _project(directory)
    if model is None:
        train(ctx, directory=project)
        served = model_path(project)
    else:
        served = model_path(model)
    # Checked here, so that a wrong or damaged file is an error message, not a traceback
    # from the server's start-up.
    read_manifest(served)
    loader = settings_loader(ctx)
    settings = loader.load(serving.address_overrides(host, port))

    from parley.bootstrap.platform import platform  # noqa: PLC0415
    from parley.bootstrap.server import Role, deploy_project  # noqa: PLC0415

    stores = platform(settings)
    try:
        record, in_production = deploy_project(
            stores, settings.environments.project, project, served, environment="production"
        )
    finally:
        stores.database.close()
    if not in_production:
        console.stderr().print(
            Text.assemble(
                "production keeps the model tagged for it; ",
                (f"parley models tag {record.name} production", "bold"),
                " serves this one",
            )
        )
    serving.serve(
        settings,
        environ=loader.environ,
        role=Role.ALL,
        project_dir=project,
        access_log=access_log,
        headline=Text.assemble(
            ("Serving ", "bold green"),
            (report.display_path(project), "bold"),
            f" (production: model {record.name})" if in_production else "",
        ),
    )


def _project(directory: Path | None) -> Path:
    if directory is not None:
        return directory
    if (Path(".") / "domain.yml").is_file() or (Path(".") / "domain").is_dir():
        return Path(".")
    if not DEMO_DIR.exists():
        create_starter_project(DEMO_DIR)
        console.stderr().print(
            Text.assemble("Created the demo assistant in ", (f"{DEMO_DIR}/", "bold"))
        )
    return DEMO_DIR


RUN_HELP = "\n\n".join(
    [
        "Serve an assistant: the REST channel, socket.io (the rasa-webchat widget), the "
        "Rasa-compatible HTTP API, /health, /ready and /metrics.",
        "The project is trained first when its model is not current (an unchanged project "
        "reuses its model at once). With no DIR and no project in the current folder, the "
        "demo assistant is created in ./demo and served.",
        "The folder's files become the stored project (`environments.project`, default "
        "`default`) and its model enters the registry; production is tagged with it when "
        "it is new. Every environment is served (`?environment=NAME`), and training jobs "
        "started through the API run in a child process.",
        "The management endpoints need the API token: PARLEY_AUTH_TOKEN, or one made at "
        "each start and printed.",
    ]
)


def register(app: typer.Typer) -> None:
    app.command("run", help=RUN_HELP)(run)
