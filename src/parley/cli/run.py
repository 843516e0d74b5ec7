"""``parley run``: train the project when its model is not current, then serve it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from parley.cli import console, report
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
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to listen on.  \\[default: server.host]"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", "-p", min=1, max=65535, help="Port to listen on.  \\[default: 5005]"
        ),
    ] = None,
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
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every HTTP request.")
    ] = False,
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
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["server.host"] = host
    if port is not None:
        overrides["server.port"] = str(port)
    settings = loader.load(overrides)

    # Imported only now: the web stack, the database and the engine are for serving alone,
    # and `parley --help` must stay quick.
    import uvicorn  # noqa: PLC0415

    from parley.bootstrap.server import server  # noqa: PLC0415
    from parley.cli.endpoints import project_credentials, project_endpoints  # noqa: PLC0415
    from parley.ops.logging import configure_logging  # noqa: PLC0415

    configure_logging(
        settings.logging.level.value, settings.logging.format.value, settings.logging.log_dir
    )
    credentials = project_credentials(project) or {}
    composed = server(
        settings,
        model=served,
        endpoints=project_endpoints(project),
        environ=loader.environ,
        socketio=credentials.get("socketio") or {},
    )
    base = f"http://{_display_host(settings.server.host)}:{settings.server.port}"
    _print_banner(base, served, composed.auth_token, generated=composed.token_generated)
    config = uvicorn.Config(
        composed.app,
        host=settings.server.host,
        port=settings.server.port,
        log_config=None,
        access_log=access_log,
        timeout_graceful_shutdown=10,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        composed.database.close()


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


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def _print_banner(base: str, model: Path, token: str, *, generated: bool) -> None:
    out = console.stdout()
    out.print(
        Text.assemble(
            ("Serving ", "bold green"), (report.display_path(model), "bold"), f" at {base}"
        )
    )
    rows = [
        ("REST channel", f"POST {base}/webhooks/rest/webhook"),
        ("socket.io (rasa-webchat)", f"{base}  (path /socket.io)"),
        ("Rasa HTTP API", f"{base}/conversations/SENDER/tracker?token=…  ({base}/docs)"),
        ("health, readiness, metrics", f"{base}/health  {base}/ready  {base}/metrics"),
    ]
    for name, where in rows:
        out.print(f"  {name:<27} {where}", markup=False, highlight=False)
    where = "made for this start" if generated else "from PARLEY_AUTH_TOKEN"
    out.print(f"  {'API token (' + where + ')':<27} {token}", markup=False, highlight=False)
    example = (
        f"curl -s {base}/webhooks/rest/webhook -H 'Content-Type: application/json' -d "
        + shlex.quote('{"sender": "me", "message": "hi"}')
    )
    out.print(f"  Try: {example}", markup=False, highlight=False)
    out.print("Press Ctrl+C to stop.", highlight=False)


RUN_HELP = "\n\n".join(
    [
        "Serve an assistant: the REST channel, socket.io (the rasa-webchat widget), the "
        "Rasa-compatible HTTP API, /health, /ready and /metrics.",
        "The project is trained first when its model is not current (an unchanged project "
        "reuses its model at once). With no DIR and no project in the current folder, the "
        "demo assistant is created in ./demo and served.",
        "The management endpoints need the API token: PARLEY_AUTH_TOKEN, or one made at "
        "each start and printed.",
    ]
)


def register(app: typer.Typer) -> None:
    app.command("run", help=RUN_HELP)(run)
